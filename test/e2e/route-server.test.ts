// The route server live: ixfabricd renders and applies the BIRD config (`rs apply`), the route
// server's BIRD runs in its own namespace behind an Ethernet port of the fabric, and three
// members run BIRD over real connections through the fabric:
//   M1 AS65001  VXLAN    (kernel vxlan device in its namespace)
//   M2 AS65002  Ethernet (veth into the POP)
//   M3 AS65003  OpenVPN  (Debian's openvpn with the config `ixfabricctl openvpn client-config` prints)
// Each announces valid routes and one of every kind of invalid one (bogon, too specific, too
// short, wrong origin against the IRR fixture, not registered, RPKI invalid, wrong next hop,
// AS path too long, the peering LAN itself), plus an RFC 7999 blackhole. IRR data comes from a
// stand-in bgpq4 (IXFABRIC_BGPQ4) answering from fixture files, RPKI from a ROA JSON file.
// Checked: sessions Established (rs status), valid routes at the other members with the
// informational tags, invalid ones only in `show route filtered` with their reason community,
// the blackhole with NO_EXPORT and the blackhole next hop, a policy change (registry + IRR
// data, `reload` then `rs apply --refresh`) that keeps every session up while a filtered route
// becomes accepted, and max-prefix: `restart` takes M2's session down, `block` keeps M3's up
// with the limit hit.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Lab, ctlBin, sleep, waitFor } from '../helpers/netns.js';
import { Daemon } from '../helpers/daemon.js';
import { memberKeyPair } from '../helpers/openvpn-member.js';

const RS_ASN = 64510;
const RS = { v4: '192.0.2.1', v6: '2001:db8:ffff::1' };
const BLACKHOLE_NH = { v4: '192.0.2.66', v6: '2001:db8:ffff::66' };

type Name = 'm1' | 'm2' | 'm3';
interface Route {
  net: string;
  /** ASNs after the member's own (the last one is the origin). */
  path?: number[];
  /** The member's own ASN this many extra times. */
  prepend?: number;
  nextHop?: string;
  blackhole?: boolean;
}
interface Member {
  asn: number;
  v4: string;
  v6: string;
  /** Accepted by the route server: reach the other members. */
  valid: Route[];
  /** Filtered, with the reason code of (RS_ASN, 1101, code). */
  invalid: Array<Route & { reason: number }>;
}

const M: Record<Name, Member> = {
  m1: {
    asn: 65001,
    v4: '192.0.2.11',
    v6: '2001:db8:ffff::11',
    valid: [
      { net: '185.61.0.0/24' },
      { net: '185.61.1.0/24' },
      { net: '185.61.3.0/24', path: [65101] }, // a customer in AS-M1, with its own ROA
      { net: '2a0c:61::/48' },
    ],
    invalid: [
      { net: '198.18.0.0/15', reason: 3 }, // bogon (benchmarking, RFC 2544)
      { net: '185.61.2.0/25', reason: 1 }, // too specific
      { net: '185.61.2.0/24', path: [64666], reason: 10 }, // origin not in AS-M1
      { net: '2001:db8:61::/48', reason: 3 }, // IPv6 documentation prefix
    ],
  },
  m2: {
    asn: 65002,
    v4: '192.0.2.12',
    v6: '2001:db8:ffff::12',
    valid: [
      { net: '185.62.0.0/24' },
      { net: '185.62.1.0/24' },
      { net: '185.62.2.0/24' }, // RPKI unknown: accepted
      { net: '185.62.7.7/32', blackhole: true },
      { net: '2a0c:62::/48' },
    ],
    invalid: [
      { net: '185.62.3.0/24', reason: 13 }, // the ROA says AS64999
      { net: '185.62.5.0/24', nextHop: '192.0.2.13', reason: 8 }, // M3's address as next hop
      { net: '185.62.6.0/24', prepend: 39, reason: 5 }, // 40 ASNs > max_as_path 32
      { net: '185.62.8.0/24', reason: 9 }, // outside the registered 185.62.0.0/21
      { net: '2a0c:62:1::/56', reason: 1 }, // longer than /48
    ],
  },
  m3: {
    asn: 65003,
    v4: '192.0.2.13',
    v6: '2001:db8:ffff::13',
    valid: [{ net: '185.63.0.0/24' }, { net: '185.63.1.0/24' }, { net: '185.63.2.0/24' }, { net: '2a0c:63::/48' }],
    invalid: [
      { net: '185.63.4.0/24', reason: 9 }, // registered by the policy change below
      { net: '184.0.0.0/7', reason: 2 }, // too short
      { net: '192.0.2.0/24', reason: 16 }, // the peering LAN (checked before bogons)
      { net: '2a0c:64::/48', reason: 9 },
    ],
  },
};
const NAMES: Name[] = ['m1', 'm2', 'm3'];
/** Routes added for the max-prefix test (all valid). M2: limit 7, restart. M3: limit 5, block. */
const EXTRA: Record<'m2' | 'm3', Route[]> = {
  m2: [{ net: '185.62.4.0/24' }, { net: '185.62.4.0/23' }, { net: '185.62.0.0/22' }, { net: '185.62.0.0/21' }],
  m3: [{ net: '185.63.3.0/24' }, { net: '185.63.0.0/23' }],
};

