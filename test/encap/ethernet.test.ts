import t from 'tap';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_QINQ, ETHERTYPE_VLAN, newEthernetHeader, parseEthernet, writeEthernetHeader } from '../../src/encap/ethernet.js';
import { parseMac } from '../../src/encap/mac.js';
import { ethernetFrame } from '../../src/encap/frame-builder.js';

const A = '02:00:00:00:00:01';
const B = '02:00:00:00:00:02';

t.test('untagged', async (t) => {
  const f = ethernetFrame({ dst: B, src: A, ethertype: ETHERTYPE_IPV4 }, Buffer.alloc(46));
  const h = newEthernetHeader();
  t.ok(parseEthernet(f, 0, f.length, h));
  t.equal(h.dst, parseMac(B));
  t.equal(h.src, parseMac(A));
  t.equal(h.ethertype, ETHERTYPE_IPV4);
  t.equal(h.tags, 0);
  t.equal(h.payloadOffset, 14);
});

t.test('802.1Q and 802.1ad tags, at an offset', async (t) => {
  const f = ethernetFrame({ dst: B, src: A, ethertype: ETHERTYPE_ARP, tags: [[ETHERTYPE_QINQ, 200], [ETHERTYPE_VLAN, 2001]] }, Buffer.alloc(28));
  const buf = Buffer.concat([Buffer.alloc(10), f]);
  const h = newEthernetHeader();
  t.ok(parseEthernet(buf, 10, f.length, h));
  t.equal(h.tags, 2);
  t.equal(h.outerTpid, ETHERTYPE_QINQ);
  t.equal(h.outerVid, 200);
  t.equal(h.innerVid, 2001);
  t.equal(h.ethertype, ETHERTYPE_ARP);
  t.equal(h.payloadOffset, 10 + 22);
});

t.test('too short, truncated tag, three tags', async (t) => {
  const h = newEthernetHeader();
  t.notOk(parseEthernet(Buffer.alloc(13), 0, 13, h));
  const tagged = ethernetFrame({ dst: B, src: A, ethertype: ETHERTYPE_IPV4, tags: [[ETHERTYPE_VLAN, 1]], pad: false }, Buffer.alloc(0));
  t.notOk(parseEthernet(tagged, 0, 16, h), 'tag without its ethertype');
  const three = ethernetFrame({ dst: B, src: A, ethertype: ETHERTYPE_IPV4, tags: [[ETHERTYPE_QINQ, 1], [ETHERTYPE_VLAN, 2], [ETHERTYPE_VLAN, 3]] }, Buffer.alloc(40));
  t.notOk(parseEthernet(three, 0, three.length, h));
});

t.test('write header', async (t) => {
  const b = Buffer.alloc(14);
  writeEthernetHeader(b, 0, parseMac(B)!, parseMac(A)!, 0x86dd);
  t.equal(b.toString('hex'), '020000000002020000000001' + '86dd');
});
