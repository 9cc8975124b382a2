import t from 'tap';
import { formatConfigError, parseConfig } from '../../src/control/config-load.js';
import type { LoadOptions } from '../../src/control/config-types.js';

// Lines 1-9; `members:` or `trunks:` follow on line 10.
const HEADER = `pop:
  name: fmt
  underlay:
    ipv4: 198.51.100.1
    ipv6: 2001:db8:100::1
fabric:
  peering_lan:
    ipv4: 192.0.2.0/24
    ipv6: 2001:db8:ffff::/64
`;

function errorsOf(text: string, opts?: LoadOptions): string[] {
  const r = parseConfig(text, 'cfg.yaml', opts);
  return r.ok ? [] : r.errors.map(formatConfigError);
}

const FP = `"${'ab:'.repeat(31)}ab"`;

t.test('vni range and integer-ness', async (t) => {
  t.same(
    errorsOf(`${HEADER}members:
  - asn: 64500
    name: A
    connections:
      - type: vxlan
        remote: 203.0.113.10
        vni: 0
      - { type: vxlan, remote: 203.0.113.10, vni: 16777216 }
      - { type: vxlan, remote: 203.0.113.10, vni: 1.0 }
      - { type: vxlan, remote: 203.0.113.10, vni: "101" }
`),
    [
      'cfg.yaml:16:14: members[0].connections[0].vni: must be an integer between 1 and 16777215',
      'cfg.yaml:17:51: members[0].connections[1].vni: must be an integer between 1 and 16777215',
      'cfg.yaml:18:51: members[0].connections[2].vni: must be an integer between 1 and 16777215',
      'cfg.yaml:19:51: members[0].connections[3].vni: must be an integer between 1 and 16777215',
    ],
  );
});

t.test('ports and ASNs out of range', async (t) => {
  t.same(
    errorsOf(`${HEADER}trunks:
  - { pop: ams, remote: 198.51.100.2, vni: 10, port: 65536 }
members:
  - asn: 4294967296
    name: A
    connections:
      - { type: vxlan, remote: 203.0.113.10, vni: 1, port: 0 }
      - { type: openvpn, listen_port: -1, peer_fingerprint: ${FP} }
  - asn: AS64501
    name: B
`),
    [
      'cfg.yaml:11:54: trunks[0].port: must be an integer between 1 and 65535',
      'cfg.yaml:13:10: members[0].asn: must be an integer between 1 and 4294967295',
      'cfg.yaml:16:60: members[0].connections[0].port: must be an integer between 1 and 65535',
      'cfg.yaml:17:39: members[0].connections[1].listen_port: must be an integer between 1 and 65535',
      'cfg.yaml:18:10: members[1].asn: must be an integer between 1 and 4294967295',
    ],
  );
});

t.test('duplicate ASN', async (t) => {
  t.same(
    errorsOf(`${HEADER}members:
  - asn: 64500
    name: A
  - asn: 64500
    name: B
`),
    ['cfg.yaml:13:10: members[1].asn: duplicate ASN 64500 (also members[0])'],
  );
});

t.test('duplicate MAC and addresses across and within members', async (t) => {
  t.same(
    errorsOf(`${HEADER}members:
  - asn: 64500
    name: A
    macs: [02:00:00:00:00:01, 02:00:00:00:00:01]
    ipv4: [192.0.2.10]
    ipv6: [2001:db8:ffff::10]
  - asn: 64501
    name: B
    macs: [02-00-00-00-00-01]
    ipv4: [192.0.2.10]
    ipv6: ["2001:db8:ffff:0::10"]
`),
    [
      'cfg.yaml:13:31: members[0].macs[1]: duplicate MAC 02:00:00:00:00:01',
      'cfg.yaml:18:12: members[1].macs[0]: MAC 02:00:00:00:00:01 is also a MAC of members[0] (AS64500)',
      'cfg.yaml:19:12: members[1].ipv4[0]: 192.0.2.10 is also an address of members[0] (AS64500)',
      'cfg.yaml:20:12: members[1].ipv6[0]: 2001:db8:ffff::10 is also an address of members[0] (AS64500)',
    ],
  );
});

