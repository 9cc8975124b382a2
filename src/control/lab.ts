// `npm run lab`: a mini exchange on this machine, in network namespaces. One POP running
// ixfabricd, a BIRD 2 route server behind an Ethernet port of the fabric, and three members
// running BIRD, connected over VXLAN (a kernel vxlan device), Ethernet (a veth) and TAP (the
// daemon's TAP moved into the member's namespace). The route server's config is the one
// `ixfabricctl rs apply` renders from the lab's registry, with IRR data from a stand-in bgpq4
// (fixture files, no network) and a ROA file. Every name is fixed so that `down` can remove
// everything, also after a crash:
//
//   namespaces   ixlab-pop ixlab-rs ixlab-m1 ixlab-m2 ixlab-m3 (all interfaces live in them)
//   state dir    /run/ixfabric-lab (registry, logs, sockets, BIRD configs, fixtures)
//   processes    only inside those namespaces: ixfabricd in ixlab-pop, one BIRD in each other
//
//   node dist/src/control/lab.js [up [--force] [--keep]] | down | status
//
// docs/route-server.md ("Live test and lab") describes it for operators.

import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findRepoRoot } from '../dataplane/repo-root.js';
import { isMainModule } from './main-module.js';

export const LAB_DIR = '/run/ixfabric-lab';
export const NS_PREFIX = 'ixlab-';
export const LAB_NS = { pop: 'ixlab-pop', rs: 'ixlab-rs', m1: 'ixlab-m1', m2: 'ixlab-m2', m3: 'ixlab-m3' } as const;
export const LAB_SOCKET = `${LAB_DIR}/ixfabric.sock`;
export const LAB_CONFIG = `${LAB_DIR}/ixfabric.yaml`;

const RS = { asn: 64510, v4: '192.0.2.1', v6: '2001:db8:ffff::1', dir: `${LAB_DIR}/rs` };
const UNDERLAY = { pop: '10.47.1.1', m1: '10.47.1.2' };

export type MemberKey = 'm1' | 'm2' | 'm3';
export interface LabMember {
  key: MemberKey;
  asn: number;
  name: string;
  /** How it is connected, for people. */
  link: string;
  v4: string;
  v6: string;
  /** Its peering-LAN interface inside its namespace. */
  dev: string;
  announce4: string[];
  announce6: string[];
  /** One route the route server filters, and why. */
  invalid: { net: string; why: string };
  irr4: string;
  irr6: string;
}

export const LAB_MEMBERS: readonly LabMember[] = [
  {
    key: 'm1', asn: 65001, name: 'Member 1', link: 'VXLAN (kernel vxlan, VNI 101)',
    v4: '192.0.2.11', v6: '2001:db8:ffff::11', dev: 'ixp0',
    announce4: ['185.61.0.0/24', '185.61.1.0/24'], announce6: ['2a0c:61::/48'],
    invalid: { net: '185.61.2.0/25', why: 'too specific, (64510, 1101, 1)' },
    irr4: '185.61.0.0/22', irr6: '2a0c:61::/32',
  },
  {
    key: 'm2', asn: 65002, name: 'Member 2', link: 'Ethernet (veth)',
    v4: '192.0.2.12', v6: '2001:db8:ffff::12', dev: 'ixp0',
    announce4: ['185.62.0.0/24', '185.62.1.0/24'], announce6: ['2a0c:62::/48'],
    invalid: { net: '10.62.0.0/16', why: 'bogon, (64510, 1101, 3)' },
    irr4: '185.62.0.0/22', irr6: '2a0c:62::/32',
  },
  {
    key: 'm3', asn: 65003, name: 'Member 3', link: 'TAP (made by ixfabricd)',
    v4: '192.0.2.13', v6: '2001:db8:ffff::13', dev: 'ixlab-m3',
    announce4: ['185.63.0.0/24', '185.63.1.0/24'], announce6: ['2a0c:63::/48'],
    invalid: { net: '185.63.9.0/24', why: 'not in its IRR data, (64510, 1101, 9)' },
    irr4: '185.63.0.0/22', irr6: '2a0c:63::/32',
  },
];