// IRR fixture: what bgpq4 answers per object (ASNs, IPv4, IPv6).
type IrrFixture = { asns: number[]; ipv4: string[]; ipv6: string[] };
const IRR: Record<string, IrrFixture> = {
  'AS-M1': { asns: [65001, 65101], ipv4: ['185.61.0.0/22'], ipv6: ['2a0c:61::/32'] },
  AS65002: { asns: [65002], ipv4: ['185.62.0.0/21'], ipv6: ['2a0c:62::/32'] },
  AS65003: { asns: [65003], ipv4: ['185.63.0.0/22'], ipv6: ['2a0c:63::/32'] },
};
const ROAS = [
  { asn: 'AS65001', prefix: '185.61.0.0/22', maxLength: 24 },
  { asn: 'AS65101', prefix: '185.61.3.0/24', maxLength: 24 },
  { asn: 'AS65002', prefix: '185.62.0.0/23', maxLength: 24 },
  { asn: 'AS64999', prefix: '185.62.3.0/24', maxLength: 24 },
  { asn: 'AS65001', prefix: '2a0c:61::/32', maxLength: 48 },
];

const lab = new Lab(t, 'b');
const pop = lab.ns('pop');
const rsNs = lab.ns('rs');
const ns: Record<Name, string> = { m1: lab.ns('m1'), m2: lab.ns('m2'), m3: lab.ns('m3') };
const dir = lab.dir;
mkdirSync(join(dir, 'rs'));
mkdirSync(join(dir, 'irr'));
const rsSocket = join(dir, 'rs', 'bird.ctl');
const rsConf = join(dir, 'rs', 'bird.conf');
const memberSocket = (n: Name) => join(dir, `${n}.ctl`);

// --- wiring ---------------------------------------------------------------------------------
// RS and M2: veth into the POP (Ethernet ports). M1: VXLAN over an underlay veth. M3: OpenVPN
// over an underlay veth (the POP's underlay address 10.61.1.1 is reached through 10.61.3.1).
lab.veth(lab.ifname('rs'), pop, 'ixp0', rsNs);
lab.veth(lab.ifname('m2'), pop, 'ixp0', ns.m2);
lab.veth(lab.ifname('u1'), pop, 'u0', ns.m1);
lab.veth(lab.ifname('u3'), pop, 'u0', ns.m3);
for (const [d, a] of [['u1', '10.61.1.1/24'], ['u3', '10.61.3.1/24']] as const) {
  lab.ip(pop, `addr add ${a} dev ${lab.ifname(d)}`);
  lab.ip(pop, `link set ${lab.ifname(d)} up`);
}
lab.ip(ns.m1, 'addr add 10.61.1.2/24 dev u0');
lab.ip(ns.m1, 'link set u0 up');
lab.ip(ns.m1, 'link add ixp0 type vxlan id 6101 remote 10.61.1.1 local 10.61.1.2 dstport 4789');
lab.ip(ns.m1, 'link set ixp0 mtu 1450');
lab.remoteLike(ns.m1, 'ixp0');
lab.ip(ns.m3, 'addr add 10.61.3.2/24 dev u0');
lab.ip(ns.m3, 'link set u0 up');
lab.ip(ns.m3, 'route add 10.61.1.0/24 via 10.61.3.1');
const lanAddrs: Array<[string, string, string]> = [
  [rsNs, RS.v4, RS.v6],
  [ns.m1, M.m1.v4, M.m1.v6],
  [ns.m2, M.m2.v4, M.m2.v6],
];
for (const [n, v4, v6] of lanAddrs) {
  lab.ip(n, `addr add ${v4}/24 dev ixp0`);
  lab.ip(n, `addr add ${v6}/64 dev ixp0 nodad`);
  lab.ip(n, 'link set ixp0 up');
}

