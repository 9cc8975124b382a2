import t from 'tap';
import {
  formatIpv4Address,
  formatIpv6Address,
  icmpv6Checksum,
  IPPROTO_ICMPV6,
  IPPROTO_UDP,
  isIpv6LinkLocal,
  newIpv4Header,
  newIpv6Header,
  parseIpv4,
  parseIpv4Address,
  parseIpv6,
  parseIpv6Address,
} from '../../src/encap/ip.js';
import { icmpv6Packet, ipv4Packet, ipv6Packet, udpDatagram } from '../../src/encap/frame-builder.js';

t.test('IPv4 header', async (t) => {
  const p = ipv4Packet('192.0.2.1', '192.0.2.2', IPPROTO_UDP, udpDatagram(67, 68, Buffer.alloc(4)));
  const h = newIpv4Header();
  t.ok(parseIpv4(p, 0, p.length, h));
  t.equal(h.protocol, IPPROTO_UDP);
  t.equal(formatIpv4Address(h.src), '192.0.2.1');
  t.equal(h.dst, parseIpv4Address('192.0.2.2'));
  t.equal(h.payloadOffset, 20);
  t.notOk(h.laterFragment);
  p.writeUInt16BE(0x0010, 6); // fragment offset 16
  t.ok(parseIpv4(p, 0, p.length, h));
  t.ok(h.laterFragment);
  t.notOk(parseIpv4(p, 0, 19, h), 'truncated');
  const bad = Buffer.from(p);
  bad[0] = 0x44;
  t.notOk(parseIpv4(bad, 0, bad.length, h), 'IHL below 5');
  bad[0] = 0x65;
  t.notOk(parseIpv4(bad, 0, bad.length, h), 'version 6');
});

t.test('IPv6 extension header walk', async (t) => {
  const h = newIpv6Header();
  const plain = icmpv6Packet('fe80::1', 'ff02::1', Buffer.alloc(16, 0));
  t.ok(parseIpv6(plain, 0, plain.length, h));
  t.equal(h.protocol, IPPROTO_ICMPV6);
  t.equal(h.payloadOffset, 40);
  // hop-by-hop (8 bytes) + destination options (16 bytes) + ICMPv6
  const ext = Buffer.concat([Buffer.from([60, 0, 0, 0, 0, 0, 0, 0]), Buffer.from([58, 1, ...new Array(14).fill(0)]), Buffer.alloc(8)]);
  const p = ipv6Packet('2001:db8::1', '2001:db8::2', 0, ext);
  t.ok(parseIpv6(p, 0, p.length, h));
  t.equal(h.protocol, IPPROTO_ICMPV6);
  t.equal(h.payloadOffset, 40 + 8 + 16);
  t.notOk(parseIpv6(p, 0, 40 + 12, h), 'chain truncated');
  // first fragment: walk continues; later fragment: no upper layer
  const frag0 = ipv6Packet('2001:db8::1', '2001:db8::2', 44, Buffer.from([58, 0, 0, 0, 0, 0, 0, 1, 134, 0, 0, 0]));
  t.ok(parseIpv6(frag0, 0, frag0.length, h));
  t.equal(h.protocol, 58);
  t.notOk(h.laterFragment);
  const frag1 = ipv6Packet('2001:db8::1', '2001:db8::2', 44, Buffer.from([58, 0, 0, 8, 0, 0, 0, 1, 134, 0, 0, 0]));
  t.ok(parseIpv6(frag1, 0, frag1.length, h));
  t.ok(h.laterFragment);
});

t.test('address text round trips', async (t) => {
  for (const [inp, out] of [
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8::', '2001:db8::'],
    ['::', '::'],
    ['fe80::1:0:0:1', 'fe80::1:0:0:1'],
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
  ]) t.equal(formatIpv6Address(parseIpv6Address(inp!)!), out, inp!);
  t.equal(parseIpv6Address('192.0.2.1'), null);
  t.equal(parseIpv4Address('192.0.2.256'), null);
  t.ok(isIpv6LinkLocal(parseIpv6Address('fe80::1')!, 0));
  t.notOk(isIpv6LinkLocal(parseIpv6Address('fec0::1')!, 0));
});

t.test('ICMPv6 checksum matches a kernel-sent packet', async (t) => {
  // DAD neighbour solicitation captured from a Linux vxlan device (see vxlan.test.ts).
  const ip = Buffer.from('6000000000203aff00000000000000000000000000000000ff0200000000000000000001ff00000a8700f6b900000000fe80000000000000000000fffe00000a0e01a9dc288aa5e9', 'hex');
  const sum = ip.readUInt16BE(42);
  ip.writeUInt16BE(0, 42);
  t.equal(icmpv6Checksum(ip, 0, 40, 32), sum);
});