/** The first host address of a prefix (x.x.x.1, x::1): the member's own address on its loopback. */
function hostOf(prefix: string): string {
  const addr = prefix.split('/')[0] ?? '';
  return addr.includes(':') ? addr.replace(/::$/, '::1') : addr.replace(/\.0$/, '.1');
}

export const memberDir = (k: MemberKey) => `${LAB_DIR}/${k}`;
export const memberSocket = (k: MemberKey) => `${memberDir(k)}/bird.ctl`;
export const RS_SOCKET = `${RS.dir}/bird.ctl`;

const REPO = findRepoRoot(import.meta.url);
const DAEMON_BIN = join(REPO, 'bin', 'ixfabricd.js');
const CTL_BIN = join(REPO, 'bin', 'ixfabricctl.js');

class LabError extends Error {}
class UsageError extends Error {}

export interface LabIO {
  out(line: string): void;
  err(line: string): void;
}
const consoleIO: LabIO = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) };

// --- small helpers ----------------------------------------------------------------------------

function run(cmd: string, args: string[], opts: { timeoutMs?: number; input?: string } = {}) {
  return spawnSync(cmd, args, { encoding: 'utf8', timeout: opts.timeoutMs ?? 30_000, input: opts.input });
}

function must(cmd: string, args: string[]): string {
  const r = run(cmd, args);
  if (r.status !== 0) throw new LabError(`${cmd} ${args.join(' ')} failed: ${`${r.stderr ?? ''}${r.stdout ?? ''}`.trim() || r.error?.message || `exit ${r.status}`}`);
  return r.stdout;
}

/** `ip` with arguments, in a namespace (or the root one). */
function ip(ns: string | null, args: string): string {
  return must('ip', [...(ns ? ['-n', ns] : []), ...args.split(/\s+/)]);
}

function inNs(ns: string, cmd: string[]): string {
  return must('ip', ['netns', 'exec', ns, ...cmd]);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function poll<T>(what: string, fn: () => T | false | null | undefined, timeoutMs: number, everyMs = 250, onTimeout?: () => string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new LabError(`timed out after ${timeoutMs / 1000} s waiting for ${what}${onTimeout ? `:\n${onTimeout()}` : ''}`);
    await sleep(everyMs);
  }
}

function onPath(tool: string): boolean {
  return run('sh', ['-c', `command -v ${tool}`]).status === 0;
}

function tail(file: string, lines = 20): string {
  if (!existsSync(file)) return `(no ${file})`;
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).map((l) => `    ${l}`).join('\n');
}

/** Namespaces of a lab (`ixlab-*`), whoever made them. */
export function labNamespaces(): string[] {
  const r = run('ip', ['netns', 'list']);
  return (r.stdout ?? '')
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(NS_PREFIX));
}

function netnsPids(ns: string): number[] {
  return (run('ip', ['netns', 'pids', ns]).stdout ?? '').split(/\s+/).filter(Boolean).map(Number).filter((n) => n > 0);
}

