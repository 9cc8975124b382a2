// OpenvpnSupervisor against a fake `openvpn` (a shell script, IXFABRIC_OPENVPN-style override):
// restarts with backoff, log forwarding, connection events, clean stop, SIGKILL for a process
// that ignores SIGTERM, no zombies, a leftover instance of a crashed daemon, a missing binary.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { OpenvpnParams } from '../../src/control/config-types.js';
import { lineLevel, OpenvpnSupervisor, parsePeer, type OpenvpnSupervisorOptions, type TapControl } from '../../src/control/openvpn-supervisor.js';

const FP = `${'ab:'.repeat(31)}ab`;
const params: OpenvpnParams = { type: 'openvpn', listenPort: 1195, peerFingerprint: FP, interface: 'ovpn1195' };

// FAKE_MODE: exit (log and exit 1), run (log, connect, run until SIGTERM), stubborn (ignore
// SIGTERM), short (run FAKE_RUN_S seconds, then exit 1), partial (a last line with no newline).
const FAKE = `#!/bin/bash
echo "OpenVPN 2.6.14 fake (args: $*)"
[ "$1" = --config ] && [ -f "$2" ] && grep -q '^peer-fingerprint ' "$2" && echo "config ok"
echo "starting $FAKE_MODE" >&2
case "$FAKE_MODE" in
  exit) echo "ERROR: Cannot ioctl TUNSETIFF ovpn1195: Device or resource busy (errno=16)"; echo "Exiting due to fatal error"; exit 1 ;;
  partial) printf 'line one\\nno newline at the end'; exit 3 ;;
  short) sleep "$FAKE_RUN_S"; exit 1 ;;
  stubborn) trap '' TERM ;;
  *) trap 'echo "SIGTERM[hard,] received, process exiting"; exit 0' TERM ;;
esac
echo "[mem] Peer Connection Initiated with [AF_INET6]::ffff:10.9.0.2:50149 (via ::ffff:10.9.0.1%veth0)"
echo "Initialization Sequence Completed"
echo "Inactivity timeout (--ping-restart), restarting"
echo "SIGUSR1[soft,ping-restart] received, process restarting"
echo "[mem] Peer Connection Initiated with [AF_INET]10.9.0.3:40000"
echo "Initialization Sequence Completed"
while :; do sleep 0.05; done
`;

interface Entry {
  level: 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string;
}

function lab(t: { teardown(fn: () => void | Promise<void>): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'ixf-ovpn-sup-'));
  const bin = join(dir, 'fake-openvpn');
  writeFileSync(bin, FAKE, { mode: 0o755 });
  const entries: Entry[] = [];
  const log = {
    info: (obj: object, msg: string) => void entries.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
    warn: (obj: object, msg: string) => void entries.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
    error: (obj: object, msg: string) => void entries.push({ level: 'error', obj: obj as Record<string, unknown>, msg }),
  };
  const tapCalls: string[] = [];
  const tap: TapControl = {
    ensure: async (name, mtu) => void tapCalls.push(`ensure ${name} ${mtu}`),
    remove: async (name) => void tapCalls.push(`remove ${name}`),
  };
  const sups: OpenvpnSupervisor[] = [];
  const make = (mode: string, over: Partial<OpenvpnSupervisorOptions> = {}, env: Record<string, string> = {}) => {
    const s = new OpenvpnSupervisor({
      name: 'as64500-ovpn',
      params,
      pop: 'fmt',
      underlay: { ipv4: '10.9.0.1', ipv6: null },
      stateDir: join(dir, 'state'),
      log,
      memberAsn: 64500,
      openvpnBin: bin,
      tap,
      backoff: { initialMs: 50, maxMs: 400, resetAfterMs: 10_000 },
      stopTimeoutMs: 1000,
      env: { ...process.env, FAKE_MODE: mode, ...env },
      ...over,
    });
    sups.push(s);
    return s;
  };
  t.teardown(async () => {
    for (const s of sups) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, bin, entries, tapCalls, make };
}

