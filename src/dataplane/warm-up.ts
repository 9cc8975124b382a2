// Warms the dataplane's code before the first real frame: runs a synthetic exchange mix through
// the dataplane's own forwarder and switch core on temporary ports, then undoes what that left.
//
// Why: V8 compiles a function when it first runs and optimises it only after many calls. A
// freshly started dataplane meeting a burst of frames it has not seen yet (ND, ARP guards, VLAN
// tags, link-local control frames...) runs them in the interpreter and compiles on the way, and
// that cost lands exactly when the socket buffers fill: bench:e2e's replay of the exchange
// captures at top speed lost 20-80% of its frames on the first pass through a new daemon and
// none on the second (V8's optimising compiler runs beside the dataplane thread, on the same CPU
// when the daemon is pinned to one). Warming the real forwarder and core (not scratch ones)
// matters: V8 specialises the compiled code on the objects it saw (hidden classes, call
// targets), and scratch ones would have it thrown away again at the first real frame; policies
// are cloned as the real ones arrive (postMessage), and the clock advances so timed paths run
// too. What stays cold: port I/O (it needs real descriptors; any traffic exercises it), and the
// forwarder's call into the real ports' transmit, recompiled once when it first meets them.
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from '../encap/ethernet.js';
import { arpFrame, ethernetFrame, icmpEchoFrame, icmpv6Packet, ipv6Packet, ndFrame, udp4Frame, udpDatagram } from '../encap/frame-builder.js';
import { IPPROTO_UDP } from '../encap/ip.js';
import { parseMac } from '../encap/mac.js';
import { ICMPV6_NA, ICMPV6_NS, ICMPV6_RA, ICMPV6_REDIRECT, ICMPV6_RS } from '../encap/nd.js';
import { type Forwarder } from './forwarder.js';
import { FrameBatch } from './frame-batch.js';
import { memberPolicy, trunkPolicy } from './port-policy.js';
import { GROUP_TRUNKS } from './switch-core.js';

/** Batches run by default: enough for V8 to optimise the functions on the way (0.2 s here). */
export const WARM_UP_BATCHES = 400;

const BATCH = 64;

const A = { mac: '02:00:00:77:00:0a', ipv4: '192.0.2.10', ipv6: '2001:db8::a', ll: 'fe80::a' };
const B = { mac: '02:00:00:77:00:0b', ipv4: '192.0.2.11', ipv6: '2001:db8::b', ll: 'fe80::b' };
const REMOTE = { mac: '02:00:00:77:00:0c', ipv4: '192.0.2.12' };

const MEMBER_A = 0;
const MEMBER_B = 1;
const TRUNK = 2;

/**
 * One of each kind of frame a peering LAN sees, allowed and dropped, with its ingress port
 * (MEMBER_A, MEMBER_B or TRUNK); at most BATCH of them, so one batch holds them all.
 */