function alive(pid: number): boolean {
  try {
    // A zombie is gone for our purposes (its parent may simply not have reaped it yet).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return false;
  }
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

function ctl(args: string[], json = true) {
  return run(process.execPath, [CTL_BIN, '--socket', LAB_SOCKET, ...(json ? ['--json'] : []), ...args], { timeoutMs: 60_000 });
}

function birdc(socket: string, command: string): string {
  const r = run('birdc', ['-s', socket, command], { timeoutMs: 20_000 });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`;
}

// --- what the lab writes ----------------------------------------------------------------------

export function labRegistry(): string {
  const members = LAB_MEMBERS.map((m) => {
    const conn =
      m.key === 'm1'
        ? `{ type: vxlan, remote: ${UNDERLAY.m1}, vni: 101 }`
        : m.key === 'm2'
          ? '{ type: ethernet, interface: ixlab-m2 }'
          : '{ type: tap, interface: ixlab-m3 }';
    return `  - asn: ${m.asn}
    name: ${m.name} (${m.link.split(' ')[0]})
    ipv4: [${m.v4}]
    ipv6: ["${m.v6}"]
    connections: [${conn}]`;
  }).join('\n');
  return `# The ixfabric lab's registry (written by \`npm run lab\`; \`npm run lab -- down\` removes it).
# Edit it and run \`ixfabricctl --socket ${LAB_SOCKET} reload\`, then \`... rs apply\`.
pop:
  name: lab
  underlay: { ipv4: ${UNDERLAY.pop} }
fabric:
  peering_lan: { ipv4: 192.0.2.0/24, ipv6: "2001:db8:ffff::/64" }
control:
  socket: ${LAB_SOCKET}
  metrics: 127.0.0.1:9477            # inside ixlab-pop
  state_dir: ${LAB_DIR}/state
route_server:
  asn: ${RS.asn}
  ipv4: ${RS.v4}
  ipv6: "${RS.v6}"
  bird_config: ${RS.dir}/bird.conf
  birdc_socket: ${RS_SOCKET}
  rpki: { roa_file: ${LAB_DIR}/roas.json }
  irr: { enabled: true }             # bgpq4 is a stand-in answering from ${LAB_DIR}/irr/
members:
  # The route server's own port: no sessions, its addresses for the ARP/ND guards.
  - asn: ${RS.asn}
    name: Route server
    ipv4: [${RS.v4}]
    ipv6: ["${RS.v6}"]
    route_server: { enabled: false }
    connections: [{ type: ethernet, interface: ixlab-rs }]
${members}
`;
}

function writeIrrFixtures(): void {
  mkdirSync(`${LAB_DIR}/irr`, { recursive: true });
  for (const m of LAB_MEMBERS) {
    const list = (p: string, le: number) => `{ "irr": [\n  { "prefix": "${p.replace('/', '\\/')}", "exact": false, "less-equal": ${le} }\n] }\n`;
    writeFileSync(`${LAB_DIR}/irr/AS${m.asn}.asns.json`, `{ "irr": [ ${m.asn} ] }\n`);
    writeFileSync(`${LAB_DIR}/irr/AS${m.asn}.ipv4.json`, list(m.irr4, 24));
    writeFileSync(`${LAB_DIR}/irr/AS${m.asn}.ipv6.json`, list(m.irr6, 48));
  }
  const bgpq4 = `${LAB_DIR}/bgpq4`;
  writeFileSync(
    bgpq4,
    `#!/bin/sh
# The lab's stand-in for bgpq4 -j (ixfabricd runs it as IXFABRIC_BGPQ4): answers from
# ${LAB_DIR}/irr/<OBJECT>.<asns|ipv4|ipv6>.json. Edit those and run \`rs apply --refresh\`.
q=ipv4
for a in "$@"; do case "$a" in -t) q=asns;; -6) q=ipv6;; esac; obj="$a"; done
exec cat "${LAB_DIR}/irr/$obj.$q.json"
`,
  );
  chmodSync(bgpq4, 0o755);
  const roas = [
    { asn: 'AS65001', prefix: '185.61.0.0/22', maxLength: 24 },
    { asn: 'AS65001', prefix: '2a0c:61::/32', maxLength: 48 },
    { asn: 'AS65002', prefix: '185.62.0.0/22', maxLength: 24 },
  ];
  writeFileSync(`${LAB_DIR}/roas.json`, `${JSON.stringify({ roas }, null, 1)}\n`);
}

export function memberBirdConfig(m: LabMember): string {
  const routes = (list: string[]) => list.map((p) => `  route ${p} blackhole;`).join('\n');
  const invalid4 = m.invalid.net.includes(':') ? [] : [m.invalid.net];
  return `# ${m.name}, AS${m.asn}, connected over ${m.link}. Written by \`npm run lab\`.
