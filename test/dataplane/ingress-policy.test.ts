// Every exchange-hygiene rule: one frame that passes and one that drops with the named reason.
import t from 'tap';
import { A, B, C, TRUNK1, makeCore, one } from '../helpers/core-fixture.js';
import { arpFrame, ethernetFrame, icmpv6Packet, ipv4Packet, ipv6Packet, ndFrame, udp4Frame, udpDatagram, icmpEchoFrame } from '../../src/encap/frame-builder.js';
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_LLDP, ETHERTYPE_QINQ, ETHERTYPE_VLAN } from '../../src/encap/ethernet.js';
import { ICMPV6_NA, ICMPV6_NS } from '../../src/encap/nd.js';
import { EGRESS_FLOOD } from '../../src/dataplane/switch-core.js';

const ping = (o: Partial<Parameters<typeof icmpEchoFrame>[0]> = {}) =>
  icmpEchoFrame({ dst: B.mac, src: A.mac, srcIp: A.ipv4, dstIp: B.ipv4, ...o });

function pair(name: string, reason: string, pass: () => Buffer, drop: () => Buffer, opts: Parameters<typeof makeCore>[0] = {}, port = A.port) {
  t.test(`${name}: ${reason}`, async (t) => {
    const core = makeCore(opts);
    const ok = one(core, pass(), port);
    t.equal(ok.reason, undefined, 'the good frame passes');
    t.not(ok.egress, -2);
    const bad = one(core, drop(), port);
    t.equal(bad.reason, reason, `the bad frame is dropped as ${reason}`);
    t.equal(core.counters.port(port).drops[reason], 1, 'counted on the ingress port');
  });
}

pair('short frame', 'malformed', () => ping(), () => ping().subarray(0, 13));
pair('broken IPv4 header', 'malformed', () => ping(), () => { const f = ping(); f[14] = 0x41; return f; });

pair('only IPv4, ARP and IPv6', 'ethertype', () => ping(),
  () => ethernetFrame({ dst: B.mac, src: A.mac, ethertype: 0x8847 }, Buffer.alloc(46)));
pair('extra ethertype when configured', 'ethertype',
  () => ethernetFrame({ dst: B.mac, src: A.mac, ethertype: 0x88b5 }, Buffer.alloc(46)),
  () => ethernetFrame({ dst: B.mac, src: A.mac, ethertype: 0x88b6 }, Buffer.alloc(46)), { policy: { extra_ethertypes: [0x88b5] } });
pair('802.3 length frames', 'ethertype', () => ping(),
  () => ethernetFrame({ dst: B.mac, src: A.mac, ethertype: 46 }, Buffer.alloc(46)));

pair('no 802.1Q unless configured', 'vlan_tagged', () => ping(), () => ping({ tags: [[ETHERTYPE_VLAN, 100]] }));
pair('802.1ad too', 'vlan_tagged', () => ping(), () => ping({ tags: [[ETHERTYPE_QINQ, 200], [ETHERTYPE_VLAN, 100]] }));
pair('configured VLAN ids', 'vlan_tagged', () => ping({ tags: [[ETHERTYPE_VLAN, 100]] }), () => ping({ tags: [[ETHERTYPE_VLAN, 101]] }),
  { policy: { allow_vlan_tags: [100] } });

pair('STP BPDU', 'link_local', () => ping(), () => ethernetFrame({ dst: '01:80:c2:00:00:00', src: A.mac, ethertype: 38 }, Buffer.alloc(46)));
pair('LLDP', 'link_local', () => ping(), () => ethernetFrame({ dst: '01:80:c2:00:00:0e', src: A.mac, ethertype: ETHERTYPE_LLDP }, Buffer.alloc(46)));
pair('LACP', 'link_local', () => ping(), () => ethernetFrame({ dst: '01:80:c2:00:00:02', src: A.mac, ethertype: 0x8809 }, Buffer.alloc(46)));
pair('CDP', 'link_local', () => ping(), () => ethernetFrame({ dst: '01:00:0c:cc:cc:cc', src: A.mac, ethertype: 100 }, Buffer.alloc(46)));
pair('PVST+', 'link_local', () => ping(), () => ethernetFrame({ dst: '01:00:0c:cc:cc:cd', src: A.mac, ethertype: 50 }, Buffer.alloc(46)));
pair('link-local also from a trunk', 'link_local', () => ping({ src: '02:00:00:00:99:01' }),
  () => ethernetFrame({ dst: '01:80:c2:00:00:00', src: '02:00:00:00:99:01', ethertype: 38 }, Buffer.alloc(46)), {}, TRUNK1);

