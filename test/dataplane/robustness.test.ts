// 1,000,000 seeded random and mutated frames through every decoder and through the switch
// core: no exception escapes, and every frame ends counted (forwarded, or dropped with a reason).
import t from 'tap';
import { prng } from '../helpers/prng.js';
import { A, B, C, TRUNK1, makeCore } from '../helpers/core-fixture.js';
import { arpFrame, ethernetFrame, icmpEchoFrame, icmpv6Packet, ipv6Packet, ndFrame, udp4Frame, udpDatagram } from '../../src/encap/frame-builder.js';
import { ETHERTYPE_IPV6, ETHERTYPE_VLAN, newEthernetHeader, parseEthernet } from '../../src/encap/ethernet.js';
import { newIpv4Header, newIpv6Header, parseIpv4, parseIpv6 } from '../../src/encap/ip.js';
import { newArpPacket, parseArp } from '../../src/encap/arp.js';
import { newNdMessage, parseNd, ICMPV6_NA, ICMPV6_NS } from '../../src/encap/nd.js';
import { decodeVxlan, vxlanSourcePort, writeVxlanHeader } from '../../src/encap/vxlan.js';
import { decodeEoipV4, decodeEoipV6, newEoipPacket, writeEoipV4Header, writeEoipV6Header } from '../../src/encap/eoip.js';
import { FrameBatch } from '../../src/dataplane/frame-batch.js';
import { EGRESS_DROP, EGRESS_FLOOD } from '../../src/dataplane/switch-core.js';
import { C_DROPS, C_FLOOD_PACKETS, C_RX_PACKETS } from '../../src/dataplane/counters.js';
import { REASON_COUNT } from '../../src/dataplane/drop-reasons.js';

const TOTAL = 1_000_000;
const rnd = prng(0x1f0b);
const int = (n: number) => Math.floor(rnd() * n);

const seeds: Buffer[] = [
  icmpEchoFrame({ dst: B.mac, src: A.mac, srcIp: A.ipv4, dstIp: B.ipv4 }),
  icmpEchoFrame({ dst: B.mac, src: A.mac, srcIp: A.ipv4, dstIp: B.ipv4, size: 1514 }),
  arpFrame({ op: 1, senderMac: A.mac, senderIp: A.ipv4, targetIp: B.ipv4 }),
  arpFrame({ op: 2, senderMac: B.mac, senderIp: B.ipv4, targetMac: A.mac, targetIp: A.ipv4 }),
  ndFrame({ type: ICMPV6_NS, srcMac: A.mac, srcIp: A.ipv6, target: B.ipv6 }),
  ndFrame({ type: ICMPV6_NA, srcMac: B.mac, srcIp: B.ipv6, target: B.ipv6 }),
  ethernetFrame({ dst: '33:33:00:00:00:01', src: A.mac, ethertype: ETHERTYPE_IPV6 }, icmpv6Packet('fe80::a', 'ff02::1', Buffer.from('86000000400000000000000000000000', 'hex'))),
  udp4Frame({ dst: 'ff:ff:ff:ff:ff:ff', src: A.mac, srcIp: A.ipv4, dstIp: '255.255.255.255', sport: 67, dport: 68, payload: Buffer.alloc(240) }),
  ethernetFrame({ dst: B.mac, src: A.mac, ethertype: ETHERTYPE_IPV6 }, ipv6Packet(A.ipv6, B.ipv6, 0, Buffer.from([44, 0, 0, 0, 0, 0, 0, 0, 17, 0, 0, 0, 0, 0, 0, 1, 2, 35, 2, 34, 0, 8, 0, 0]))),
  icmpEchoFrame({ dst: B.mac, src: A.mac, srcIp: A.ipv4, dstIp: B.ipv4, tags: [[ETHERTYPE_VLAN, 7]] }),
  ethernetFrame({ dst: '01:80:c2:00:00:00', src: A.mac, ethertype: 38 }, Buffer.alloc(46)),
  ethernetFrame({ dst: B.mac, src: A.mac, ethertype: ETHERTYPE_IPV6 }, ipv6Packet(A.ipv6, B.ipv6, 17, udpDatagram(547, 546, Buffer.alloc(10)))),
];