// M3's own key pair; the exchange gets its certificate's fingerprint.
const m3Dir = join(dir, 'm3');
const fingerprint = memberKeyPair(m3Dir, 65003);

// --- IRR (stand-in bgpq4) and RPKI fixtures ---------------------------------------------------
function writeIrr(object: string, f: IrrFixture): void {
  const list = (fam: 4 | 6, ps: string[]) =>
    `{ "irr": [\n${ps.map((p) => `  { "prefix": "${p.replace('/', '\\/')}", "exact": false, "less-equal": ${fam === 4 ? 24 : 48} }`).join(',\n')}\n] }\n`;
  writeFileSync(join(dir, 'irr', `${object}.asns.json`), `{ "irr": [ ${f.asns.join(', ')} ] }\n`);
  writeFileSync(join(dir, 'irr', `${object}.ipv4.json`), list(4, f.ipv4));
  writeFileSync(join(dir, 'irr', `${object}.ipv6.json`), list(6, f.ipv6));
}
for (const [o, f] of Object.entries(IRR)) writeIrr(o, f);
const bgpq4 = lab.file(
  'bgpq4',
  `#!/bin/sh
# Stand-in for bgpq4 -j: answers from ${dir}/irr/<OBJECT>.<asns|ipv4|ipv6>.json.
q=ipv4
for a in "$@"; do case "$a" in -t) q=asns;; -6) q=ipv6;; esac; obj="$a"; done
echo "$*" >> ${dir}/bgpq4.calls
exec cat "${dir}/irr/$obj.$q.json"
`,
);
chmodSync(bgpq4, 0o755);
const roaFile = lab.file('roas.json', `${JSON.stringify({ roas: ROAS }, null, 1)}\n`);

// --- the registry -----------------------------------------------------------------------------
function registry(opts: { m1MaxPrefix: number }): string {
  return `pop: { name: lab, underlay: { ipv4: 10.61.1.1 } }
fabric: { peering_lan: { ipv4: 192.0.2.0/24, ipv6: "2001:db8:ffff::/64" } }
control: { socket: ${dir}/pop.sock, metrics: false, state_dir: ${dir}/state }
route_server:
  asn: ${RS_ASN}
  ipv4: ${RS.v4}
  ipv6: "${RS.v6}"
  bird_config: ${rsConf}
  birdc_socket: ${rsSocket}
  rpki: { roa_file: ${roaFile} }
  irr: { enabled: true }
  blackhole: { next_hop_ipv4: ${BLACKHOLE_NH.v4}, next_hop_ipv6: "${BLACKHOLE_NH.v6}" }
members:
  - asn: ${RS_ASN}
    name: Route server
    ipv4: [${RS.v4}]
    ipv6: ["${RS.v6}"]
    route_server: { enabled: false }
    connections: [{ type: ethernet, interface: ${lab.ifname('rs')} }]
  - asn: ${M.m1.asn}
    name: M1 VXLAN
    ipv4: [${M.m1.v4}]
    ipv6: ["${M.m1.v6}"]
    route_server: { as_set: AS-M1, max_prefix: { ipv4: ${opts.m1MaxPrefix} } }
    connections: [{ type: vxlan, remote: 10.61.1.2, vni: 6101 }]
  - asn: ${M.m2.asn}
    name: M2 Ethernet
    ipv4: [${M.m2.v4}]
    ipv6: ["${M.m2.v6}"]
    route_server: { max_prefix: { ipv4: 7 } }
    connections: [{ type: ethernet, interface: ${lab.ifname('m2')} }]
  - asn: ${M.m3.asn}
    name: M3 OpenVPN
    ipv4: [${M.m3.v4}]
    ipv6: ["${M.m3.v6}"]
    route_server: { max_prefix: { ipv4: 5, action: block } }
    connections: [{ type: openvpn, listen_port: 1195, peer_fingerprint: "${fingerprint}" }]
`;
}
const cfg = lab.file('ixfabric.yaml', registry({ m1MaxPrefix: 1000 }));
const daemon = new Daemon(lab, pop, cfg, 'pop', [], { IXFABRIC_BGPQ4: bgpq4 });