export function warmUpFrames(): [Buffer, number][] {
  const icmp6 = (type: number, size = 8) => {
    const m = Buffer.alloc(size);
    m[0] = type;
    return m;
  };
  const v6Frame = (src: string, dst: string, dstMac: string, payload: Buffer, next = 58) =>
    ethernetFrame({ dst: dstMac, src: A.mac, ethertype: ETHERTYPE_IPV6 }, next === 58 ? icmpv6Packet(src, dst, payload) : ipv6Packet(src, dst, next, payload));
  const ping = (src: typeof A, dst: typeof B, size: number, tags?: [number, number][]) =>
    icmpEchoFrame({ src: src.mac, dst: dst.mac, srcIp: src.ipv4, dstIp: dst.ipv4, size, tags });
  const udp = (sport: number, dst = B.mac, dstIp = B.ipv4) => udp4Frame({ src: A.mac, dst, srcIp: A.ipv4, dstIp, sport, dport: 9 });
  return [
    // unicast between members and from the trunk, small and large, and an unknown destination
    [ping(A, B, 98), MEMBER_A],
    [ping(B, A, 1514), MEMBER_B],
    [udp(9), MEMBER_A],
    [udp4Frame({ src: REMOTE.mac, dst: A.mac, srcIp: REMOTE.ipv4, dstIp: A.ipv4, sport: 9, dport: 9 }), TRUNK],
    [udp(9, '02:00:00:77:00:77'), MEMBER_A],
    [v6Frame(A.ipv6, B.ipv6, B.mac, icmp6(128, 56)), MEMBER_A],
    [v6Frame(A.ipv6, B.ipv6, B.mac, udpDatagram(9, 9, Buffer.alloc(20)), IPPROTO_UDP), MEMBER_A],
    // ARP: request, reply, probe, spoofed, to a multicast address, from the trunk
    [arpFrame({ op: 1, senderMac: A.mac, senderIp: A.ipv4, targetIp: B.ipv4 }), MEMBER_A],
    [arpFrame({ op: 2, senderMac: B.mac, senderIp: B.ipv4, targetMac: A.mac, targetIp: A.ipv4 }), MEMBER_B],
    [arpFrame({ op: 1, senderMac: A.mac, senderIp: '0.0.0.0', targetIp: A.ipv4 }), MEMBER_A],
    [arpFrame({ op: 1, senderMac: A.mac, senderIp: B.ipv4, targetIp: REMOTE.ipv4 }), MEMBER_A],
    [arpFrame({ op: 1, senderMac: A.mac, senderIp: A.ipv4, targetIp: B.ipv4, ethDst: '01:00:5e:00:00:01' }), MEMBER_A],
    [arpFrame({ op: 1, senderMac: REMOTE.mac, senderIp: REMOTE.ipv4, targetIp: A.ipv4 }), TRUNK],
    // ND: NS, NA, link-local, duplicate address detection, spoofed address and link address
    [ndFrame({ type: ICMPV6_NS, srcMac: A.mac, srcIp: A.ipv6, target: B.ipv6 }), MEMBER_A],
    [ndFrame({ type: ICMPV6_NA, srcMac: B.mac, srcIp: B.ipv6, target: B.ipv6, dstIp: A.ipv6, dstMac: A.mac }), MEMBER_B],
    [ndFrame({ type: ICMPV6_NS, srcMac: A.mac, srcIp: A.ll, target: B.ll }), MEMBER_A],
    [ndFrame({ type: ICMPV6_NS, srcMac: A.mac, srcIp: '::', target: A.ipv6, linkAddr: null }), MEMBER_A],
    [ndFrame({ type: ICMPV6_NA, srcMac: A.mac, srcIp: A.ipv6, target: B.ipv6 }), MEMBER_A],
    [ndFrame({ type: ICMPV6_NS, srcMac: A.mac, srcIp: A.ipv6, target: B.ipv6, linkAddr: B.mac }), MEMBER_A],
    [ndFrame({ type: ICMPV6_NS, srcMac: REMOTE.mac, srcIp: '2001:db8::c', target: A.ipv6 }), TRUNK],
    // router advertisements and redirects, router solicitations, MLD, DHCP servers
    [v6Frame(A.ll, 'ff02::1', '33:33:00:00:00:01', icmp6(ICMPV6_RA, 16)), MEMBER_A],
    [v6Frame(A.ll, B.ll, B.mac, icmp6(ICMPV6_REDIRECT, 40)), MEMBER_A],
    [v6Frame(A.ll, 'ff02::2', '33:33:00:00:00:02', icmp6(ICMPV6_RS)), MEMBER_A],
    [v6Frame(A.ll, 'ff02::16', '33:33:00:00:00:16', Buffer.concat([Buffer.from([58, 0, 5, 2, 0, 0, 1, 0]), icmp6(143, 28)]), 0), MEMBER_A], // MLD, hop-by-hop
    [v6Frame(A.ipv6, B.ipv6, B.mac, Buffer.concat([Buffer.from([17, 0, 0, 1, 0, 0, 0, 7]), udpDatagram(9, 9, Buffer.alloc(20))]), 44), MEMBER_A], // first fragment
    [v6Frame(A.ipv6, B.ipv6, B.mac, Buffer.concat([Buffer.from([17, 0, 0, 0x50, 0, 0, 0, 7]), Buffer.alloc(20)]), 44), MEMBER_A], // later fragment
    [v6Frame(A.ll, B.ll, B.mac, udpDatagram(547, 546, Buffer.alloc(20)), IPPROTO_UDP), MEMBER_A],
    [udp(67, 'ff:ff:ff:ff:ff:ff', '255.255.255.255'), MEMBER_A],
    [udp(67), MEMBER_A],
    [udp(9, '01:00:5e:00:00:05', '224.0.0.5'), MEMBER_A],
    // VLAN tags (member B allows VID 10), link-local control frames, foreign ethertypes
    [ping(A, B, 98, [[0x8100, 10]]), MEMBER_A],
    [ping(B, A, 98, [[0x8100, 10]]), MEMBER_B],
    [ping(B, A, 98, [[0x8100, 20]]), MEMBER_B],
    [ethernetFrame({ dst: '01:80:c2:00:00:0e', src: A.mac, ethertype: 0x88cc }, Buffer.alloc(46)), MEMBER_A], // LLDP
    [ethernetFrame({ dst: '01:80:c2:00:00:00', src: A.mac, ethertype: 0x0026 }, Buffer.alloc(38)), MEMBER_A], // STP (802.3 length)
    [ethernetFrame({ dst: '01:00:0c:cc:cc:cc', src: REMOTE.mac, ethertype: 0x0100 }, Buffer.alloc(46)), TRUNK], // CDP
    [ethernetFrame({ dst: B.mac, src: A.mac, ethertype: 0x8847 }, Buffer.alloc(46)), MEMBER_A], // MPLS
    // sources that are not allowed, truncated packets
    [ethernetFrame({ dst: B.mac, src: '02:00:00:77:00:99', ethertype: ETHERTYPE_IPV4 }, Buffer.alloc(46)), MEMBER_A],
    [ethernetFrame({ dst: B.mac, src: '03:00:00:77:00:99', ethertype: ETHERTYPE_IPV4 }, Buffer.alloc(46)), MEMBER_A],
    [ethernetFrame({ dst: B.mac, src: A.mac, ethertype: ETHERTYPE_IPV4, pad: false }, Buffer.alloc(2)), MEMBER_A],
    [ethernetFrame({ dst: B.mac, src: A.mac, ethertype: ETHERTYPE_IPV6, pad: false }, Buffer.alloc(10)), MEMBER_A],
    [ethernetFrame({ dst: B.mac, src: A.mac, ethertype: 0x0806, pad: false }, Buffer.alloc(10)), MEMBER_A],
  ];
}

