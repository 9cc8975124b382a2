import t from 'tap';
import { ICMPV6_NA, ICMPV6_NS, ICMPV6_RA, newNdMessage, parseNd } from '../../src/encap/nd.js';
import { macToString } from '../../src/encap/mac.js';
import { formatIpv6Address } from '../../src/encap/ip.js';
import { ndFrame } from '../../src/encap/frame-builder.js';

t.test('kernel DAD NS with a nonce option', async (t) => {
  const icmp = Buffer.from('8700f6b900000000fe80000000000000000000fffe00000a0e01a9dc288aa5e9', 'hex');
  const m = newNdMessage();
  t.ok(parseNd(icmp, 0, icmp.length, m));
  t.equal(m.type, ICMPV6_NS);
  t.equal(formatIpv6Address(icmp, m.targetOffset), 'fe80::ff:fe00:a');
  t.equal(m.sourceLinkAddr, -1);
});

t.test('NS and NA link-layer options', async (t) => {
  const m = newNdMessage();
  const ns = ndFrame({ type: ICMPV6_NS, srcMac: '02:00:00:00:00:01', srcIp: '2001:db8::1', target: '2001:db8::2' });
  t.ok(parseNd(ns, 54, 54 + 32, m));
  t.equal(macToString(m.sourceLinkAddr), '02:00:00:00:00:01');
  t.equal(formatIpv6Address(ns, m.targetOffset), '2001:db8::2');
  const na = ndFrame({ type: ICMPV6_NA, srcMac: '02:00:00:00:00:02', srcIp: '2001:db8::2', target: '2001:db8::2', flags: 0xe0 });
  t.ok(parseNd(na, 54, 54 + 32, m));
  t.equal(m.type, ICMPV6_NA);
  t.equal(m.flags, 0xe0);
  t.equal(macToString(m.targetLinkAddr), '02:00:00:00:00:02');
});

t.test('RA options from tcpdump/icmpv6-ra-pref64.pcap layout', async (t) => {
  // RA header (16) + SLLA (8) + MTU (8)
  const ra = Buffer.from('86000000400000000000000000000000' + '0101001122334455' + '0501000000000500', 'hex');
  const m = newNdMessage();
  t.ok(parseNd(ra, 0, ra.length, m));
  t.equal(m.type, ICMPV6_RA);
  t.equal(macToString(m.sourceLinkAddr), '00:11:22:33:44:55');
});

t.test('malformed options', async (t) => {
  const m = newNdMessage();
  const ns = ndFrame({ type: ICMPV6_NS, srcMac: '02:00:00:00:00:01', srcIp: '2001:db8::1', target: '2001:db8::2' });
  const icmp = Buffer.from(ns.subarray(54, 54 + 32));
  t.notOk(parseNd(icmp, 0, 20, m), 'header truncated');
  icmp[25] = 0;
  t.notOk(parseNd(icmp, 0, 32, m), 'zero option length');
  icmp[25] = 2;
  t.notOk(parseNd(icmp, 0, 32, m), 'option past the end');
  t.ok(parseNd(Buffer.from([128, 0, 0, 0, 0, 0, 0, 0]), 0, 8, m), 'echo request: not ND, parses');
});