// --- member BIRDs -----------------------------------------------------------------------------
const isV6 = (net: string) => net.includes(':');

function memberBird(n: Name, extra: Route[] = []): string {
  const m = M[n];
  const routes = [...m.valid, ...m.invalid, ...extra];
  const statics = (v6: boolean) => routes.filter((r) => isV6(r.net) === v6).map((r) => `  route ${r.net} blackhole;`).join('\n');
  const tweaks = (v6: boolean) =>
    routes
      .filter((r) => isV6(r.net) === v6 && (r.path || r.prepend || r.nextHop || r.blackhole))
      .map((r) => {
        const s: string[] = [];
        for (const asn of [...(r.path ?? [])].reverse()) s.push(`bgp_path.prepend(${asn});`);
        for (let i = 0; i < (r.prepend ?? 0); i++) s.push(`bgp_path.prepend(${m.asn});`);
        if (r.nextHop) s.push(`bgp_next_hop = ${r.nextHop};`);
        if (r.blackhole) s.push('bgp_community.add((65535, 666));');
        return `  if net = ${r.net} then { ${s.join(' ')} }`;
      })
      .join('\n');
  return `# Member ${n} AS${m.asn}: announces its routes to the route server, takes all it is sent.
log "${dir}/${n}.bird.log" all;
router id ${m.v4};
protocol device { scan time 1; }
protocol static st4 {
  ipv4;
${statics(false)}
}
protocol static st6 {
  ipv6;
${statics(true)}
}
filter to_rs4 {
  if source != RTS_STATIC then reject;
${tweaks(false)}
  accept;
}
filter to_rs6 {
  if source != RTS_STATIC then reject;
${tweaks(true)}
  accept;
}
template bgp to_route_server {
  connect delay time 1;
  connect retry time 3;
  error wait time 1, 5;
}
protocol bgp rs_v4 from to_route_server {
  local ${m.v4} as ${m.asn};
  neighbor ${RS.v4} as ${RS_ASN};
  ipv4 { import all; export filter to_rs4; };
}
protocol bgp rs_v6 from to_route_server {
  local ${m.v6} as ${m.asn};
  neighbor ${RS.v6} as ${RS_ASN};
  ipv6 { import all; export filter to_rs6; };
}
`;
}