/**
 * Runs `batches` batches of the mix through the forwarder and its switch core on three temporary
 * ports with the free ids `firstId`..`firstId + 2` (their transmit accepts and discards; the real
 * ports' sinks are detached meanwhile, so floods of the mix go nowhere). Then removes those ports
 * (and with them the at most two MACs they learned), clears the neighbour table (the caller
 * re-installs its bindings) and puts every counter back. The simulated clock advances 10 ms per
 * batch, so timed paths (FDB refresh, token buckets, drop samples) run too; the caller ignores
 * drop samples of ports it does not know. Runs after the daemon's ports are configured, because
 * configuring them changes objects the compiled code depends on. Returns the frames processed
 * and the milliseconds it took.
 */
export function warmUp(forwarder: Forwarder, firstId: number, batches = WARM_UP_BATCHES): { frames: number; ms: number } {
  const t0 = performance.now();
  const core = forwarder.core;
  const ids = [firstId, firstId + 1, firstId + 2];
  const [memberA, memberB, trunk] = ids as [number, number, number];
  for (const id of ids) if (core.hasPort(id)) throw new Error(`warm-up: port ${id} is in use`);
  const saved = core.counters.values.slice();
  // floods of the mix reach the real ports too: without their sinks they count as tx_full (the
  // counters are put back), and nothing leaves the daemon
  const sinks = forwarder.detachAll();
  try {
    // policies reach the dataplane thread by postMessage: cloned the same way, they have the
    // same hidden classes as the real ones, so the code compiled here stays valid for them
    const member = (m: typeof A, bumPps: number, vlans: number[] | false) =>
      structuredClone(memberPolicy({ macs: [m.mac], ipv4: [m.ipv4], ipv6: [m.ipv6], bum_pps: bumPps, allow_vlan_tags: vlans }));
    // member A's MAC is configured (a static FDB entry), member B's is learned
    core.setPort(memberA, { policy: member(A, 500, false), group: 0, staticMacs: [parseMac(A.mac)!] }, 0);
    core.setPort(memberB, { policy: member(B, 0, [10]), group: 0 }, 0);
    core.setPort(trunk, { policy: structuredClone(trunkPolicy()), group: GROUP_TRUNKS }, 0);
    const discard = { transmit: (_batch: FrameBatch, _frames: Uint32Array, count: number) => count };
    for (const id of ids) forwarder.attach(id, discard);
    const batch = new FrameBatch(BATCH);
    const frames = warmUpFrames();
    for (let k = 0; k < BATCH; k++) {
      const [frame, port] = frames[k % frames.length]!;
      batch.push(frame, ids[port]!);
    }
    for (let i = 0; i < batches; i++) forwarder.forward(batch, i / 100);
  } finally {
    forwarder.restoreSinks(sinks);
    for (const id of ids) core.removePort(id);
    core.neighbors.clear();
    core.counters.values.set(saved);
  }
  return { frames: batches * BATCH, ms: performance.now() - t0 };
}