function mutate(): Buffer {
  const kind = int(10);
  if (kind === 0) {
    const f = Buffer.alloc(int(1600));
    for (let i = 0; i < f.length; i++) f[i] = int(256);
    return f;
  }
  const base = seeds[int(seeds.length)]!;
  let f = Buffer.from(base);
  const flips = 1 + int(6);
  for (let k = 0; k < flips; k++) {
    const at = int(Math.min(f.length, kind < 5 ? 64 : f.length));
    f[at] = kind % 2 ? int(256) : f[at]! ^ (1 << int(8));
  }
  if (kind === 7) f = f.subarray(0, int(f.length + 1));
  if (kind === 8) f = Buffer.concat([f, Buffer.alloc(int(300), int(256))]);
  return f;
}

t.test(`${TOTAL} frames through every decoder and the switch core`, async (t) => {
  const core = makeCore({ proxy: true });
  const ports = [A.port, B.port, C.port, TRUNK1];
  const batch = new FrameBatch(64);
  const eth = newEthernetHeader();
  const ip4 = newIpv4Header();
  const ip6 = newIpv6Header();
  const arp = newArpPacket();
  const nd = newNdMessage();
  const eo = newEoipPacket();
  const wrap = Buffer.alloc(2048);
  let decided = 0;
  let drops = 0;
  let floods = 0;
  let now = 0;
  for (let n = 0; n < TOTAL; ) {
    batch.count = 0;
    for (let k = 0; k < 64 && n < TOTAL; k++, n++) {
      const f = mutate();
      // every decoder, at every plausible offset
      parseEthernet(f, 0, f.length, eth);
      parseIpv4(f, 14, f.length, ip4);
      parseIpv6(f, 14, f.length, ip6);
      parseArp(f, 14, f.length, arp);
      parseNd(f, 54, f.length, nd);
      decodeVxlan(f, 0, f.length);
      decodeEoipV4(f, 0, f.length, eo);
      decodeEoipV6(f, 0, f.length, eo);
      vxlanSourcePort(f, 0, f.length);
      // and encapsulated: a mutated tunnel header in front of a mutated frame
      writeVxlanHeader(wrap, 0, int(2) ? 101 : int(1 << 24));
      if (int(4) === 0) wrap[int(8)] = int(256);
      f.copy(wrap, 8);
      decodeVxlan(wrap, 0, 8 + f.length);
      writeEoipV4Header(wrap, 0, int(65536), int(3) ? f.length : int(65536));
      f.copy(wrap, 8);
      decodeEoipV4(wrap, 0, 8 + f.length, eo);
      writeEoipV6Header(wrap, 0, int(4096));
      decodeEoipV6(wrap, 0, 2 + f.length, eo);
      batch.push(f, ports[int(ports.length)]!);
    }
    now += 0.001;
    core.process(batch, now);
    for (let i = 0; i < batch.count; i++) {
      const e = core.egress[i]!;
      if (e === EGRESS_DROP) {
        if (core.reasons[i]! < 1 || core.reasons[i]! > REASON_COUNT) throw new Error(`frame ${i} dropped without a reason`);
        drops++;
      } else if (e === EGRESS_FLOOD) floods++;
      else if (e < 0 || !core.hasPort(e)) throw new Error(`bad egress ${e}`);
      decided++;
    }
    if (n % 100_000 === 0) core.fdb.age(now);
  }
  t.equal(decided, TOTAL, 'every frame got a decision');
  const v = core.counters.values;
  let rx = 0;
  let counted = 0;
  let flooded = 0;
  for (const p of ports) {
    const b = core.counters.base(p);
    rx += v[b + C_RX_PACKETS]!;
    flooded += v[b + C_FLOOD_PACKETS]!;
    for (let r = 0; r < REASON_COUNT; r++) counted += v[b + C_DROPS + r]!;
  }
  t.equal(rx, TOTAL, 'every frame counted on receive');
  t.equal(counted, drops, 'every drop counted under its reason');
  t.equal(flooded, floods, 'every flood counted');
  t.ok(drops > TOTAL / 4 && drops < TOTAL, `a realistic mix: ${drops} dropped, ${floods} flooded`);
});