log "${memberDir(m.key)}/bird.log" all;
router id ${m.v4};
protocol device { scan time 2; }
# What it announces (${m.invalid.net} is filtered by the route server: ${m.invalid.why}).
protocol static announce4 {
  ipv4;
${routes([...m.announce4, ...invalid4])}
}
protocol static announce6 {
  ipv6;
${routes(m.announce6)}
}
# Routes learned from the route server go into the kernel (ping between members' networks).
protocol kernel kernel4 { ipv4 { import none; export where source = RTS_BGP; }; }
protocol kernel kernel6 { ipv6 { import none; export where source = RTS_BGP; }; }
template bgp route_server {
  connect delay time 1;
  connect retry time 5;
  error wait time 5, 30;
}
protocol bgp rs_v4 from route_server {
  local ${m.v4} as ${m.asn};
  neighbor ${RS.v4} as ${RS.asn};
  ipv4 { import all; export where source = RTS_STATIC; };
}
protocol bgp rs_v6 from route_server {
  local ${m.v6} as ${m.asn};
  neighbor ${RS.v6} as ${RS.asn};
  ipv6 { import all; export where source = RTS_STATIC; };
}
`;
}

// --- up -----------------------------------------------------------------------------------------

interface UpOptions {
  force: boolean;
  keep: boolean;
  /** Seconds to wait for the BGP sessions. */
  timeoutS: number;
}

function preflight(): void {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new LabError('the lab needs root (network namespaces, interfaces): run it with sudo, e.g. `sudo npm run lab`');
  }
  const missing: string[] = [];
  const tools: Array<[string, string]> = [
    ['ip', 'iproute2'],
    ['bird', 'bird2'],
    ['birdc', 'bird2'],
    ['ethtool', 'ethtool'],
  ];
  for (const [tool, pkg] of tools) if (!onPath(tool)) missing.push(`${tool} (Debian package ${pkg})`);
  if (missing.length) {
    const pkgs = [...new Set(tools.filter(([t]) => missing.some((x) => x.startsWith(`${t} `))).map(([, p]) => p))];
    throw new LabError(`missing: ${missing.join(', ')}. Install with: apt-get install -y ${pkgs.join(' ')}`);
  }
  if (!existsSync(join(REPO, 'dist', 'src', 'control', 'daemon.js'))) throw new LabError('ixfabricd is not built: run `npm run build` first');
}

function existingLab(): string | null {
  const nss = labNamespaces();
  const parts = [...(nss.length ? [`namespaces ${nss.join(', ')}`] : []), ...(existsSync(LAB_DIR) ? [LAB_DIR] : [])];
  return parts.length ? parts.join(' and ') : null;
}

async function up(io: LabIO, opts: UpOptions): Promise<number> {
  preflight();
  const existing = existingLab();
  if (existing) {
    if (!opts.force) {
      io.err(`lab: a lab already exists (${existing}).`);
      io.err('lab: `npm run lab -- down` removes it; `npm run lab -- up --force` replaces it.');
      return 1;
    }
    io.out(`lab: --force: removing the existing lab (${existing})`);
    await down(io);
  }
  const steps = 10;
  let n = 0;
  const step = (what: string) => io.out(`[${String(++n).padStart(2)}/${steps}] ${what}`);
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const check = () => {
    if (interrupted) throw new LabError('interrupted');
  };
  const t0 = Date.now();
  try {
    step(`state directory ${LAB_DIR}`);
    for (const d of [LAB_DIR, RS.dir, ...LAB_MEMBERS.map((m) => memberDir(m.key))]) mkdirSync(d, { recursive: true });

    step(`namespaces ${Object.values(LAB_NS).join(', ')}`);
    for (const ns of Object.values(LAB_NS)) {
      ip(null, `netns add ${ns}`);
      ip(ns, 'link set lo up');
    }
    check();

    step('links: route server and m2 on veths into the POP, m1 over VXLAN (underlay veth 10.47.1.0/24)');
    ip(null, `link add ixlab-rs netns ${LAB_NS.pop} type veth peer name ixp0 netns ${LAB_NS.rs}`);
    ip(null, `link add ixlab-m2 netns ${LAB_NS.pop} type veth peer name ixp0 netns ${LAB_NS.m2}`);
    ip(null, `link add ixlab-u1 netns ${LAB_NS.pop} type veth peer name u0 netns ${LAB_NS.m1}`);
    ip(LAB_NS.pop, `addr add ${UNDERLAY.pop}/24 dev ixlab-u1`);
    ip(LAB_NS.pop, 'link set ixlab-u1 up');
    ip(LAB_NS.m1, `addr add ${UNDERLAY.m1}/24 dev u0`);
    ip(LAB_NS.m1, 'link set u0 up');
    ip(LAB_NS.m1, `link add ixp0 type vxlan id 101 remote ${UNDERLAY.pop} local ${UNDERLAY.m1} dstport 4789`);
    ip(LAB_NS.m1, 'link set ixp0 mtu 1450');
    // A member on this host hands its vxlan device TCP segments with checksums left to offload;
    // a remote member's packets arrive checksummed. Behave like one.
    inNs(LAB_NS.m1, ['ethtool', '-K', 'ixp0', 'tx', 'off']);
    for (const [ns, v4, v6] of [[LAB_NS.rs, RS.v4, RS.v6], [LAB_NS.m1, LAB_MEMBERS[0]!.v4, LAB_MEMBERS[0]!.v6], [LAB_NS.m2, LAB_MEMBERS[1]!.v4, LAB_MEMBERS[1]!.v6]] as const) {
      ip(ns, `addr add ${v4}/24 dev ixp0`);
      ip(ns, `addr add ${v6}/64 dev ixp0 nodad`);
      ip(ns, 'link set ixp0 up');
    }
    // Each member's own network: an address of its first prefix on its loopback (no dummy
    // module needed), reachable from the others over the routes the route server passes on.
    // arp_announce=2: ARP from the peering-LAN address, not from the loopback source of the
    // packet (the fabric would rightly drop that as arp_spoof), as on a member's real router.
    for (const m of LAB_MEMBERS) {
      for (const p of [m.announce4[0]!, m.announce6[0]!]) ip(LAB_NS[m.key], `addr add ${hostOf(p)} dev lo`);
      inNs(LAB_NS[m.key], ['sysctl', '-qw', 'net.ipv4.conf.all.arp_announce=2']);
    }
    check();

    step(`registry ${LAB_CONFIG}, IRR fixtures and a stand-in bgpq4, ROA file`);
    writeFileSync(LAB_CONFIG, labRegistry());
    writeIrrFixtures();
    const checked = run(process.execPath, [DAEMON_BIN, '--config', LAB_CONFIG, '--check']);
    if (checked.status !== 0) throw new LabError(`the lab's registry does not check:\n${checked.stdout}${checked.stderr}`);

    step(`ixfabricd in ${LAB_NS.pop} (log ${LAB_DIR}/ixfabricd.log)`);
    const log = openSync(`${LAB_DIR}/ixfabricd.log`, 'a');
    const env: NodeJS.ProcessEnv = { ...process.env, IXFABRIC_BGPQ4: `${LAB_DIR}/bgpq4` };
    delete env.NOTIFY_SOCKET;
    const daemon = spawn('ip', ['netns', 'exec', LAB_NS.pop, process.execPath, DAEMON_BIN, '--config', LAB_CONFIG], {
      detached: true,
      stdio: ['ignore', log, log],
      env,
    });
    closeSync(log);
    daemon.unref();
    writeFileSync(`${LAB_DIR}/ixfabricd.pid`, `${daemon.pid}\n`);
    await poll('ixfabricd to answer on its control socket', () => {
      if (daemon.exitCode !== null) throw new LabError(`ixfabricd exited (${daemon.exitCode}):\n${tail(`${LAB_DIR}/ixfabricd.log`)}`);
      return existsSync(LAB_SOCKET) && ctl(['status']).status === 0;
    }, 30_000);
    // m3: the TAP the daemon created in the POP becomes m3's interface.
    await poll('the TAP ixlab-m3', () => run('ip', ['-n', LAB_NS.pop, 'link', 'show', 'ixlab-m3']).status === 0, 15_000);
    ip(LAB_NS.pop, `link set ixlab-m3 netns ${LAB_NS.m3}`);
    const m3 = LAB_MEMBERS[2]!;
    ip(LAB_NS.m3, `addr add ${m3.v4}/24 dev ${m3.dev}`);
    ip(LAB_NS.m3, `addr add ${m3.v6}/64 dev ${m3.dev} nodad`);
    ip(LAB_NS.m3, `link set ${m3.dev} up`);
    await poll('every port up', () => {
      const r = ctl(['ports']);
      return r.status === 0 && (JSON.parse(r.stdout) as Array<{ state: string }>).every((p) => p.state === 'up');
    }, 15_000, 250, () => ctl(['ports'], false).stdout);
    check();

    step(`route server config: ixfabricctl rs apply → ${RS.dir}/bird.conf`);
    const applied = ctl(['rs', 'apply']);
    if (applied.status !== 0) throw new LabError(`rs apply failed:\n${applied.stderr}`);

    step(`route server BIRD in ${LAB_NS.rs} (control socket ${RS_SOCKET}, logs to syslog)`);
    startBird(LAB_NS.rs, `${RS.dir}/bird.conf`, RS_SOCKET, `${RS.dir}/bird.pid`);

    step(`member BIRDs in ${LAB_MEMBERS.map((m) => LAB_NS[m.key]).join(', ')}`);
    for (const m of LAB_MEMBERS) {
      writeFileSync(`${memberDir(m.key)}/bird.conf`, memberBirdConfig(m));
      startBird(LAB_NS[m.key], `${memberDir(m.key)}/bird.conf`, memberSocket(m.key), `${memberDir(m.key)}/bird.pid`);
    }
    check();

    step(`BGP: waiting for the 6 route-server sessions to be Established (at most ${opts.timeoutS} s)`);
    await poll('the BGP sessions', () => {
      check();
      const r = ctl(['rs', 'status']);
      if (r.status !== 0) return false;
      const s = (JSON.parse(r.stdout) as { sessions: Array<{ bgpState: string | null }> }).sessions;
      return s.length === 6 && s.every((x) => x.bgpState === 'Established');
    }, opts.timeoutS * 1000, 500, () => `${ctl(['rs', 'status'], false).stdout}  BIRD logs: ${LAB_DIR}/m*/bird.log (members), syslog (route server); ixfabricd: ${LAB_DIR}/ixfabricd.log`);

    step("routes: waiting until every member has the others' routes");
    await poll("the members' routes", () => {
      check();
      return LAB_MEMBERS.every((to) =>
        LAB_MEMBERS.filter((f) => f !== to).every((from) => birdc(memberSocket(to.key), `show route ${from.announce4[0]}`).includes(`${from.announce4[0]} `)),
      );
    }, 30_000, 250);
  } catch (e) {
    io.err(`lab: ${(e as Error).message}`);
    if (opts.keep) {
      io.err('lab: --keep: the half-built lab stays for inspection; `npm run lab -- down` removes it.');
    } else {
      io.err(`lab: ixfabricd's last log lines:\n${tail(`${LAB_DIR}/ixfabricd.log`, 10)}`);
      io.err('lab: removing what was built (use --keep to leave it for inspection)');
      await down(io, true);
    }
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  io.out(`\nThe lab is up (${((Date.now() - t0) / 1000).toFixed(1)} s).\n`);
  io.out(describe());
  return 0;
}