function birdc(socket: string, command: string): string {
  const r = spawnSync('birdc', ['-s', socket, command], { encoding: 'utf8', timeout: 20_000 });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`;
}

/** BIRD in the foreground in a namespace (killed in teardown); fails with its output if it exits. */
async function startBird(n: string, conf: string, socket: string, name: string): Promise<void> {
  const out = join(dir, `${name}.bird.out`);
  const child = lab.spawn(n, ['bird', '-f', '-c', conf, '-s', socket, '-P', join(dir, `${name}.bird.pid`)], out);
  for (let i = 0; !birdc(socket, 'show status').includes('Daemon is up'); i++) {
    if (child.exitCode !== null || i > 150) throw new Error(`BIRD of ${name} did not start (${child.exitCode}): ${readFileSync(out, 'utf8')}`);
    await sleep(100);
  }
}

/** `show protocols`: BGP protocol name → state and info, and since in ms of the day. */
function bgpProtocols(socket: string): Record<string, { state: string; since: number }> {
  const out: Record<string, { state: string; since: number }> = {};
  for (const line of birdc(socket, 'show protocols').split('\n')) {
    const m = /^(\S+)\s+BGP\s+\S+\s+(\S+)\s+(?:\d{4}-\d\d-\d\d )?(\d\d):(\d\d):(\d\d)(?:\.(\d+))?\s+(\S+)/.exec(line);
    if (m) {
      const ms = ((Number(m[3]) * 60 + Number(m[4])) * 60 + Number(m[5])) * 1000 + Number((m[6] ?? '0').padEnd(3, '0').slice(0, 3));
      out[m[1]!] = { state: `${m[2]} ${m[7]}`, since: ms };
    }
  }
  return out;
}

/**
 * No session was reset: same protocols, same state, same since. BIRD prints `since` by turning
 * its monotonic timestamp into wall-clock time at every `show`, so the printed value can move by
 * a millisecond (seen, 07.304 → 07.305) or cross a second; a reset moves it by seconds.
 */
function assertNoReset(t: Test, now: ReturnType<typeof bgpProtocols>, before: ReturnType<typeof bgpProtocols>, who: string): void {
  const moved = Object.keys(before).filter((k) => now[k]?.state !== before[k]!.state || Math.abs(now[k]!.since - before[k]!.since) > 1000);
  t.same({ names: Object.keys(now).sort(), moved }, { names: Object.keys(before).sort(), moved: [] }, `${who}: every session keeps its state and since (${Object.keys(before).join(', ')})`);
}

/** The BGP TCP connections in the route server's namespace (a reset makes a new one). */
function bgpConnections(): string[] {
  const r = lab.run(rsNs, ['ss', '-Htn', 'state', 'established', '( sport = :179 or dport = :179 )']);
  return r.stdout.split('\n').map((l) => l.trim().split(/\s+/).slice(-2).join(' ')).filter((l) => l.includes(':')).sort();
}

interface Session {
  name: string;
  asn: number;
  family: 4 | 6;
  bgpState: string | null;
  state: string;
  since: string;
  lastError: string | null;
  importLimit: number | null;
  importLimitHit: boolean;
  routes: { imported: number; filtered: number; exported: number } | null;
}
/** waitFor for a predicate that returns the value it waited for, or false. */
const waitUntil = async <T>(what: string, fn: () => T | false, ms: number, every = 200): Promise<T> => (await waitFor(what, fn, ms, every)) as T;
const rsStatus = () => daemon.ctl<{ sessions: Session[]; tables: Record<string, number> }>('rs', 'status');
const session = (name: string) => rsStatus().sessions.find((s) => s.name === name)!;
const allEstablished = () => {
  const s = rsStatus().sessions;
  return s.length === 6 && s.every((x) => x.bgpState === 'Established') && s;
};

t.before(async () => {
  await daemon.start();
  const applied = daemon.ctl<{ changed: boolean; configured: boolean; path: string; warnings: string[] }>('rs', 'apply');
  if (!applied.changed || applied.path !== rsConf) throw new Error(`rs apply: ${JSON.stringify(applied)}`);
  // The route server's BIRD, with the file rs apply wrote and the socket the registry names.
  await startBird(rsNs, rsConf, rsSocket, 'rs');
  // M3 connects over OpenVPN with the client config the POP hands out.
  const client = spawnSync(process.execPath, [ctlBin, '--socket', daemon.socket, 'openvpn', 'client-config', `AS${M.m3.asn}`], { encoding: 'utf8' });
  if (client.status !== 0) throw new Error(`openvpn client-config: ${client.stderr}`);
  writeFileSync(join(m3Dir, 'ixp.conf'), client.stdout);
  lab.spawn(ns.m3, ['sh', '-c', `cd ${m3Dir} && exec openvpn --config ixp.conf --dev ixp0 --dev-type tap`], join(dir, 'm3-openvpn.log'));
  for (const n of NAMES) {
    writeFileSync(join(dir, `${n}.conf`), memberBird(n));
    await startBird(ns[n], join(dir, `${n}.conf`), memberSocket(n), n);
  }
});

t.after(() => daemon.stop());
// On failure, what the daemon and BIRD said (teardowns run last-registered first: this one
// runs while everything still runs, before the lab directory is removed).
t.after(() => {
  if (t.passing()) return;
  const tail = (f: string) => readFileSync(f, 'utf8').trimEnd().split('\n').slice(-40).join('\n');
  process.stderr.write(`--- ixfabricd log (tail)\n${tail(daemon.log)}\n--- route server: show protocols\n${birdc(rsSocket, 'show protocols')}\n`);
  for (const n of NAMES) process.stderr.write(`--- ${n}: show protocols\n${birdc(memberSocket(n), 'show protocols')}\n`);
  process.stderr.write(`--- ports\n${daemon.ctlRaw(['ports']).stdout}\n`);
});

t.test('rs apply wrote the config before BIRD ran; every session comes up Established', async (t) => {
  const t0 = Date.now();
  const up = await waitUntil('6 sessions Established', allEstablished, 90_000, 500);
  t.comment(`all 6 sessions Established ${((Date.now() - t0) / 1000).toFixed(1)} s after the member BIRDs started`);
  t.same(up.map((s) => s.name), ['m_as65001_v4', 'm_as65001_v6', 'm_as65002_v4', 'm_as65002_v6', 'm_as65003_v4', 'm_as65003_v6'], 'the sessions of the registry, by their documented names');
  const ports = daemon.ctl<{ name: string; state: string }[]>('ports');
  for (const p of ['as64510-eth', 'as65001-vx', 'as65002-eth', 'as65003-ovpn']) t.equal(ports.find((x) => x.name === p)?.state, 'up', `port ${p} up`);
  for (const n of NAMES) {
    t.match(bgpProtocols(memberSocket(n)), { rs_v4: { state: 'up Established' }, rs_v6: { state: 'up Established' } }, `${n}'s own BIRD: both sessions up`);
  }
  t.match(readFileSync(join(dir, 'bgpq4.calls'), 'utf8'), /-t AS-M1\n/, "the IRR data came from bgpq4 (the stand-in), M1's AS-SET expanded");
});