t.test('MACs must be well-formed, unicast and non-zero', async (t) => {
  t.same(
    errorsOf(`${HEADER}members:
  - asn: 64500
    name: A
    macs:
      - 01:00:5e:00:00:01
      - 00:00:00:00:00:00
      - 02:00:00:00:00
      - 02:00-00:00:00:01
      - 0200.0000.0001
`),
    [
      'cfg.yaml:14:9: members[0].macs[0]: must be a unicast MAC (multicast bit of the first octet set)',
      'cfg.yaml:15:9: members[0].macs[1]: must not be the all-zero MAC',
      'cfg.yaml:16:9: members[0].macs[2]: must be a MAC address such as 02:00:00:00:00:01',
      'cfg.yaml:17:9: members[0].macs[3]: must be a MAC address such as 02:00:00:00:00:01',
      'cfg.yaml:18:9: members[0].macs[4]: must be a MAC address such as 02:00:00:00:00:01',
    ],
  );
});

t.test('addresses must lie inside the peering LAN', async (t) => {
  t.same(
    errorsOf(`${HEADER}members:
  - asn: 64500
    name: A
    ipv4: [192.0.3.1, 192.0.2.0, 192.0.2.255, 2001:db8:ffff::1]
    ipv6: [2001:db8:fffe::1]
`),
    [
      'cfg.yaml:13:12: members[0].ipv4[0]: 192.0.3.1 is outside the peering LAN 192.0.2.0/24',
      'cfg.yaml:13:23: members[0].ipv4[1]: 192.0.2.0 is the network address of 192.0.2.0/24',
      'cfg.yaml:13:34: members[0].ipv4[2]: 192.0.2.255 is the broadcast address of 192.0.2.0/24',
      'cfg.yaml:13:47: members[0].ipv4[3]: must be an IPv4 address',
      'cfg.yaml:14:12: members[0].ipv6[0]: 2001:db8:fffe::1 is outside the peering LAN 2001:db8:ffff::/64',
    ],
  );
});

t.test('an address family without a peering LAN of that family', async (t) => {
  const base = (lan: string, addr: string) => `pop:
  name: fmt
  underlay:
    ipv4: 198.51.100.1
fabric:
  peering_lan:
    ${lan}
members:
  - asn: 64500
    name: A
    ${addr}
`;
  t.same(errorsOf(base('ipv4: 192.0.2.0/24', 'ipv6: [2001:db8:ffff::10]')), [
    'cfg.yaml:11:12: members[0].ipv6[0]: no IPv6 peering LAN is configured (fabric.peering_lan.ipv6)',
  ]);
  t.same(errorsOf(base('ipv6: 2001:db8:ffff::/64', 'ipv4: [192.0.2.10]')), [
    'cfg.yaml:11:12: members[0].ipv4[0]: no IPv4 peering LAN is configured (fabric.peering_lan.ipv4)',
  ]);
  t.same(
    errorsOf(base('ipv4: 192.0.2.0/33', 'ipv4: [192.0.2.10]')),
    ['cfg.yaml:7:11: fabric.peering_lan.ipv4: must be an IPv4 prefix such as 192.0.2.0/24'],
    'an invalid LAN is reported once, not again for every address',
  );
});

t.test('duplicate port names within one POP, configured or derived', async (t) => {
  t.same(
    errorsOf(`${HEADER}members:
  - asn: 64500
    name: A
    connections:
      - { type: tap, interface: tap1, name: p1 }
      - { type: tap, interface: tap2, name: as64501-tap2 }
  - asn: 64501
    name: B
    connections:
      - { type: tap, interface: tap3, name: p1 }
      - { type: tap, interface: tap4 }
      - { type: tap, interface: tap5, name: p1, pop: ams }
trunks:
  - { pop: ams, remote: 198.51.100.2, vni: 10, name: p1 }
  - { pop: lhr, remote: 198.51.100.3, vni: 10 }
  - { pop: lhr, remote: 198.51.100.4, vni: 10 }
`),
    [
      'cfg.yaml:19:45: members[1].connections[0].name: duplicate port name "p1" on POP fmt (also members[0].connections[0])',
      'cfg.yaml:20:9: members[1].connections[1].name: the derived port name "as64501-tap2" is already used on POP fmt by members[0].connections[1]: set a distinct name',
      'cfg.yaml:23:54: trunks[0].name: duplicate port name "p1" on POP fmt (also members[0].connections[0])',
      'cfg.yaml:25:5: trunks[2].name: the derived port name "trunk-lhr" is already used on POP fmt by trunks[1]: set a distinct name',
    ],
    'the p1 on POP ams does not clash with the p1s of fmt',
  );
});