function startBird(ns: string, conf: string, socket: string, pidFile: string): void {
  // BIRD daemonises itself: `ip netns exec` returns once it runs (or has refused its config).
  const r = run('ip', ['netns', 'exec', ns, 'bird', '-c', conf, '-s', socket, '-P', pidFile]);
  if (r.status !== 0) throw new LabError(`bird in ${ns} did not start: ${`${r.stderr}${r.stdout}`.trim()}`);
}

/** What the lab is and what to try, with commands that work as printed. */
export function describe(): string {
  const c = `${CTL_BIN} --socket ${LAB_SOCKET}`;
  const rows = [
    ['namespace', 'what', 'peering LAN', 'interface', 'announces'],
    [LAB_NS.pop, 'POP: ixfabricd', '-', '-', '-'],
    [LAB_NS.rs, `route server AS${RS.asn} (BIRD)`, `${RS.v4} ${RS.v6}`, 'ixp0', '-'],
    ...LAB_MEMBERS.map((m) => [LAB_NS[m.key], `AS${m.asn} over ${m.link}`, `${m.v4} ${m.v6}`, m.dev, [...m.announce4, ...m.announce6, `${m.invalid.net} (filtered)`].join(' ')]),
  ];
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const table = rows.map((r) => `  ${r.map((x, i) => (i === r.length - 1 ? x : x.padEnd(w[i] ?? 0))).join('  ')}`).join('\n');
  const [m1, m2, m3] = LAB_MEMBERS as [LabMember, LabMember, LabMember];
  return `${table}

Try (as root):

  # the fabric: ports, members, learned MACs, the route server's sessions
  ${c} ports
  ${c} members
  ${c} fdb
  ${c} rs status

  # BGP: the route server and a member (birdc needs only the socket, no namespace)
  birdc -s ${RS_SOCKET} show protocols
  birdc -s ${RS_SOCKET} show route filtered all        # why routes were filtered: (64510, 1101, N)
  birdc -s ${memberSocket('m1')} show protocols
  birdc -s ${memberSocket('m1')} show route all               # what m1 learned, with the RS's tags

  # traffic through the fabric
  ip netns exec ${LAB_NS.m1} ping -c 3 ${m2.v4}                     # m1 (VXLAN) → m2 (Ethernet), peering LAN
  ip netns exec ${LAB_NS.m1} ping -c 3 ${m3.v6}              # m1 → m3 (TAP), IPv6
  ip netns exec ${LAB_NS.m1} ping -c 3 -I ${hostOf(m1.announce4[0]!)} ${hostOf(m3.announce4[0]!)}     # m1's network → m3's, over routes from the RS
  ip netns exec ${LAB_NS.pop} curl -s 127.0.0.1:9477/metrics | grep ixfabric_port_rx_packets

  # change the policy: edit ${LAB_CONFIG} (e.g. a member's route_server.max_prefix)
  # or the IRR fixtures in ${LAB_DIR}/irr/, then
  ${c} reload
  ${c} rs apply --refresh
  birdc -s ${RS_SOCKET} show protocols                  # the sessions' Since did not change

  # logs: ${LAB_DIR}/ixfabricd.log, ${LAB_DIR}/m*/bird.log, the route server's BIRD in syslog

Remove it all: npm run lab -- down
`;
}

