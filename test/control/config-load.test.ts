import { writeFileSync } from 'node:fs';
import t from 'tap';
import { DEFAULTS, formatConfigError, loadConfig, parseConfig } from '../../src/control/config-load.js';
import type { Config, LoadOptions, PortConfig } from '../../src/control/config-types.js';

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

function configOf(text: string, opts?: LoadOptions): Config {
  const r = parseConfig(text, 'cfg.yaml', opts);
  if (!r.ok) throw new Error(`unexpected errors:\n${r.errors.map(formatConfigError).join('\n')}`);
  return r.config;
}

function port(c: Config, name: string): PortConfig {
  const p = c.ports.find((x) => x.name === name);
  if (!p) throw new Error(`no port ${name} in ${c.ports.map((x) => x.name).join(', ')}`);
  return p;
}

const EXAMPLE = new URL('../../examples/ixfabric.yaml', import.meta.url).pathname;

t.test('the example file validates', async (t) => {
  const r = loadConfig(EXAMPLE);
  t.ok(r.ok, r.ok ? 'valid' : r.errors.map(formatConfigError).join('\n'));
  if (!r.ok) return;
  const c = r.config;
  t.equal(c.pop, 'fmt');
  t.equal(c.path, EXAMPLE);
  t.same(
    c.ports.map((p) => p.name),
    ['trunk-ams', 'as64500-vx', 'as64500-vx2', 'mikrotik-hobby', 'as64502-ovpn', 'as64503-zt', 'as64503-eth', 'as64503-l2', 'as64503-tap'],
  );
  t.same(c.control, {
    socket: '/run/ixfabric/ixfabric.sock',
    socketGroup: 'ixfabric',
    socketMode: 0o660,
    metrics: { host: '127.0.0.1', port: 9477 },
    stateDir: '/var/lib/ixfabric',
  });
  t.same(c.members[1]?.macs, ['4c:5e:0c:00:00:01'], 'MAC lowercased, "-" replaced');
  t.same(c.members.map((m) => m.ports.length), [2, 1, 1, 4]);
  const ovpn = port(c, 'as64502-ovpn');
  t.match(ovpn, { type: 'openvpn', listenPort: 1195, interface: 'ovpn1195', kind: 'member', memberAsn: 64502 });
  const v6 = port(c, 'as64500-vx2');
  t.match(v6, { type: 'vxlan', family: 6, local: '2001:db8:100::1', port: 4789, listenPort: 4789 });
  t.same(port(c, 'as64503-zt'), { ...port(c, 'as64503-zt'), mtu: 2800 });
  const lab = c.members[3];
  t.same(lab?.policy, {
    allowVlanTags: [200],
    extraEthertypes: [0x88b5],
    maxMacs: 4,
    bumPps: 200,
    raGuard: true,
    dhcpGuard: true,
    arpGuard: true,
    ndGuard: true,
    allowLinkLocalNd: true,
    filterLinkLocal: true,
  });
  t.same(JSON.parse(JSON.stringify(c)), c, 'plain data: survives a JSON round trip');
});

t.test('the example validates for the other POP too (opts.pop)', async (t) => {
  const r = loadConfig(EXAMPLE, { pop: 'ams' });
  t.ok(r.ok, r.ok ? 'valid' : r.errors.map(formatConfigError).join('\n'));
  if (!r.ok) return;
  t.equal(r.config.pop, 'ams');
  t.ok(r.config.ports.some((p) => p.name === 'trunk-fmt'), 'trunk towards fmt');
  t.notOk(r.config.ports.some((p) => p.name === 'trunk-ams'), 'no trunk to itself');
  t.ok(r.config.ports.some((p) => p.kind === 'member' && p.type === 'vxlan' && p.vni === 103), 'its own connection');
});

