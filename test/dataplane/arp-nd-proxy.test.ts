import t from 'tap';
import { A, B, C, TRUNK1, makeCore, one } from '../helpers/core-fixture.js';
import { arpFrame, ndFrame, icmpEchoFrame } from '../../src/encap/frame-builder.js';
import { ICMPV6_NA, ICMPV6_NS, newNdMessage, parseNd } from '../../src/encap/nd.js';
import { newArpPacket, parseArp, ARP_REPLY } from '../../src/encap/arp.js';
import { icmpv6Checksum, formatIpv6Address, formatIpv4Address } from '../../src/encap/ip.js';
import { macToString } from '../../src/encap/mac.js';
import { EGRESS_FLOOD } from '../../src/dataplane/switch-core.js';
import { G_PROXY_REPLIES } from '../../src/dataplane/counters.js';

const hello = (m: typeof A) => icmpEchoFrame({ dst: '02:00:00:00:00:ff', src: m.mac, srcIp: m.ipv4, dstIp: '192.0.2.1' });

t.test('ARP request for a known, reachable member is answered at the POP', async (t) => {
  const core = makeCore({ proxy: true });
  one(core, hello(B), B.port);
  const r = one(core, arpFrame({ op: 1, senderMac: A.mac, senderIp: A.ipv4, targetIp: B.ipv4 }), A.port);
  t.equal(r.egress, A.port, 'sent back to the asker');
  const arp = newArpPacket();
  t.ok(parseArp(r.frame, 14, r.frame.length, arp));
  t.equal(arp.op, ARP_REPLY);
  t.equal(macToString(arp.senderMac), B.mac);
  t.equal(formatIpv4Address(arp.senderIp), B.ipv4);
  t.equal(macToString(arp.targetMac), A.mac);
  t.equal(formatIpv4Address(arp.targetIp), A.ipv4);
  t.equal(r.frame.subarray(0, 12).toString('hex'), A.mac.replaceAll(':', '') + B.mac.replaceAll(':', ''));
  t.equal(core.counters.values[G_PROXY_REPLIES], 1);
});

t.test('not answered: owner unknown, owner not reachable, gratuitous ARP, proxy off', async (t) => {
  const core = makeCore({ proxy: true });
  t.equal(one(core, arpFrame({ op: 1, senderMac: A.mac, senderIp: A.ipv4, targetIp: B.ipv4 }), A.port).egress, EGRESS_FLOOD, 'B never seen');
  t.equal(one(core, arpFrame({ op: 1, senderMac: A.mac, senderIp: A.ipv4, targetIp: '192.0.2.77' }), A.port).egress, EGRESS_FLOOD);
  t.equal(one(core, arpFrame({ op: 1, senderMac: A.mac, senderIp: A.ipv4, targetIp: A.ipv4 }), A.port).egress, EGRESS_FLOOD);
  const off = makeCore();
  one(off, hello(B), B.port);
  t.equal(one(off, arpFrame({ op: 1, senderMac: A.mac, senderIp: A.ipv4, targetIp: B.ipv4 }), A.port).egress, EGRESS_FLOOD);
});

t.test('bindings are learned from validated ARP, also across trunks', async (t) => {
  const core = makeCore({ proxy: true });
  one(core, arpFrame({ op: 1, senderMac: C.mac, senderIp: C.ipv4, targetIp: A.ipv4 }), C.port);
  const r = one(core, arpFrame({ op: 1, senderMac: A.mac, senderIp: A.ipv4, targetIp: C.ipv4 }), A.port);
  t.equal(r.egress, A.port, 'C (no configured MAC) answered from what it announced');
  one(core, arpFrame({ op: 1, senderMac: '02:00:00:00:99:01', senderIp: '192.0.2.99', targetIp: A.ipv4 }), TRUNK1);
  t.equal(one(core, arpFrame({ op: 1, senderMac: A.mac, senderIp: A.ipv4, targetIp: '192.0.2.99' }), A.port).egress, A.port);
  t.equal(one(core, arpFrame({ op: 1, senderMac: C.mac, senderIp: B.ipv4, targetIp: A.ipv4 }), C.port).reason, 'arp_spoof', 'spoofs never become bindings');
});

t.test('NS for a known member becomes a valid NA', async (t) => {
  const core = makeCore({ proxy: true });
  one(core, hello(B), B.port);
  const r = one(core, ndFrame({ type: ICMPV6_NS, srcMac: A.mac, srcIp: A.ipv6, target: B.ipv6 }), A.port);
  t.equal(r.egress, A.port);
  const f = r.frame;
  t.equal(macToString(parseInt(f.subarray(0, 6).toString('hex'), 16)), A.mac, 'to the solicitor');
  t.equal(formatIpv6Address(f, 14 + 8), B.ipv6, 'from the target');
  t.equal(formatIpv6Address(f, 14 + 24), A.ipv6);
  t.equal(f[14 + 7], 255, 'hop limit 255');
  const nd = newNdMessage();
  t.ok(parseNd(f, 54, 54 + 32, nd));
  t.equal(nd.type, ICMPV6_NA);
  t.equal(nd.flags, 0xe0);
  t.equal(macToString(nd.targetLinkAddr), B.mac);
  const sum = f.readUInt16BE(56);
  f.writeUInt16BE(0, 56);
  t.equal(icmpv6Checksum(f, 14, 54, 32), sum, 'checksum');
});

t.test('DAD and NS without SLLA are flooded, not answered', async (t) => {
  const core = makeCore({ proxy: true });
  one(core, hello(B), B.port);
  t.equal(one(core, ndFrame({ type: ICMPV6_NS, srcMac: A.mac, srcIp: '::', target: B.ipv6, linkAddr: null }), A.port).egress, EGRESS_FLOOD);
  t.equal(one(core, ndFrame({ type: ICMPV6_NS, srcMac: A.mac, srcIp: A.ipv6, target: B.ipv6, linkAddr: null, dstMac: B.mac, dstIp: B.ipv6 }), A.port).egress, B.port);
});

t.test('NA teaches a binding for a member without configured MACs', async (t) => {
  const core = makeCore({ proxy: true });
  one(core, ndFrame({ type: ICMPV6_NA, srcMac: C.mac, srcIp: C.ipv6, target: C.ipv6 }), C.port);
  const r = one(core, ndFrame({ type: ICMPV6_NS, srcMac: A.mac, srcIp: A.ipv6, target: C.ipv6 }), A.port);
  t.equal(r.egress, A.port);
});