t.test('two vxlan connections with the same remote and VNI on one POP', async (t) => {
  t.same(
    errorsOf(`${HEADER}trunks:
  - { pop: ams, remote: 203.0.113.10, vni: 101 }
members:
  - asn: 64500
    name: A
    connections:
      - { type: vxlan, remote: 203.0.113.10, vni: 101 }
      - { type: vxlan, remote: "2001:db8::10", vni: 7, port: 4790 }
      - { type: vxlan, remote: "2001:db8:0::10", vni: 7 }
      - { type: vxlan, remote: "2001:db8::10", vni: 8 }
      - { type: vxlan, remote: 203.0.113.10, vni: 101, pop: ams }
`),
    [
      'cfg.yaml:16:51: members[0].connections[0].vni: VXLAN remote 203.0.113.10 with VNI 101 is already used on POP fmt by trunks[0] (received VXLAN is told apart by remote address and VNI)',
      'cfg.yaml:18:55: members[0].connections[2].vni: VXLAN remote 2001:db8::10 with VNI 7 is already used on POP fmt by members[0].connections[1] (received VXLAN is told apart by remote address and VNI)',
    ],
  );
});

t.test('two eoip connections with the same remote and tunnel id; tunnel id range', async (t) => {
  t.same(
    errorsOf(`${HEADER}members:
  - asn: 64500
    name: A
    connections:
      - { type: eoip, remote: 203.0.113.11, tunnel_id: 7 }
      - { type: eoip, remote: 203.0.113.11, tunnel_id: 7 }
      - { type: eoip, remote: 203.0.113.12, tunnel_id: 7 }
      - { type: eoip, remote: "2001:db8::11", tunnel_id: 4096 }
      - { type: eoip, remote: 203.0.113.13, tunnel_id: 65536 }
`),
    [
      'cfg.yaml:15:56: members[0].connections[1].tunnel_id: EoIP remote 203.0.113.11 with tunnel_id 7 is already used on POP fmt by members[0].connections[0]',
      'cfg.yaml:17:58: members[0].connections[3].tunnel_id: must be an integer between 0 and 4095',
      'cfg.yaml:18:56: members[0].connections[4].tunnel_id: must be an integer between 0 and 65535',
    ],
  );
});

t.test('openvpn: duplicate listen_port, clash with vxlan_port, fingerprint format', async (t) => {
  t.same(
    errorsOf(`${HEADER}members:
  - asn: 64500
    name: A
    connections:
      - { type: openvpn, listen_port: 1194, peer_fingerprint: ${FP} }
      - { type: openvpn, listen_port: 1194, peer_fingerprint: ${FP.toUpperCase()} }
      - { type: openvpn, listen_port: 4789, peer_fingerprint: "ab:cd" }
      - type: openvpn
        listen_port: 1196
        peer_fingerprint: SHA256:q1w2e3
`),
    [
      'cfg.yaml:15:39: members[0].connections[1].listen_port: listen_port 1194 is already used on POP fmt by members[0].connections[0]',
      'cfg.yaml:16:39: members[0].connections[2].listen_port: listen_port 4789 is this POP\'s vxlan_port',
      'cfg.yaml:16:63: members[0].connections[2].peer_fingerprint: must be a SHA256 fingerprint (32 hex bytes separated by ":")',
      'cfg.yaml:19:27: members[0].connections[3].peer_fingerprint: must be a SHA256 fingerprint (32 hex bytes separated by ":")',
    ],
  );
});

t.test('interface names: duplicates on one POP, IFNAMSIZ, forbidden characters', async (t) => {
  t.same(
    errorsOf(`${HEADER}members:
  - asn: 64500
    name: A
    connections:
      - { type: ethernet, interface: eth1 }
      - { type: l2, interface: eth1 }
      - { type: tap, interface: tap-as4200000000 }
      - { type: zerotier, interface: "zt/1" }
      - { type: tap, interface: "tap 1" }
      - { type: openvpn, listen_port: 1195, peer_fingerprint: ${FP}, interface: eth1 }
      - { type: ethernet, interface: eth1, pop: ams }
trunks:
  - { pop: ams, remote: 198.51.100.2, vni: 10 }
`),
    [
      'cfg.yaml:15:32: members[0].connections[1].interface: interface eth1 is already used on POP fmt by members[0].connections[0]',
      'cfg.yaml:16:33: members[0].connections[2].interface: must be at most 15 characters long (IFNAMSIZ)',
      'cfg.yaml:17:38: members[0].connections[3].interface: must not contain "/", ":" or whitespace',
      'cfg.yaml:18:33: members[0].connections[4].interface: must not contain "/", ":" or whitespace',
      'cfg.yaml:19:173: members[0].connections[5].interface: interface eth1 is already used on POP fmt by members[0].connections[0]',
    ],
  );
});

