import t from 'tap';
import { ARP_REPLY, ARP_REQUEST, newArpPacket, parseArp, writeArp } from '../../src/encap/arp.js';
import { formatIpv4Address } from '../../src/encap/ip.js';
import { macToString } from '../../src/encap/mac.js';

// zeek/communityid-arp.pcap frame 1 payload: who-has 10.0.0.2 tell 10.0.0.1 (padded frame).
const REQUEST = Buffer.from('0001080006040001' + '00000c9f1234' + 'c0a80101' + '000000000000' + 'c0a80102', 'hex');

t.test('parse and write round trip', async (t) => {
  const a = newArpPacket();
  t.ok(parseArp(REQUEST, 0, REQUEST.length, a));
  t.equal(a.op, ARP_REQUEST);
  t.equal(macToString(a.senderMac), '00:00:0c:9f:12:34');
  t.equal(formatIpv4Address(a.senderIp), '192.168.1.1');
  t.equal(formatIpv4Address(a.targetIp), '192.168.1.2');
  const out = Buffer.alloc(28);
  writeArp(out, 0, a);
  t.same(out, REQUEST);
  writeArp(out, 0, { ...a, op: ARP_REPLY });
  t.ok(parseArp(out, 0, 28, a));
  t.equal(a.op, ARP_REPLY);
});

t.test('refuses non-Ethernet/IPv4 ARP and truncation', async (t) => {
  const a = newArpPacket();
  t.notOk(parseArp(REQUEST, 0, 27, a));
  for (const [i, v] of [[1, 6], [2, 0x86], [4, 8], [5, 16]] as const) {
    const b = Buffer.from(REQUEST);
    b[i] = v;
    t.notOk(parseArp(b, 0, b.length, a), `byte ${i}`);
  }
});