const ra = (src = A.mac) => ethernetFrame({ dst: '33:33:00:00:00:01', src, ethertype: ETHERTYPE_IPV6 },
  icmpv6Packet('fe80::a', 'ff02::1', Buffer.from('8600000040000708000000000000000001010200000000' + '0a', 'hex')));
const redirect = () => ethernetFrame({ dst: B.mac, src: A.mac, ethertype: ETHERTYPE_IPV6 },
  icmpv6Packet('fe80::a', 'fe80::b', Buffer.concat([Buffer.from([137, 0, 0, 0, 0, 0, 0, 0]), Buffer.alloc(32)])));
pair('router advertisement', 'ra_guard', () => ping(), () => ra());
pair('redirect', 'ra_guard', () => ping(), () => redirect());
pair('RA behind a hop-by-hop header', 'ra_guard', () => ping(), () => {
  const icmp = Buffer.from('86000000400000000000000000000000', 'hex');
  const p = ipv6Packet('fe80::a', 'ff02::1', 0, Buffer.concat([Buffer.from([58, 0, 5, 2, 0, 0, 1, 0]), icmp]), 255);
  return ethernetFrame({ dst: '33:33:00:00:00:01', src: A.mac, ethertype: ETHERTYPE_IPV6 }, p);
});

const dhcpOffer = () => udp4Frame({ dst: 'ff:ff:ff:ff:ff:ff', src: A.mac, srcIp: A.ipv4, dstIp: '255.255.255.255', sport: 67, dport: 68, payload: Buffer.alloc(240) });
pair('DHCPv4 server', 'dhcp_guard', () => udp4Frame({ dst: B.mac, src: A.mac, srcIp: A.ipv4, dstIp: B.ipv4, sport: 40000, dport: 67 }), dhcpOffer);
pair('DHCPv6 server', 'dhcp_guard', () => ping(), () => ethernetFrame({ dst: '33:33:00:01:00:02', src: A.mac, ethertype: ETHERTYPE_IPV6 },
  ipv6Packet('fe80::a', 'fe80::b', 17, udpDatagram(547, 546, Buffer.alloc(20)))));

pair('source MAC must be the member\'s', 'src_mac', () => ping(), () => ping({ src: '02:00:00:00:00:99' }));
pair('multicast source MAC', 'src_mac', () => ping({ src: '02:00:00:00:00:99' }), () => ping({ src: '03:00:00:00:00:99' }), {}, C.port);
pair('static MAC of another port', 'src_mac', () => ping({ src: '02:00:00:00:00:99' }), () => ping({ src: A.mac }), { statics: true }, C.port);

t.test('learned-MAC limit: mac_limit', async (t) => {
  const core = makeCore({ policy: { max_macs: 2 } });
  for (const n of [1, 2]) t.equal(one(core, ping({ src: `02:00:00:00:01:0${n}` }), C.port).reason, undefined);
  t.equal(one(core, ping({ src: '02:00:00:00:01:01' }), C.port).reason, undefined, 'a known MAC keeps working');
  t.equal(one(core, ping({ src: '02:00:00:00:01:03' }), C.port).reason, 'mac_limit');
  t.equal(core.fdb.lookup(0x020000000103), -1, 'not learned');
});

const arp = (o: Partial<Parameters<typeof arpFrame>[0]> = {}) => arpFrame({ op: 1, senderMac: A.mac, senderIp: A.ipv4, targetIp: B.ipv4, ...o });
pair('ARP request for its own address', 'arp_spoof', () => arp(), () => arp({ senderIp: B.ipv4 }));
pair('spoofed ARP reply', 'arp_spoof', () => arp({ op: 2, targetMac: B.mac, targetIp: B.ipv4 }), () => arp({ op: 2, senderIp: B.ipv4, targetMac: B.mac, targetIp: B.ipv4 }));
pair('ARP sender MAC differs from the frame', 'arp_spoof', () => arp({ senderIp: '0.0.0.0' }), () => arp({ senderMac: '02:00:00:00:00:77', ethSrc: A.mac }));
pair('ARP for an address outside the registry', 'arp_spoof', () => arp(), () => arp({ senderIp: '192.0.2.200' }));