t.test('every valid route reaches the other members, with the informational tags', async (t) => {
  await waitFor('all routes imported', () => {
    const s = rsStatus().sessions;
    return NAMES.every((n) => {
      const v4 = s.find((x) => x.name === `m_as${M[n].asn}_v4`)?.routes;
      const v6 = s.find((x) => x.name === `m_as${M[n].asn}_v6`)?.routes;
      const count = (v6s: boolean, list: Route[]) => list.filter((r) => isV6(r.net) === v6s).length;
      return (
        v4 && v6 &&
        v4.imported === count(false, M[n].valid) && v4.filtered === count(false, M[n].invalid) &&
        v6.imported === count(true, M[n].valid) && v6.filtered === count(true, M[n].invalid)
      );
    });
  }, 30_000, 500);
  const counts = rsStatus().sessions.map((s) => `${s.name} ${s.routes?.imported}/${s.routes?.filtered}/${s.routes?.exported}`);
  t.comment(`rs status (imported/filtered/exported): ${counts.join(', ')}`);
  t.pass('rs status: every session imported exactly its valid routes and filtered exactly its invalid ones');
  // Each member's valid routes, seen by the two others (routes arrive within a second or so).
  for (const from of NAMES) {
    for (const to of NAMES.filter((x) => x !== from)) {
      for (const r of M[from].valid) {
        const out = await waitFor(`${r.net} at ${to}`, () => {
          const o = birdc(memberSocket(to), `show route ${r.net} all`);
          return o.includes(`${r.net} `) && o;
        }, 10_000, 200);
        const origin = r.path ? r.path[r.path.length - 1] : M[from].asn;
        t.match(out, new RegExp(`BGP\\.as_path: ${M[from].asn}${r.path ? ` ${r.path.join(' ')}` : ''}\\n`), `${from} → ${to}: ${r.net} (origin AS${origin}), AS path without the route server`);
        if (!r.blackhole) t.match(out, new RegExp(`BGP\\.next_hop: ${isV6(r.net) ? M[from].v6 : M[from].v4}`), `${from} → ${to}: ${r.net} next hop is ${from} itself`);
      }
    }
  }
  // RPKI and IRR state as tags on accepted routes.
  const tags = (net: string) => birdc(memberSocket('m3'), `show route ${net} all`);
  t.match(tags('185.61.0.0/24'), /\(64510, 1000, 1\)/, 'RPKI valid: (64510, 1000, 1)');
  t.match(tags('185.61.3.0/24'), /\(64510, 1000, 1\)/, "M1's customer AS65101: valid by its own ROA");
  t.match(tags('185.62.2.0/24'), /\(64510, 1000, 2\)/, 'no covering ROA: RPKI unknown (64510, 1000, 2), accepted');
  t.match(tags('185.61.0.0/24'), /\(64510, 1001, 1\)/, 'IRR registered: (64510, 1001, 1)');
});