// --- down ---------------------------------------------------------------------------------------

/**
 * Removes a lab completely, found by its fixed names only: every process in an `ixlab-*`
 * namespace (SIGTERM, then SIGKILL after 10 s), the namespaces (their interfaces go with
 * them), and the state directory. Safe to run when there is no lab, or half of one.
 */
async function down(io: LabIO, quiet = false): Promise<number> {
  const nss = labNamespaces();
  const hasDir = existsSync(LAB_DIR);
  if (nss.length === 0 && !hasDir) {
    if (!quiet) io.out(`lab: no lab here (no ${NS_PREFIX}* namespaces, no ${LAB_DIR}): nothing to do`);
    return 0;
  }
  // Processes by namespace, so a process a crashed `up` left behind is found too.
  const pids = [...new Set(nss.flatMap(netnsPids))];
  const daemonPid = Number((existsSync(`${LAB_DIR}/ixfabricd.pid`) ? readFileSync(`${LAB_DIR}/ixfabricd.pid`, 'utf8') : '').trim());
  const names = pids.map((p) => `${p === daemonPid ? 'ixfabricd' : comm(p)}[${p}]`);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM'); // ixfabricd saves its FDB and removes its TAP; BIRD exits
    } catch {
      // already gone
    }
  }
  const end = Date.now() + 10_000;
  while (pids.some(alive) && Date.now() < end) await sleep(100);
  const stubborn = pids.filter(alive);
  for (const pid of stubborn) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  if (stubborn.length) await sleep(200);
  if (pids.length) io.out(`lab: stopped ${names.join(', ')}${stubborn.length ? ` (killed ${stubborn.length} that ignored SIGTERM)` : ''}`);
  const failed: string[] = [];
  for (const ns of nss) {
    const r = run('ip', ['netns', 'del', ns]);
    if (r.status !== 0) failed.push(`${ns}: ${r.stderr.trim()}`);
  }
  if (nss.length) io.out(`lab: removed namespaces ${nss.join(', ')}`);
  if (hasDir) {
    rmSync(LAB_DIR, { recursive: true, force: true });
    io.out(`lab: removed ${LAB_DIR}`);
  }
  if (failed.length) {
    io.err(`lab: could not remove: ${failed.join('; ')}`);
    return 1;
  }
  return 0;
}