t.test('defaults are filled in', async (t) => {
  const c = configOf(`pop:
  name: fmt
  underlay:
    ipv4: 198.51.100.1
fabric:
  peering_lan:
    ipv4: 192.0.2.0/24
members:
  - asn: 64500
    name: A
    connections:
      - type: vxlan
        remote: 203.0.113.10
        vni: 101
      - type: tap
        interface: tap0
`);
  t.equal(c.vxlanPort, 4789);
  t.same(c.underlay, { ipv4: '198.51.100.1', ipv6: null });
  t.same(c.fabric, {
    peeringLan: { ipv4: '192.0.2.0/24', ipv6: null },
    fdb: { agingS: 300, maxEntries: 100000, maxMacsPerPort: 4 },
    bumPpsPerPort: 500,
    arpNdProxy: false,
  });
  t.same(c.control, {
    socket: '/run/ixfabric/ixfabric.sock',
    socketGroup: null,
    socketMode: 0o660,
    metrics: { host: '127.0.0.1', port: 9477 },
    stateDir: '/var/lib/ixfabric',
  });
  t.same(c.members[0], {
    asn: 64500,
    name: 'A',
    macs: [],
    ipv4: [],
    ipv6: [],
    policy: {
      allowVlanTags: [],
      extraEthertypes: [],
      maxMacs: 4,
      bumPps: 500,
      raGuard: true,
      dhcpGuard: true,
      arpGuard: true,
      ndGuard: true,
      allowLinkLocalNd: true,
      filterLinkLocal: true,
    },
    ports: ['as64500-vx', 'as64500-tap'],
    connectionCount: 2,
    routeServer: { enabled: true, maxPrefix: { ipv4: 1000, ipv6: 1000, action: 'restart' }, asSet: null, passive: false },
    source: 'yaml',
  });
  t.match(port(c, 'as64500-vx'), { remote: '203.0.113.10', family: 4, vni: 101, port: 4789, local: '198.51.100.1' });
  t.match(port(c, 'as64500-tap'), { interface: 'tap0', mtu: DEFAULTS.mtu });
});

t.test('fabric settings feed the effective policy; member policy overrides them', async (t) => {
  const c = configOf(`${HEADER}  fdb:
    max_macs_per_port: 2
  bum_pps_per_port: 50
members:
  - asn: 64500
    name: A
    policy:
      max_macs: 0
      ra_guard: false
      allow_vlan_tags: [300, 200, 300]
  - asn: 64501
    name: B
    policy:
      allow_vlan_tags: false
      extra_ethertypes: [0x88cc, "0x88B5"]
`);
  t.match(c.members[0]?.policy, { maxMacs: 0, bumPps: 50, raGuard: false, dhcpGuard: true, allowVlanTags: [200, 300] });
  t.match(c.members[1]?.policy, { maxMacs: 2, bumPps: 50, raGuard: true, allowVlanTags: [], extraEthertypes: [0x88b5, 0x88cc] });
});

t.test('derived port names', async (t) => {
  const c = configOf(`${HEADER}members:
  - asn: 64500
    name: A
    connections:
      - { type: vxlan, remote: 203.0.113.10, vni: 1 }
      - { type: vxlan, remote: 203.0.113.10, vni: 2, name: second }
      - { type: vxlan, remote: 203.0.113.10, vni: 3 }
      - { type: eoip, remote: 203.0.113.11, tunnel_id: 1 }
      - { type: eoip, remote: 203.0.113.11, tunnel_id: 2 }
      - { type: openvpn, listen_port: 1194, peer_fingerprint: "${'ab:'.repeat(31)}ab" }
      - { type: zerotier, interface: zt0 }
      - { type: ethernet, interface: eth1 }
      - { type: l2, interface: vlan10 }
      - { type: tap, interface: tap1 }
trunks:
  - { pop: ams, remote: 198.51.100.2, vni: 10 }
  - { pop: lhr, remote: 198.51.100.3, vni: 10, name: to-london }
`);
  t.same(
    c.ports.map((p) => p.name),
    ['as64500-vx', 'second', 'as64500-vx3', 'as64500-eoip', 'as64500-eoip2', 'as64500-ovpn', 'as64500-zt', 'as64500-eth', 'as64500-l2', 'as64500-tap', 'trunk-ams', 'to-london'],
    'suffix counts every connection of that type, named or not; file order',
  );
  t.match(port(c, 'trunk-ams'), { kind: 'trunk', type: 'vxlan', memberAsn: null, trunkPop: 'ams', policy: null, port: 4789 });
  t.match(port(c, 'as64500-ovpn'), { peerFingerprint: `${'ab:'.repeat(31)}ab` });
});

const REGISTRY = `pop:
  name: fmt
  underlay:
    ipv4: 198.51.100.1
fabric:
  peering_lan:
    ipv4: 192.0.2.0/24
trunks:
  - { pop: fmt, remote: 198.51.100.1, vni: 10 }
  - { pop: ams, remote: 198.51.100.2, vni: 10 }
  - { pop: lhr, remote: 198.51.100.3, vni: 10, port: 4790 }
members:
  - asn: 64500
    name: A
    connections:
      - { type: vxlan, pop: fmt, remote: 203.0.113.10, vni: 101 }
      - { type: vxlan, pop: ams, remote: 203.0.113.10, vni: 101 }
      - { type: ethernet, pop: lhr, interface: eth1 }
      - { type: ethernet, pop: ams, interface: eth1 }
`;