t.test('invalid routes are filtered, carry the documented reason, and reach nobody', async (t) => {
  for (const n of NAMES) {
    for (const r of M[n].invalid) {
      const proto = `m_as${M[n].asn}_v${isV6(r.net) ? 6 : 4}`;
      const out = birdc(rsSocket, `show route ${r.net} filtered all protocol ${proto}`);
      t.match(out, new RegExp(`\\(${RS_ASN}, 1101, ${r.reason}\\)`), `${n} ${r.net}: filtered with (${RS_ASN}, 1101, ${r.reason})`);
      t.equal(out.split(`(${RS_ASN}, 1101, `).length - 1, 1, '  and only that reason');
      for (const to of NAMES.filter((x) => x !== n)) {
        const seen = birdc(memberSocket(to), `show route ${r.net}`);
        t.notOk(seen.includes(`${r.net} `), `  not at ${to}`);
      }
    }
  }
  // The reason tag is the route server's own: a member cannot fake one (scrubbed on import).
  t.notMatch(birdc(rsSocket, 'show route 185.61.0.0/24 all'), /1101/, 'accepted routes carry no reject reason');
});

t.test('blackhole routes (RFC 7999): accepted up to /32, sent on with NO_EXPORT and the blackhole next hop', async (t) => {
  const atRs = birdc(rsSocket, 'show route 185.62.7.7/32 all');
  t.match(atRs, /BGP\.community: .*\(65535,666\)/, 'the RS holds the /32 with BLACKHOLE');
  t.match(atRs, /\(64510, 1000, 3\)/, 'not RPKI checked: (64510, 1000, 3)');
  t.match(atRs, /BGP\.next_hop: 192\.0\.2\.12/, "in the RS's table the next hop is still M2's");
  for (const to of ['m1', 'm3'] as const) {
    const out = birdc(memberSocket(to), 'show route 185.62.7.7/32 all');
    t.match(out, /BGP\.community: .*\(65535,666\)/, `${to}: BLACKHOLE kept`);
    t.match(out, /BGP\.community: .*\(65535,65281\)/, `${to}: NO_EXPORT (65535,65281) added`);
    t.match(out, new RegExp(`BGP\\.next_hop: ${BLACKHOLE_NH.v4.replace(/\./g, '\\.')}`), `${to}: next hop rewritten to blackhole.next_hop_ipv4 ${BLACKHOLE_NH.v4}`);
  }
});

t.test('a policy change applied with rs apply keeps every session up', async (t) => {
  const rsBefore = bgpProtocols(rsSocket);
  const membersBefore = Object.fromEntries(NAMES.map((n) => [n, bgpProtocols(memberSocket(n))]));
  const tcpBefore = bgpConnections();
  t.equal(tcpBefore.length, 6, `6 BGP connections to the route server (${tcpBefore.join(', ')})`);
  t.equal(session('m_as65001_v4').importLimit, 1000, "M1's import limit before: 1000");
  t.match(birdc(rsSocket, 'show route 185.63.4.0/24 filtered all'), /\(64510, 1101, 9\)/, '185.63.4.0/24 is filtered: not registered');

  // M1's max-prefix lowered (within its route count) and M3 registers 185.63.4.0/22 in the IRR.
  writeFileSync(cfg, registry({ m1MaxPrefix: 100 }));
  writeIrr('AS65003', { ...IRR.AS65003!, ipv4: ['185.63.0.0/22', '185.63.4.0/22'] });
  const reload = daemon.ctl<{ added: string[]; removed: string[]; changed: string[] }>('reload');
  t.same([reload.added, reload.removed, reload.changed], [[], [], []], 'reload: no port touched');
  const applied = daemon.ctl<{ changed: boolean; configured: boolean; birdc: string; warnings: string[] }>('rs', 'apply', '--refresh');
  t.ok(applied.changed && applied.configured, `rs apply --refresh: changed and configured (${applied.birdc.split('\n').pop()})`);
  t.same(applied.warnings, [], 'no warnings');
  t.match(readFileSync(rsConf, 'utf8'), /import limit 100 action restart;/, 'the new limit is in the file');

  await waitFor('185.63.4.0/24 at M1', () => birdc(memberSocket('m1'), 'show route 185.63.4.0/24').includes('185.63.4.0/24 '), 20_000, 200);
  t.pass('the filtered route was re-evaluated and accepted; it reached M1');
  t.equal(session('m_as65001_v4').importLimit, 100, "M1's import limit now: 100");
  const after = rsStatus().sessions;
  t.ok(after.every((s) => s.bgpState === 'Established'), 'all 6 sessions still Established');
  t.same(bgpConnections(), tcpBefore, 'the same 6 TCP connections: no session was reset');
  assertNoReset(t, bgpProtocols(rsSocket), rsBefore, 'the route server');
  for (const n of NAMES) assertNoReset(t, bgpProtocols(memberSocket(n)), membersBefore[n]!, n);
  t.equal(session('m_as65003_v4').routes?.imported, 4, "M3's v4 session: 4 routes accepted now");
});