function once<T extends unknown[]>(s: OpenvpnSupervisor, ev: 'spawn' | 'exit' | 'backoff' | 'connected' | 'disconnected' | 'state', timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${ev} event within ${timeoutMs} ms`)), timeoutMs);
    s.once(ev, (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args as T);
    });
  });
}

const alive = (pid: number) => existsSync(`/proc/${pid}`);

async function waitUntil(fn: () => boolean, timeoutMs = 5000): Promise<void> {
  for (const end = Date.now() + timeoutMs; !fn(); ) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

t.test('runs openvpn with the written config, forwards its lines, reports the connection, stops cleanly', async (t) => {
  const l = lab(t);
  const s = l.make('run');
  const states: string[] = [];
  s.on('state', (x) => states.push(x));
  const events: string[] = [];
  s.on('connected', (peer) => events.push(`connected ${peer}`));
  s.on('disconnected', (why) => events.push(`disconnected ${why}`));
  const connected = once<[string | null]>(s, 'connected');
  await s.start();
  t.equal(s.state, 'running');
  const pid = s.pid!;
  t.ok(pid > 0 && alive(pid));
  t.same(l.tapCalls, ['ensure ovpn1195 1500'], 'tap created with MTU 1500 before openvpn starts');
  const conf = readFileSync(s.configPath, 'utf8');
  t.equal(s.configPath, join(l.dir, 'state', 'openvpn', 'as64500-ovpn.conf'));
  t.match(conf, `\npeer-fingerprint ${FP}\n`);
  t.match(conf, `\ncert ${join(l.dir, 'state', 'openvpn', 'pop.crt')}\n`);
  t.equal(statSync(s.configPath).mode & 0o777, 0o600);
  t.equal(readFileSync(s.pidPath, 'utf8'), `${pid}\n`, 'pid file');
  t.same(await connected, ['10.9.0.2:50149'], 'peer from the v4-mapped address');
  await waitUntil(() => events.length >= 3);
  t.same(events, ['connected 10.9.0.2:50149', 'disconnected ping-restart', 'connected 10.9.0.3:40000'], 'disconnect on ping-restart, reconnect with the new peer');
  t.equal(s.connected, true);

  const lines = l.entries.filter((e) => e.obj.openvpn_pid === pid);
  t.ok(lines.every((e) => e.obj.port === 'as64500-ovpn'), 'every line has the port');
  t.match(lines.find((e) => e.msg.startsWith('OpenVPN 2.6.14 fake')), { level: 'info', msg: `OpenVPN 2.6.14 fake (args: --config ${s.configPath})` });
  t.ok(lines.some((e) => e.msg === 'config ok'), 'openvpn got --config with the rendered file');
  await waitUntil(() => l.entries.some((e) => e.msg === 'starting run'));
  t.match(l.entries.find((e) => e.msg === 'starting run'), { level: 'warn', obj: { openvpn_pid: pid } }, 'stderr lines at warn');
  t.match(s.status(), { port: 'as64500-ovpn', member_asn: 64500, state: 'running', pid, restarts: 0, connected: true, peer: '10.9.0.3:40000', next_restart_s: null });

  await s.stop();
  t.equal(s.state, 'stopped');
  t.equal(s.pid, null);
  t.notOk(alive(pid), 'process gone and reaped (no zombie)');
  t.notOk(existsSync(s.pidPath), 'pid file removed');
  t.same(l.tapCalls, ['ensure ovpn1195 1500', 'remove ovpn1195'], 'tap removed on stop');
  t.equal(s.restarts, 0, 'a requested stop is not a restart');
  t.ok(l.entries.some((e) => e.obj.openvpn_pid === pid && e.msg === 'SIGTERM[hard,] received, process exiting'), 'its last words are logged');
  t.same(states, ['running', 'stopped']);
  await s.stop();
  t.equal(s.state, 'stopped', 'stop twice is fine');
});

t.test('quick failures back off 50, 100, 200, 400, 400 ms; lines are logged at their level', async (t) => {
  const l = lab(t);
  const s = l.make('exit');
  const delays: number[] = [];
  const pids: number[] = [];
  s.on('backoff', (d) => delays.push(d));
  s.on('spawn', (p) => pids.push(p));
  const t0 = Date.now();
  await s.start();
  while (delays.length < 5) await once(s, 'backoff');
  const elapsed = Date.now() - t0;
  t.same(delays, [50, 100, 200, 400, 400]);
  t.ok(elapsed >= 750, `restarts waited (${elapsed} ms)`);
  t.equal(s.restarts, 5);
  t.equal(new Set(pids).size, pids.length, 'a new process each time');
  t.equal(s.state, 'backoff');
  t.match(s.status(), { state: 'backoff', pid: null, last_exit: { code: 1, signal: null } });
  t.ok((s.status().next_restart_s ?? -1) >= 0);
  t.match(l.entries.find((e) => e.msg.startsWith('ERROR: Cannot ioctl')), { level: 'error', obj: { port: 'as64500-ovpn' } });
  t.match(l.entries.find((e) => e.msg === 'openvpn exited unexpectedly: restarting'), { level: 'warn', obj: { code: 1, restart_in_ms: 50 } });
  await s.stop();
  const n = pids.length;
  await new Promise((r) => setTimeout(r, 600));
  t.equal(pids.length, n, 'no restart after stop, even with a backoff timer pending');
  t.ok(pids.every((p) => !alive(p)), 'no zombies');
});

t.test('an instance that ran long enough restarts after the initial delay again', async (t) => {
  const l = lab(t);
  const s = l.make('short', { backoff: { initialMs: 50, maxMs: 1000, resetAfterMs: 250 } }, { FAKE_RUN_S: '0.4' });
  const delays: number[] = [];
  s.on('backoff', (d) => delays.push(d));
  await s.start();
  while (delays.length < 3) await once(s, 'backoff');
  t.same(delays, [50, 50, 50]);
  await s.stop();
});

t.test('SIGKILL after the timeout when SIGTERM is ignored', async (t) => {
  const l = lab(t);
  const s = l.make('stubborn', { stopTimeoutMs: 300 });
  await s.start();
  await once(s, 'connected');
  const pid = s.pid!;
  const exit = once<[{ signal: string | null }]>(s, 'exit');
  const t0 = Date.now();
  await s.stop();
  t.ok(Date.now() - t0 >= 300, 'waited for the timeout');
  t.equal((await exit)[0].signal, 'SIGKILL');
  t.notOk(alive(pid));
  t.ok(l.entries.some((e) => e.level === 'warn' && e.msg === 'openvpn did not stop on SIGTERM: SIGKILL'));
});

t.test('a killed openvpn is restarted; a partial last line is still logged', async (t) => {
  const l = lab(t);
  const s = l.make('run');
  await s.start();
  const first = s.pid!;
  const exit = once<[{ signal: string | null; pid: number }]>(s, 'exit');
  const respawn = once<[number]>(s, 'spawn');
  process.kill(first, 'SIGKILL');
  t.match((await exit)[0], { pid: first, signal: 'SIGKILL' });
  t.equal(s.connected, false, 'disconnected when the process died');
  const [second] = await respawn;
  t.not(second, first);
  t.equal(s.restarts, 1);
  t.same(l.tapCalls, ['ensure ovpn1195 1500', 'ensure ovpn1195 1500'], 'the tap is ensured again before a restart');
  t.equal(s.state, 'running');
  await s.stop();

  const p = l.make('partial');
  await p.start();
  await once(p, 'exit');
  t.ok(l.entries.some((e) => e.msg === 'no newline at the end'));
  await p.stop();
});

t.test('an openvpn left running by a crashed daemon is stopped before the new one starts', async (t) => {
  const l = lab(t);
  const s = l.make('run');
  mkdirSync(join(l.dir, 'state', 'openvpn'), { recursive: true });
  const leftover = spawn(l.bin, ['--config', s.configPath], { stdio: 'ignore', detached: true, env: { ...process.env, FAKE_MODE: 'run' } });
  t.teardown(() => {
    if (leftover.exitCode === null && leftover.signalCode === null) leftover.kill('SIGKILL');
  });
  const gone = new Promise((r) => leftover.once('exit', r));
  writeFileSync(s.pidPath, `${leftover.pid}\n`);
  await new Promise((r) => setTimeout(r, 100));
  await s.start();
  await gone;
  t.ok(l.entries.some((e) => e.msg === 'stopping an openvpn left running by an earlier daemon' && e.obj.openvpn_pid === leftover.pid));
  t.not(s.pid, leftover.pid);
  t.equal(readFileSync(s.pidPath, 'utf8'), `${s.pid}\n`);
  await s.stop();

  // a stale pid file naming some other process is ignored, that process is left alone
  const other = spawn('sleep', ['30'], { stdio: 'ignore' });
  t.teardown(() => void other.kill('SIGKILL'));
  writeFileSync(s.pidPath, `${other.pid}\n`);
  await s.start();
  t.ok(alive(other.pid!) && other.exitCode === null, 'unrelated process untouched');
  await s.stop();
});

t.test('a missing binary backs off and logs; a failing tap rejects start()', async (t) => {
  const l = lab(t);
  const s = l.make('run', { openvpnBin: join(l.dir, 'no-such-openvpn') });
  await s.start();
  await once(s, 'backoff');
  t.ok(l.entries.some((e) => e.level === 'error' && e.msg === 'openvpn could not be started' && String(e.obj.err).includes('ENOENT')));
  await s.stop();
  t.equal(s.state, 'stopped');

  const bad = l.make('run', {
    tap: {
      ensure: async () => {
        throw new Error('interface ovpn1195 exists and is not a tap device');
      },
      remove: async () => undefined,
    },
  });
  await t.rejects(bad.start(), /not a tap device/);
  t.equal(bad.state, 'stopped');
  t.equal(bad.pid, null);

  // the tap goes bad later: the restart backs off and says why
  let broken = false;
  const later = l.make('run', {
    tap: {
      ensure: async () => {
        if (broken) throw new Error('ip tuntap add dev ovpn1195 mode tap: Operation not permitted');
      },
      remove: async () => undefined,
    },
  });
  await later.start();
  broken = true;
  const first = later.pid!;
  process.kill(first, 'SIGKILL');
  await once(later, 'backoff');
  await once(later, 'backoff');
  t.ok(l.entries.some((e) => e.level === 'error' && e.msg === 'the tap cannot be made' && String(e.obj.err).includes('Operation not permitted')));
  t.equal(later.state, 'backoff');
  broken = false;
  await once(later, 'spawn', 3000);
  t.equal(later.state, 'running', 'and recovers once the tap can be made');
  await later.stop();
});

t.test('instances get SIGTERM when the daemon process exits without stopping them', async (t) => {
  const l = lab(t);
  const script = join(l.dir, 'exiter.mts');
  const mod = new URL('../../src/control/openvpn-supervisor.ts', import.meta.url).href;
  writeFileSync(
    script,
    `import { OpenvpnSupervisor } from ${JSON.stringify(mod)};
const log = { info() {}, warn() {}, error() {} };
const s = new OpenvpnSupervisor({ name: 'p', params: ${JSON.stringify(params)}, pop: 'fmt', underlay: { ipv4: '10.9.0.1', ipv6: null },
  stateDir: ${JSON.stringify(join(l.dir, 'state2'))}, log, openvpnBin: ${JSON.stringify(l.bin)}, tap: null, env: { ...process.env, FAKE_MODE: 'run' } });
await s.start();
process.stdout.write(String(s.pid) + ' ');
setTimeout(() => process.exit(0), 300);
`,
  );
  const loader = process.execArgv.filter((a) => a.includes('@tapjs/typescript'));
  const out = await new Promise<string>((resolve, reject) => {
    const c = spawn(process.execPath, [...loader, script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    c.stdout.on('data', (d: Buffer) => (text += d.toString()));
    c.on('error', reject);
    c.on('close', () => resolve(text));
  });
  const pid = Number(out.trim());
  t.ok(pid > 0, `child reported openvpn pid ${pid}`);
  await waitUntil(() => !alive(pid), 3000);
  t.notOk(alive(pid), 'the instance did not outlive the daemon');
});

t.test('IXFABRIC_OPENVPN overrides the binary', async (t) => {
  const l = lab(t);
  const saved = process.env.IXFABRIC_OPENVPN;
  process.env.IXFABRIC_OPENVPN = l.bin;
  t.teardown(() => {
    if (saved === undefined) delete process.env.IXFABRIC_OPENVPN;
    else process.env.IXFABRIC_OPENVPN = saved;
  });
  const s = l.make('run', { openvpnBin: undefined });
  await s.start();
  await once(s, 'connected');
  t.ok(l.entries.some((e) => e.msg.startsWith('OpenVPN 2.6.14 fake')));
  await s.stop();
});

t.test('log line levels and peer parsing', async (t) => {
  t.equal(lineLevel('Options error: Unrecognized option or missing or extra parameter(s) in x.conf:12: ifconfig-ipv6 (2.6.14)'), 'error');
  t.equal(lineLevel('Exiting due to fatal error'), 'error');
  t.equal(lineLevel('read UDPv4 [ECONNREFUSED]: Connection refused (fd=4,code=111)'), 'warn');
  t.equal(lineLevel("WARNING: 'link-mtu' is used inconsistently"), 'warn');
  t.equal(lineLevel('TLS Error: TLS handshake failed'), 'warn');
  t.equal(lineLevel('Initialization Sequence Completed'), 'info');
  t.equal(lineLevel('OpenVPN 2.6.14 x86_64-pc-linux-gnu [SSL (OpenSSL)] [LZO] [LZ4] [EPOLL] [PKCS11] [MH/PKTINFO] [AEAD] [DCO]'), 'info');
  t.equal(lineLevel('Sent fatal SSL alert: unknown CA'), 'warn', "a stranger's failed handshake is not our error");
  t.equal(lineLevel('TLS Error: --tls-verify/--peer-fingerprint certificate hash verification failed. (got certificate fingerprint: 20:90)'), 'warn');
  t.equal(parsePeer('[mem] Peer Connection Initiated with [AF_INET6]2001:db8::2:1194 (via 2001:db8::1%eth0)'), '2001:db8::2:1194');
  t.equal(parsePeer('[mem] Peer Connection Initiated with [AF_INET]10.0.0.2:1194'), '10.0.0.2:1194');
  t.equal(parsePeer('Initialization Sequence Completed'), undefined);
});