t.test('one registry for every POP: opts.pop selects, a trunk to itself is skipped', async (t) => {
  const fmt = configOf(REGISTRY);
  t.equal(fmt.pop, 'fmt');
  t.same(fmt.ports.map((p) => p.name), ['trunk-ams', 'trunk-lhr', 'as64500-vx']);
  t.match(port(fmt, 'trunk-lhr'), { type: 'vxlan', port: 4790, remote: '198.51.100.3' });
  const ams = configOf(REGISTRY, { pop: 'ams' });
  t.same(ams.ports.map((p) => p.name), ['trunk-fmt', 'trunk-lhr', 'as64500-vx', 'as64500-eth']);
  const lhr = configOf(REGISTRY, { pop: 'lhr' });
  t.same(lhr.ports.map((p) => p.name), ['trunk-fmt', 'trunk-ams', 'as64500-eth']);
  t.same(lhr.members[0]?.ports, ['as64500-eth']);
  t.same(configOf(REGISTRY, { pop: 'fmt' }), fmt, 'opts.pop equal to pop.name changes nothing');
});

t.test('canonical forms', async (t) => {
  const c = configOf(`pop:
  name: fmt
  underlay:
    ipv6: 2001:DB8:0100:0:0:0:0:0001
fabric:
  peering_lan:
    ipv4: 192.0.2.77/24
    ipv6: 2001:db8:ffff:0:1:2:3:4/64
control:
  metrics: "[0:0::1]:9100"
  socket_mode: 0o600
  socket_group: 998
members:
  - asn: 64500
    name: 4200
    macs: [AA-BB-CC-DD-EE-FF, "02:0A:0b:0C:0d:0E"]
    ipv6: [2001:db8:ffff:0000::00a0]
    connections:
      - { type: vxlan, remote: "2001:db8:0:0:1:0:0:1", vni: 1 }
`);
  t.equal(c.underlay.ipv6, '2001:db8:100::1');
  t.same(c.fabric.peeringLan, { ipv4: '192.0.2.0/24', ipv6: '2001:db8:ffff::/64' });
  t.same(c.control.metrics, { host: '::1', port: 9100 });
  t.equal(c.control.socketMode, 0o600);
  t.equal(c.control.socketGroup, 998);
  t.equal(c.members[0]?.name, '4200', 'a plain number is taken as written');
  t.same(c.members[0]?.macs, ['aa:bb:cc:dd:ee:ff', '02:0a:0b:0c:0d:0e']);
  t.same(c.members[0]?.ipv6, ['2001:db8:ffff::a0']);
  t.match(port(c, 'as64500-vx'), { remote: '2001:db8::1:0:0:1', family: 6, local: '2001:db8:100::1' });
});

t.test('metrics and socket_mode variants', async (t) => {
  const ctl = (lines: string) =>
    configOf(`${HEADER}control:\n${lines}`).control;
  t.equal(ctl('  metrics: false\n').metrics, null);
  t.equal(ctl('  metrics:\n').metrics, null, 'empty value disables too');
  t.equal(ctl('  metrics: ~\n').metrics, null);
  t.same(ctl('  metrics: localhost:9477\n').metrics, { host: 'localhost', port: 9477 });
  t.same(ctl('  metrics: 0.0.0.0:80\n').metrics, { host: '0.0.0.0', port: 80 });
  t.equal(ctl('  socket_mode: 0660\n').socketMode, 0o660);
  t.equal(ctl('  socket_mode: 660\n').socketMode, 0o660);
  t.equal(ctl('  socket_mode: "0600"\n').socketMode, 0o600);
  t.equal(ctl('  socket_group: _ixfabric\n').socketGroup, '_ixfabric');
});

t.test('YAML anchors and aliases are followed', async (t) => {
  const c = configOf(`${HEADER}members:
  - asn: 64500
    name: A
    policy: &strict { max_macs: 1, bum_pps: 10 }
  - asn: 64501
    name: B
    policy: *strict
`);
  t.match(c.members[1]?.policy, { maxMacs: 1, bumPps: 10 });
});

t.test('loadConfig: an unreadable file is one error at 1:1', async (t) => {
  const r = loadConfig('/nonexistent/ixfabric.yaml');
  t.notOk(r.ok);
  if (r.ok) return;
  t.equal(r.errors.length, 1);
  t.match(formatConfigError(r.errors[0]!), /^\/nonexistent\/ixfabric\.yaml:1:1: \(file\): cannot read the config file: ENOENT/);
});

t.test('loadConfig reads a file and reports its path', async (t) => {
  const dir = t.testdir({});
  const file = `${dir}/bad.yaml`;
  writeFileSync(file, `${HEADER}members:\n  - asn: 0\n    name: A\n`);
  const r = loadConfig(file);
  t.same(r.ok ? [] : r.errors.map(formatConfigError), [`${file}:11:10: members[0].asn: must be an integer between 1 and 4294967295`]);
});
