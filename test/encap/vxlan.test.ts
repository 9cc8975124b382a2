import t from 'tap';
import { decodeVxlan, vxlanSourcePort, writeVxlanHeader } from '../../src/encap/vxlan.js';
import { udp4Frame } from '../../src/encap/frame-builder.js';

// Captured on this kind of machine from a Linux kernel vxlan device (id 101, dstport 4789,
// 10.99.0.1 -> 10.99.0.2): outer Ethernet + IPv4 + UDP + VXLAN + an inner DAD neighbour
// solicitation from 02:00:00:00:00:0a.
const CAPTURED = Buffer.from(
  'a624d506c50b4a5912f43bbf08004500007a1e090000401147a20a6300010a630002cf4512b50066154008000000000065003333ff00000a02000000000a86dd6000000000203aff00000000000000000000000000000000ff0200000000000000000001ff00000a8700f6b900000000fe80000000000000000000fffe00000a0e01a9dc288aa5e9',
  'hex',
);
const UDP_PAYLOAD = 14 + 20 + 8;

t.test('decodes the captured kernel packet', async (t) => {
  t.equal(CAPTURED.readUInt16BE(14 + 20 + 2), 4789, 'destination port');
  const vni = decodeVxlan(CAPTURED, UDP_PAYLOAD, CAPTURED.length - UDP_PAYLOAD);
  t.equal(vni, 101);
  const inner = CAPTURED.subarray(UDP_PAYLOAD + 8);
  t.equal(inner.subarray(6, 12).toString('hex'), '02000000000a');
});

t.test('encodes byte for byte what the kernel sent', async (t) => {
  const inner = CAPTURED.subarray(UDP_PAYLOAD + 8);
  const out = Buffer.alloc(8 + inner.length);
  writeVxlanHeader(out, 0, 101);
  inner.copy(out, 8);
  t.same(out, CAPTURED.subarray(UDP_PAYLOAD));
  t.equal(out.subarray(0, 8).toString('hex'), '0800000000006500');
});

t.test('accepts only what Linux accepts', async (t) => {
  const good = Buffer.from(CAPTURED.subarray(UDP_PAYLOAD));
  t.equal(decodeVxlan(good, 0, good.length), 101);
  const cases: [string, (b: Buffer) => void][] = [
    ['I flag clear', (b) => (b[0] = 0)],
    ['G flag set', (b) => (b[0] = 0x88)],
    ['reserved byte 1', (b) => (b[1] = 1)],
    ['reserved byte 3', (b) => (b[3] = 0x80)],
    ['reserved low byte', (b) => (b[7] = 1)],
  ];
  for (const [name, mutate] of cases) {
    const b = Buffer.from(good);
    mutate(b);
    t.equal(decodeVxlan(b, 0, b.length), -1, name);
  }
  t.equal(decodeVxlan(good, 0, 8 + 13), -1, 'inner frame shorter than an Ethernet header');
  t.equal(decodeVxlan(good, 0, 7), -1, 'shorter than the header');
  const max = Buffer.alloc(8 + 14);
  writeVxlanHeader(max, 0, 0xffffff);
  t.equal(decodeVxlan(max, 0, max.length), 0xffffff);
});

t.test('source port: same flow same port, in the Linux ephemeral range, spreads flows', async (t) => {
  const f = (sport: number) => udp4Frame({ dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', srcIp: '192.0.2.1', dstIp: '192.0.2.2', sport, dport: 179 });
  const a = vxlanSourcePort(f(40000), 0, 60);
  t.equal(vxlanSourcePort(f(40000), 0, 60), a);
  const ports = new Set<number>();
  for (let s = 1000; s < 1100; s++) {
    const p = vxlanSourcePort(f(s), 0, 60);
    t.ok(p >= 32768 && p <= 60999);
    ports.add(p);
  }
  t.ok(ports.size > 90, `100 flows map to ${ports.size} ports`);
  // The IPv4 identification and checksum change per packet; the port must not.
  const g = f(40000);
  g.writeUInt16BE(0x1234, 14 + 4);
  g.writeUInt16BE(0xbeef, 14 + 10);
  t.equal(vxlanSourcePort(g, 0, 60), a);
});