t.test('a connection pop must be this POP or a trunk pop', async (t) => {
  t.same(
    errorsOf(`${HEADER}trunks:
  - { pop: ams, remote: 198.51.100.2, vni: 10 }
members:
  - asn: 64500
    name: A
    connections:
      - { type: tap, interface: tap1, pop: fmt }
      - { type: tap, interface: tap2, pop: ams }
      - { type: tap, interface: tap3, pop: xyz }
`),
    ['cfg.yaml:18:44: members[0].connections[2].pop: unknown POP "xyz": must be this POP or a trunk\'s pop (fmt, ams)'],
  );
});

t.test('opts.pop must name a POP of the file', async (t) => {
  t.same(errorsOf(`${HEADER}members: []\n`, { pop: 'xyz' }), [
    'cfg.yaml:2:9: pop.name: the POP selected to run as ("xyz") is neither pop.name nor a trunk\'s pop',
  ]);
});

t.test('tunnel remote family needs a pop.underlay address of that family', async (t) => {
  t.same(
    errorsOf(`pop:
  name: fmt
  underlay:
    ipv4: 198.51.100.1
fabric:
  peering_lan:
    ipv4: 192.0.2.0/24
trunks:
  - { pop: ams, remote: "2001:db8:1::2", vni: 10 }
members:
  - asn: 64500
    name: A
    connections:
      - { type: vxlan, remote: "2001:db8::10", vni: 1 }
      - { type: vxlan, remote: "2001:db8::10", vni: 2, local: "2001:db8:100::1" }
      - { type: eoip, remote: "2001:db8::11", tunnel_id: 1 }
      - { type: vxlan, remote: "2001:db8::12", vni: 3, local: 198.51.100.1 }
      - { type: vxlan, pop: ams, remote: "2001:db8::13", vni: 4 }
`),
    [
      'cfg.yaml:9:25: trunks[0].remote: is an IPv6 address but POP fmt has no pop.underlay.ipv6',
      'cfg.yaml:14:32: members[0].connections[0].remote: is an IPv6 address but POP fmt has no pop.underlay.ipv6 (or set local)',
      'cfg.yaml:16:31: members[0].connections[2].remote: is an IPv6 address but POP fmt has no pop.underlay.ipv6',
      'cfg.yaml:17:63: members[0].connections[3].local: must be of the same address family as remote (IPv6)',
    ],
    'connections of another POP are not held to this POP\'s underlay',
  );
});

t.test('unknown keys at every level, at the key', async (t) => {
  t.same(
    errorsOf(`pop:
  name: fmt
  underlay:
    ipv4: 198.51.100.1
    ipv5: 1.2.3.4
fabric:
  peering_lan:
    ipv4: 192.0.2.0/24
  fdb:
    max: 1
members:
  - asn: 64500
    name: A
    policy:
      ra_gaurd: false
    connections:
      - type: vxlan
        remote: 203.0.113.10
        vni: 1
        tunnel_id: 3
      - type: gre
        remote: 203.0.113.10
route_servers: {}
`),
    [
      'cfg.yaml:5:5: pop.underlay.ipv5: unknown key',
      'cfg.yaml:10:5: fabric.fdb.max: unknown key',
      'cfg.yaml:15:7: members[0].policy.ra_gaurd: unknown key',
      'cfg.yaml:20:9: members[0].connections[0].tunnel_id: unknown key',
      'cfg.yaml:21:15: members[0].connections[1].type: must be one of vxlan, eoip, openvpn, zerotier, ethernet, l2, tap',
      'cfg.yaml:23:1: route_servers: unknown key',
    ],
    'keys of a connection with an invalid type are not reported as unknown',
  );
});

t.test('missing keys are reported at the parent map', async (t) => {
  t.same(
    errorsOf(`pop:
  underlay: {}
members:
  - asn: 64500
    connections:
      - type: vxlan
        remote: 203.0.113.10
      - { type: tap }
`),
    [
      'cfg.yaml:1:1: fabric: required',
      'cfg.yaml:2:3: pop.name: required',
      'cfg.yaml:2:13: pop.underlay: needs an ipv4 or an ipv6 address (or both)',
      'cfg.yaml:4:5: members[0].name: required',
      'cfg.yaml:6:9: members[0].connections[0].vni: required',
      'cfg.yaml:8:9: members[0].connections[1].interface: required',
    ],
  );
});