const ns = (o: Partial<Parameters<typeof ndFrame>[0]> = {}) => ndFrame({ type: ICMPV6_NS, srcMac: A.mac, srcIp: A.ipv6, target: B.ipv6, ...o });
const na = (o: Partial<Parameters<typeof ndFrame>[0]> = {}) => ndFrame({ type: ICMPV6_NA, srcMac: A.mac, srcIp: A.ipv6, target: A.ipv6, ...o });
pair('NA for its own address', 'nd_spoof', () => na(), () => na({ target: B.ipv6 }));
pair('NS from its own address', 'nd_spoof', () => ns(), () => ns({ srcIp: B.ipv6 }));
pair('NS link-layer option must be the frame source', 'nd_spoof', () => ns({ srcIp: 'fe80::a' }), () => ns({ linkAddr: '02:00:00:00:00:77' }));
pair('DAD is allowed, a foreign TLLA is not', 'nd_spoof', () => ns({ srcIp: '::', linkAddr: null, target: A.ipv6 }), () => na({ linkAddr: B.mac }));
pair('link-local claims can be forbidden', 'nd_spoof', () => na(), () => na({ target: 'fe80::a' }), { policy: { allow_link_local_nd: false } });

pair('broadcast that is not ARP', 'multicast', () => arp(),
  () => udp4Frame({ dst: 'ff:ff:ff:ff:ff:ff', src: A.mac, srcIp: A.ipv4, dstIp: '255.255.255.255', sport: 5678, dport: 5678 }));
pair('IPv4 multicast', 'multicast', () => ping(), () => ping({ dst: '01:00:5e:00:00:05', dstIp: '224.0.0.5' }));
pair('MLD report', 'multicast', () => ns(), () => ethernetFrame({ dst: '33:33:00:00:00:16', src: A.mac, ethertype: ETHERTYPE_IPV6 },
  icmpv6Packet('fe80::a', 'ff02::16', Buffer.from('8f00000000000001040000000000000000000000000000000000000000000000', 'hex'), 1)));

t.test('bum_rate: broadcast and unknown unicast are rate limited per port', async (t) => {
  const core = makeCore({ policy: { bum_pps: 5 } });
  const results = [];
  for (let i = 0; i < 8; i++) results.push(one(core, arp(), A.port, 10).reason);
  t.same(results, [undefined, undefined, undefined, undefined, undefined, 'bum_rate', 'bum_rate', 'bum_rate']);
  t.equal(one(core, arp(), A.port, 10.5).reason, undefined, 'tokens refill');
  t.equal(one(core, ping({ src: B.mac, dst: '02:00:00:00:00:55' }), B.port, 10).egress, EGRESS_FLOOD, 'other ports have their own bucket');
  for (let i = 0; i < 10; i++) t.equal(one(core, ping(), A.port, 10.5).egress, B.port);
  t.equal(core.counters.port(A.port).drops.bum_rate, 3, 'known unicast is not limited');
});

t.test('guards can be switched off per port', async (t) => {
  const core = makeCore({ policy: { arp_guard: false, ra_guard: false, dhcp_guard: false, nd_guard: false, filter_link_local: false } });
  t.equal(one(core, arp({ senderIp: B.ipv4 }), A.port).reason, undefined);
  t.equal(one(core, ra(), A.port).reason, 'multicast', 'an RA without the guard is still multicast');
  t.equal(one(core, ethernetFrame({ dst: '01:80:c2:00:00:0e', src: A.mac, ethertype: ETHERTYPE_IPV4 }, ipv4Packet(A.ipv4, B.ipv4, 6, Buffer.alloc(20))), A.port).reason, 'multicast');
  t.equal(one(core, na({ target: B.ipv6 }), A.port).reason, undefined);
});

t.test('trunks are trusted except for link-local control frames', async (t) => {
  const core = makeCore();
  t.equal(one(core, ra('02:00:00:00:99:01'), TRUNK1).egress, EGRESS_FLOOD);
  t.equal(one(core, dhcpOffer(), TRUNK1).egress, EGRESS_FLOOD);
  t.equal(one(core, ethernetFrame({ dst: B.mac, src: '02:00:00:00:99:01', ethertype: ETHERTYPE_IPV4, tags: [[ETHERTYPE_VLAN, 5]] }, Buffer.alloc(46)), TRUNK1).reason, undefined);
});