t.test('max-prefix: restart takes the session down, block keeps it and drops the excess', async (t) => {
  t.equal(session('m_as65002_v4').importLimit, 7, 'M2: limit 7 (action restart, the default)');
  t.equal(session('m_as65003_v4').importLimit, 5, 'M3: limit 5, action block');
  for (const n of ['m2', 'm3'] as const) {
    writeFileSync(join(dir, `${n}.conf`), memberBird(n, EXTRA[n]));
    t.match(birdc(memberSocket(n), 'configure'), /Reconfigured/, `${n} announces ${EXTRA[n].length} more valid routes`);
  }
  // M2: 4 accepted + 4 more = 8 > 7: BIRD shuts the session down.
  const m2 = await waitUntil('M2 session down', () => {
    const s = session('m_as65002_v4');
    return s.bgpState !== 'Established' && s;
  }, 20_000, 200);
  t.match(m2.lastError ?? '', /Route limit exceeded/, `M2: ${m2.state} ${m2.bgpState}, last error "${m2.lastError}"`);
  await waitFor("M2's routes withdrawn at M1", () => !birdc(memberSocket('m1'), 'show route 185.62.0.0/24').includes('185.62.0.0/24 '), 10_000, 200);
  t.pass("M2's routes are withdrawn from the other members");
  t.equal(session('m_as65002_v6').bgpState, 'Established', "M2's IPv6 session is not affected");

  // M3: 4 accepted + 2 more = 6 > 5: the limit is hit, one route is not accepted, the session stays.
  const m3 = await waitUntil('M3 limit hit', () => {
    const s = session('m_as65003_v4');
    return s.importLimitHit && s;
  }, 20_000, 200);
  t.equal(m3.bgpState, 'Established', 'M3: session stays Established');
  t.equal(m3.routes?.imported, 5, 'M3: exactly 5 routes accepted');
  const atM1 = birdc(memberSocket('m1'), 'show route').split('\n').filter((l) => /^185\.63\./.test(l));
  t.equal(atM1.length, 5, `M1 sees 5 of M3's 6 valid IPv4 routes (${atM1.map((l) => l.split(/\s+/)[0]).join(', ')})`);
  // With import keep filtered, BIRD keeps the route over a `block` limit as filtered: it went
  // through the import filter (accept tags) but carries no reason community.
  const blocks = birdc(rsSocket, 'show route filtered all protocol m_as65003_v4').split(/\n(?=\S+\s+unicast )/).filter((b) => / unicast /.test(b));
  const blocked = blocks.filter((b) => !b.includes(`(${RS_ASN}, 1101, `));
  t.equal(blocks.length, 3, 'M3 v4: 3 routes in show route filtered (2 invalid, 1 over the limit)');
  t.equal(blocked.length, 1, `the one over the limit has no reason community: ${blocked[0]?.split(/\s/)[0] ?? blocks[0]?.split(/\s/)[0]}`);
  t.match(blocked[0] ?? '', /\(64510, 1001, 1\)/, '  but the accept tags of the import filter');
  t.equal(m3.routes?.filtered, 3, '  and rs status counts it as filtered');
  const text = spawnSync(process.execPath, [ctlBin, '--socket', daemon.socket, 'rs', 'status'], { encoding: 'utf8' }).stdout;
  t.match(text, /m_as65003_v4 .*max-prefix hit/, 'rs status (table) shows the hit limit');
  t.comment(`\n${text}`);
  for (const s of rsStatus().sessions.filter((x) => !x.name.startsWith('m_as65002_v4'))) t.equal(s.bgpState, 'Established', `${s.name} still Established`);
});