t.test('wrong shapes', async (t) => {
  t.same(errorsOf('just a string\n'), ['cfg.yaml:1:1: (document): must be a map']);
  t.same(errorsOf(''), ['cfg.yaml:1:1: pop: required', 'cfg.yaml:1:1: fabric: required']);
  t.same(
    errorsOf(`${HEADER}members:
  asn: 64500
trunks: [1]
control:
  socket: run/ixfabric.sock
  metrics: true
  socket_mode: 0999
  socket_group: "a b"
`),
    [
      'cfg.yaml:11:3: members: must be a list',
      'cfg.yaml:12:10: trunks[0]: must be a map',
      'cfg.yaml:14:11: control.socket: must be an absolute path',
      'cfg.yaml:15:12: control.metrics: must be host:port (IPv6 as [::1]:9477), or false to disable',
      'cfg.yaml:16:16: control.socket_mode: must be an octal permission mode such as 0660',
      'cfg.yaml:17:17: control.socket_group: must be a group name or a numeric gid',
    ],
  );
});

t.test('YAML syntax errors carry their position; nothing else is reported', async (t) => {
  t.same(
    errorsOf(`pop:
  name: fmt
  name: ams
fabric: [
`),
    [
      'cfg.yaml:3:3: (yaml): Map keys must be unique',
      'cfg.yaml:5:1: (yaml): Flow sequence in block collection must be sufficiently indented and end with a ]',
    ],
  );
  t.same(errorsOf('pop:\n  name: fmt\n\tfabric: x\n'), ['cfg.yaml:3:1: (yaml): Tabs are not allowed as indentation']);
});

t.test('all errors together, sorted by position', async (t) => {
  const errors = errorsOf(`members:
  - asn: 64500
    name: A
    macs: [ff:ff:ff:ff:ff:ff]
    ipv4: [192.0.2.10]
  - asn: 64500
    name: B
    ipv4: [192.0.2.10]
    connections:
      - { type: vxlan, remote: 203.0.113.10, vni: 99999999 }
pop:
  name: fmt
  underlay:
    ipv4: 198.51.100.1
  vxlan_port: 0
fabric:
  peering_lan:
    ipv4: 192.0.2.0/24
  bum_pps_per_port: many
`);
  t.same(errors, [
    'cfg.yaml:4:12: members[0].macs[0]: must be a unicast MAC (multicast bit of the first octet set)',
    'cfg.yaml:6:10: members[1].asn: duplicate ASN 64500 (also members[0])',
    'cfg.yaml:8:12: members[1].ipv4[0]: 192.0.2.10 is also an address of members[0] (AS64500)',
    'cfg.yaml:10:51: members[1].connections[0].vni: must be an integer between 1 and 16777215',
    'cfg.yaml:15:15: pop.vxlan_port: must be an integer between 1 and 65535',
    'cfg.yaml:19:21: fabric.bum_pps_per_port: must be an integer between 1 and 10000000',
  ]);
});

t.test('policy values', async (t) => {
  t.same(
    errorsOf(`${HEADER}members:
  - asn: 64500
    name: A
    policy:
      allow_vlan_tags: true
      extra_ethertypes: [0x0800, 0x8100, 0x05ff, "x"]
      max_macs: -1
      ra_guard: "no"
  - asn: 64501
    name: B
    policy:
      allow_vlan_tags: [0, 4095, 100]
`),
    [
      'cfg.yaml:14:24: members[0].policy.allow_vlan_tags: must be false or a list of VLAN ids',
      'cfg.yaml:15:34: members[0].policy.extra_ethertypes[1]: must not be a VLAN tag ethertype: use allow_vlan_tags',
      'cfg.yaml:15:42: members[0].policy.extra_ethertypes[2]: must be an ethertype between 0x0600 and 0xffff, e.g. 0x88cc',
      'cfg.yaml:15:50: members[0].policy.extra_ethertypes[3]: must be an ethertype between 0x0600 and 0xffff, e.g. 0x88cc',
      'cfg.yaml:16:17: members[0].policy.max_macs: must be an integer between 0 and 1000000',
      'cfg.yaml:17:17: members[0].policy.ra_guard: must be true or false',
      'cfg.yaml:21:25: members[1].policy.allow_vlan_tags[0]: must be an integer between 1 and 4094',
      'cfg.yaml:21:28: members[1].policy.allow_vlan_tags[1]: must be an integer between 1 and 4094',
    ],
  );
});

t.test('alias bombs are cut short', async (t) => {
  const refs = Array.from({ length: 1100 }, () => '*c').join(', ');
  const text = `${HEADER}x-conns: &c [{ type: tap, interface: tap0 }]
members:
  - asn: 64500
    name: A
    connections: [${refs}]
`;
  const errors = errorsOf(text);
  t.ok(errors.some((e) => e.endsWith('(yaml): more than 1000 alias uses')), 'reported');
  t.ok(errors.length < 10, 'without an avalanche of follow-up errors');
});
