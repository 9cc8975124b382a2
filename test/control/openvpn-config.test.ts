// Rendering of the per-member openvpn server config and of the member's client config, and
// the `openvpn.client-config` / `openvpn.status` control commands. Whether openvpn 2.6
// accepts these configs and passes traffic is tested for real in test/e2e/openvpn.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parseConfig } from '../../src/control/config-load.js';
import type { Config, OpenvpnParams } from '../../src/control/config-types.js';
import { openvpnCommands, parseAsnArg } from '../../src/control/openvpn-commands.js';
import { quoteArg, renderClientConfig, renderServerConfig, serverBinding } from '../../src/control/openvpn-config.js';
import { ensurePopIdentity } from '../../src/control/openvpn-pki.js';
import { OpenvpnSupervisor } from '../../src/control/openvpn-supervisor.js';

const FP = `${'ab:'.repeat(31)}ab`;
const POPFP = `${'0f:'.repeat(31)}0f`;
const params: OpenvpnParams = { type: 'openvpn', listenPort: 1195, peerFingerprint: FP, interface: 'ovpn1195' };

function directives(text: string): string[] {
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

const server = (underlay: { ipv4: string | null; ipv6: string | null }) =>
  renderServerConfig({ port: 'as64500-ovpn', pop: 'fmt', memberAsn: 64500, memberName: 'Example Networks', params, underlay, certPath: '/var/lib/ixfabric/openvpn/pop.crt', keyPath: '/var/lib/ixfabric/openvpn/pop.key' });

t.test('server config: every directive, in order (IPv4-only underlay)', async (t) => {
  const text = server({ ipv4: '198.51.100.1', ipv6: null });
  t.same(directives(text), [
    'tls-server',
    `peer-fingerprint ${FP}`,
    'cert /var/lib/ixfabric/openvpn/pop.crt',
    'key /var/lib/ixfabric/openvpn/pop.key',
    'dh none',
    'tls-version-min 1.2',
    'data-ciphers AES-256-GCM:CHACHA20-POLY1305',
    'dev-type tap',
    'dev ovpn1195',
    'disable-dco',
    'persist-tun',
    'persist-key',
    'proto udp4',
    'local 198.51.100.1',
    'lport 1195',
    'float',
    'tun-mtu 1500',
    'mssfix 1492 mtu',
    'mtu-disc no',
    'keepalive 10 60',
    'explicit-exit-notify 1',
    'script-security 1',
    'suppress-timestamps',
    'verb 3',
    'mute 20',
  ]);
  t.match(text, /^# openvpn instance of port as64500-ovpn for AS64500 \(Example Networks\), POP fmt\.\n/);
  t.equal(text, server({ ipv4: '198.51.100.1', ipv6: null }), 'deterministic');
  t.notMatch(text, /^(daemon|client|pull|mode server|ca |ifconfig|remote )/m, 'no daemon, no CA, no address, no remote');
  t.ok(text.endsWith('\n'));
});

t.test('server binding follows the underlay families', async (t) => {
  t.same(serverBinding({ ipv4: null, ipv6: '2001:db8:100::1' }), { proto: 'udp6', local: '2001:db8:100::1', multihome: false });
  t.same(serverBinding({ ipv4: '198.51.100.1', ipv6: '2001:db8:100::1' }), { proto: 'udp6', local: null, multihome: true });
  const both = directives(server({ ipv4: '198.51.100.1', ipv6: '2001:db8:100::1' }));
  t.ok(both.includes('proto udp6') && both.includes('multihome'), 'dual-stack wildcard with multihome');
  t.notOk(both.some((l) => l.startsWith('local ')));
  const v6 = directives(server({ ipv4: null, ipv6: '2001:db8:100::1' }));
  t.ok(v6.includes('local 2001:db8:100::1') && v6.includes('proto udp6') && !v6.includes('multihome'));
});

t.test('paths and names are quoted when openvpn would split them; comments stay one line', async (t) => {
  t.equal(quoteArg('/var/lib/ixfabric/openvpn/pop.crt'), '/var/lib/ixfabric/openvpn/pop.crt');
  t.equal(quoteArg('/srv/ix fabric/pop.crt'), '"/srv/ix fabric/pop.crt"');
  t.equal(quoteArg('a"b\\c'), '"a\\"b\\\\c"');
  const text = renderServerConfig({ port: 'p', pop: 'fmt', memberAsn: 1, memberName: 'Evil\nkey /etc/shadow', params, underlay: { ipv4: '10.0.0.1', ipv6: null }, certPath: '/a b/pop.crt', keyPath: '/a b/pop.key', verb: 4 });
  t.ok(directives(text).includes('cert "/a b/pop.crt"'));
  t.notOk(directives(text).some((l) => l.startsWith('key /etc')), 'a newline in a member name cannot inject a directive');
  t.ok(directives(text).includes('verb 4'));
});

const YAML = `pop:
  name: fmt
  underlay: { ipv4: 198.51.100.1, ipv6: "2001:db8:100::1" }
fabric:
  peering_lan: { ipv4: 192.0.2.0/23, ipv6: "2001:db8:ffff::/64" }
control:
  socket: /tmp/unused.sock
  state_dir: STATE
trunks:
  - { pop: ams, remote: 198.51.100.2, vni: 10 }
members:
  - asn: 64500
    name: Example Networks
    ipv4: [192.0.2.10, 192.0.3.10]
    ipv6: ["2001:db8:ffff::10"]
    connections:
      - { type: openvpn, listen_port: 1195, peer_fingerprint: "${FP.toUpperCase()}" }
  - asn: 64501
    name: Two Tunnels
    connections:
      - { type: openvpn, listen_port: 1196, peer_fingerprint: "${FP}", name: two-a }
      - { type: openvpn, listen_port: 1197, peer_fingerprint: "${FP}", name: two-b, interface: tun-two-b }
  - asn: 64502
    name: VXLAN only
    ipv4: [192.0.2.12]
    connections:
      - { type: vxlan, remote: 203.0.113.12, vni: 12 }
  - asn: 4200000000
    name: Elsewhere
    connections:
      - { type: openvpn, listen_port: 1198, peer_fingerprint: "${FP}", pop: ams }
`;

function config(t: { teardown(fn: () => void): void }): Config {
  const dir = mkdtempSync(join(tmpdir(), 'ixf-ovpn-cfg-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const r = parseConfig(YAML.replace('STATE', dir), 'ixfabric.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

t.test('client config: remotes, pinned POP fingerprint, the member key pair, addresses', async (t) => {
  const text = renderClientConfig({
    port: 'as64500-ovpn',
    pop: 'fmt',
    member: { asn: 64500, name: 'Example Networks', ipv4: ['192.0.2.10', '192.0.3.10'], ipv6: ['2001:db8:ffff::10'] },
    params,
    underlay: { ipv4: '198.51.100.1', ipv6: '2001:db8:100::1' },
    popFingerprint: POPFP,
    peeringLan: { ipv4: '192.0.2.0/23', ipv6: '2001:db8:ffff::/64' },
  });
  t.same(directives(text), [
    'tls-client',
    'nobind',
    'dev tap',
    'proto udp',
    'remote 198.51.100.1 1195',
    'remote 2001:db8:100::1 1195',
    `peer-fingerprint ${POPFP}`,
    'cert as64500.crt',
    'key as64500.key',
    'tls-version-min 1.2',
    'data-ciphers AES-256-GCM:CHACHA20-POLY1305',
    'tun-mtu 1500',
    'mssfix 1492 mtu',
    'ifconfig 192.0.2.10 255.255.254.0',
    'ifconfig-ipv6 2001:db8:ffff::10/64 ::',
    'keepalive 10 30',
    'explicit-exit-notify 1',
    'persist-tun',
    'persist-key',
    'verb 3',
  ]);
  t.match(text, '#      openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \\\n#        -subj /CN=AS64500 -keyout as64500.key -out as64500.crt\n');
  t.match(text, '#      openssl x509 -in as64500.crt -noout -fingerprint -sha256\n');
  t.match(text, `#    The registry has: ${FP}\n`);
  t.match(text, '#   IPv4 192.0.2.10/23   (set below with ifconfig)\n#   IPv4 192.0.3.10/23\n#   IPv6 2001:db8:ffff::10/64   (set below with ifconfig-ipv6)\n');
  t.notMatch(text, /^(client|pull|ca )/m, 'p2p TLS client: no pull, no CA');

  const bare = renderClientConfig({ port: 'p', pop: 'fmt', member: { asn: 1, name: 'n', ipv4: [], ipv6: [] }, params, underlay: { ipv4: null, ipv6: '2001:db8:100::1' }, popFingerprint: POPFP, peeringLan: { ipv4: null, ipv6: null } });
  t.same(directives(bare).filter((l) => /^(remote|ifconfig)/.test(l)), ['remote 2001:db8:100::1 1195'], 'no addresses: no ifconfig');
  t.match(bare, '#   (none assigned yet: ask the exchange)');
});

t.test('openvpn.client-config: the member, its POP fingerprint, errors', async (t) => {
  const c = config(t);
  const h = openvpnCommands(() => c);
  const text = (await h['openvpn.client-config']!({ asn: 64500 })) as string;
  const id = await ensurePopIdentity({ stateDir: c.control.stateDir, pop: 'fmt' });
  t.match(text, `\npeer-fingerprint ${id.fingerprint}\n`, 'the POP identity generated on first use');
  t.match(text, `#    The registry has: ${FP}\n`, 'the member fingerprint, normalised to lower case');
  t.match(text, '\nremote 198.51.100.1 1195\nremote 2001:db8:100::1 1195\n');
  t.match(text, '\nifconfig 192.0.2.10 255.255.254.0\n');
  t.equal(await h['openvpn.client-config']!({ asn: 'AS64500' }), text, 'AS64500 as a string');

  const b = (await h['openvpn.client-config']!({ asn: 64501, port: 'two-b' })) as string;
  t.match(b, '\nremote 198.51.100.1 1197\n');
  await t.rejects(Promise.resolve(h['openvpn.client-config']!({ asn: 64501 })), /AS64501 has 2 OpenVPN connections on this POP: pick one with --port \(two-a, two-b\)/);
  await t.rejects(Promise.resolve(h['openvpn.client-config']!({ asn: 64501, port: 'nope' })), /no OpenVPN port named nope/);
  await t.rejects(Promise.resolve(h['openvpn.client-config']!({ asn: 64502 })), { message: 'AS64502 has no OpenVPN connection on this POP (fmt)', code: 'not_found' });
  await t.rejects(Promise.resolve(h['openvpn.client-config']!({ asn: 4200000000 })), /AS4200000000 has no OpenVPN connection on this POP \(fmt\)/, 'a connection at another POP');
  await t.rejects(Promise.resolve(h['openvpn.client-config']!({ asn: 64999 })), /AS64999 is not a member/);
  await t.rejects(Promise.resolve(h['openvpn.client-config']!({})), { code: 'bad_request' });
});

t.test('parseAsnArg', async (t) => {
  t.equal(parseAsnArg(64500), 64500);
  t.equal(parseAsnArg(4200000000n), 4200000000);
  t.equal(parseAsnArg(' as64500 '), 64500);
  for (const bad of [0, -1, 1.5, 4294967296, 'ASX', null, true, {}]) t.throws(() => parseAsnArg(bad), { code: 'bad_request' }, String(bad));
});

t.test('openvpn.status lists supervisors (stopped ones too), or one by port', async (t) => {
  const c = config(t);
  const mk = (name: string, p: OpenvpnParams) =>
    new OpenvpnSupervisor({ name, params: p, pop: 'fmt', underlay: c.underlay, stateDir: c.control.stateDir, log: { info() {}, warn() {}, error() {} }, memberAsn: 64501, tap: null });
  const sups = [mk('two-b', { ...params, listenPort: 1197 }), mk('two-a', params)];
  const h = openvpnCommands(() => c, () => sups);
  const all = (await h['openvpn.status']!({})) as Array<Record<string, unknown>>;
  t.same(all.map((s) => s.port), ['two-a', 'two-b']);
  t.match(all[0], { state: 'stopped', pid: null, restarts: 0, connected: false, peer: null, member_asn: 64501, listen_port: 1195, interface: 'ovpn1195', last_exit: null });
  t.same(((await h['openvpn.status']!({ port: 'two-b' })) as unknown[]).length, 1);
  await t.rejects(async () => h['openvpn.status']!({ port: 'x' }), { code: 'not_found' });
});