// --- status -------------------------------------------------------------------------------------

function status(io: LabIO): number {
  const existing = existingLab();
  if (!existing) {
    io.out('lab: no lab here (`npm run lab` builds one)');
    return 1;
  }
  io.out(`lab: ${existing}`);
  const s = ctl(['rs', 'status'], false);
  if (s.status === 0) io.out(s.stdout.trimEnd());
  else io.err(`lab: ixfabricd does not answer on ${LAB_SOCKET}: ${s.stderr.trim()}`);
  return s.status === 0 ? 0 : 1;
}

// --- main ---------------------------------------------------------------------------------------

const USAGE = `Usage: npm run lab [-- up [--force] [--keep] [--timeout SECONDS]]
       npm run lab -- down
       npm run lab -- status

  up       build the lab (default): ixfabricd, a BIRD route server and three BIRD members
           (VXLAN, Ethernet, TAP) in namespaces ${NS_PREFIX}*, state in ${LAB_DIR}
    --force    remove an existing lab first
    --keep     leave a half-built lab in place when something fails (default: remove it)
    --timeout  seconds to wait for the BGP sessions (default 60)
  down     remove the lab completely (also after a crash)
  status   the route server's sessions`;

export async function main(argv: string[], io: LabIO = consoleIO): Promise<number> {
  if (argv.some((a) => a === '--help' || a === '-h')) {
    io.out(USAGE);
    return 0;
  }
  const [cmd = 'up', ...rest] = argv[0]?.startsWith('-') ? ['up', ...argv] : argv;
  try {
    if (cmd === 'up') {
      const opts: UpOptions = { force: false, keep: false, timeoutS: 60 };
      for (let i = 0; i < rest.length; i++) {
        const a = rest[i];
        if (a === '--force') opts.force = true;
        else if (a === '--keep') opts.keep = true;
        else if (a === '--timeout' && Number(rest[i + 1]) > 0) opts.timeoutS = Number(rest[++i]);
        else throw new UsageError(`up: unknown option ${a}`);
      }
      return await up(io, opts);
    }
    if (rest.length) throw new UsageError(`${cmd}: unexpected argument ${rest[0]}`);
    if (cmd === 'down') {
      preflightRoot();
      return await down(io);
    }
    if (cmd === 'status') return status(io);
    if (cmd === 'help') {
      io.out(USAGE);
      return 0;
    }
    throw new UsageError(`unknown command ${cmd}`);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`lab: ${e.message}\n${USAGE}`);
      return 2;
    }
    if (e instanceof LabError) {
      io.err(`lab: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

function preflightRoot(): void {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new LabError('removing the lab needs root: `sudo npm run lab -- down`');
  }
}

if (isMainModule(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
