// One supervised `openvpn` process per OpenVPN member port.
//
//   const sup = new OpenvpnSupervisor({ name, params, pop, underlay, stateDir, log });
//   await sup.start();   // POP identity ensured, config written, tap created and up, openvpn spawned
//   ...                   // attach an AF_PACKET port to sup.interface
//   await sup.stop();    // SIGTERM, SIGKILL after stopTimeoutMs, tap removed
//
// - The config is rendered (openvpn-config.ts) and written atomically to
//   `state_dir/openvpn/<port>.conf` before every spawn; the POP's certificate and key are
//   generated there on first start (openvpn-pki.ts).
// - openvpn runs in the foreground in its own session (terminal signals sent to the daemon do
//   not reach it; the supervisor alone stops it). Its stdout and stderr lines go to the
//   daemon's log with `{port, openvpn_pid}`; errors at `error`, warnings at `warn`.
// - An exit the supervisor did not ask for is restarted after a backoff: 1 s, doubled per
//   quick failure up to 30 s; an instance that ran 60 s or more restarts after 1 s again.
// - The tap is created by the supervisor as a persistent device (`ip tuntap add`), set up
//   with MTU 1500, and opened by openvpn by name. When openvpn dies the device stays (its
//   carrier goes down), so an AF_PACKET socket bound to it stays valid across restarts and
//   the fabric port does not flap; every restart re-creates it if it went missing (then its
//   ifindex changes: re-attach); `stop()` removes it. `tap: null` leaves the device to
//   openvpn (then it exists only while openvpn runs, and nobody sets it up).
// - `state_dir/openvpn/<port>.pid` holds the running pid: an instance left behind by a daemon
//   that was SIGKILLed (it would hold the UDP port and the tap) is stopped by the next start.
//   Any other exit of the daemon's process SIGTERMs the running instances.
//
// Events: `state` (running / backoff / stopped), `spawn` (pid), `exit` (pid, code, signal,
// uptime), `backoff` (delay), `connected` (peer address) and `disconnected` (reason), read
// from openvpn's log lines ("Peer Connection Initiated with ...", "Initialization Sequence
// Completed", "SIGUSR1[soft,ping-restart]").

import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import type { OpenvpnParams } from './config-types.js';
import { renderServerConfig } from './openvpn-config.js';
import { ensurePopIdentity, openvpnDir, type PopIdentity } from './openvpn-pki.js';
import { writeFileAtomic } from './atomic-file.js';

const run = promisify(execFile);

export type OpenvpnState = 'running' | 'backoff' | 'stopped';

/** The subset of a pino logger the supervisor writes to. */
export interface OpenvpnLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Creates / removes the instance's tap device. */
export interface TapControl {
  /** Makes sure a persistent tap `name` exists, is up and has MTU `mtu`. */
  ensure(name: string, mtu: number): Promise<void>;
  /** Removes the device (no error when it is already gone). */
  remove(name: string): Promise<void>;
}

export interface BackoffOptions {
  /** First restart delay (default 1000 ms). */
  initialMs?: number;
  /** Longest delay (default 30000 ms). */
  maxMs?: number;
  /** An instance that ran this long restarts after `initialMs` again (default 60000 ms). */
  resetAfterMs?: number;
}

export interface OpenvpnSupervisorOptions {
  /** The port's name: config file name, log field `port`. */
  name: string;
  params: OpenvpnParams;
  /** This POP's name (certificate CN, comments). */
  pop: string;
  /** The POP's underlay addresses (`Config.underlay`): where the instance listens. */
  underlay: { ipv4: string | null; ipv6: string | null };
  /** `control.state_dir`; the instance's files live in `state_dir/openvpn/`. */
  stateDir: string;
  log: OpenvpnLog;
  memberAsn?: number | null;
  memberName?: string | null;
  /** openvpn binary: this, else $IXFABRIC_OPENVPN, else `openvpn` from PATH. */
  openvpnBin?: string;
  /** Tap management; default `ipTapControl()`; null = let openvpn create a non-persistent tap. */
  tap?: TapControl | null;
  backoff?: BackoffOptions;
  /** SIGTERM → SIGKILL grace period on stop (default 8000 ms; openvpn spends about 2 s notifying its peer). */
  stopTimeoutMs?: number;
  /** openvpn verbosity (default 3). */
  verb?: number;
  /** Environment of the child (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface OpenvpnExit {
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  uptimeMs: number;
}

export interface OpenvpnStatus {
  port: string;
  member_asn: number | null;
  interface: string;
  listen_port: number;
  state: OpenvpnState;
  pid: number | null;
  restarts: number;
  uptime_s: number | null;
  connected: boolean;
  peer: string | null;
  last_exit: { code: number | null; signal: string | null; at: string } | null;
  next_restart_s: number | null;
}

type Events = {
  state: [OpenvpnState];
  spawn: [number];
  exit: [OpenvpnExit];
  backoff: [number];
  connected: [string | null];
  disconnected: [string];
};

const MTU = 1500;

// Instances run in their own session, so they outlive a daemon that exits without stopping
// them. On any exit Node still runs (process.exit, an uncaught exception) they get SIGTERM;
// after a SIGKILL of the daemon, the pid file lets the next start find them.
const live = new Set<ChildProcess>();
let exitHook = false;
function track(child: ChildProcess): void {
  live.add(child);
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => {
    for (const c of live) c.kill('SIGTERM');
  });
}

/** A safe file name for a port (port names are validated, this is belt and braces). */
function fileStem(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** Level of an openvpn log line. */
export function lineLevel(line: string): 'info' | 'warn' | 'error' {
  if (/^Options error|^ERROR:|Exiting due to fatal error/.test(line)) return 'error';
  if (/WARNING|TLS Error|TLS_ERROR|VERIFY ERROR|AUTH_FAILED|SSL alert|\bCannot\b|\[E[A-Z]+\]:/.test(line)) return 'warn';
  return 'info';
}

/** The peer address in "Peer Connection Initiated with [AF_INET6]::ffff:10.9.0.2:50149 (via ...)". */
export function parsePeer(line: string): string | undefined {
  const m = /Peer Connection Initiated with \[AF_INET6?\](\S+)/.exec(line);
  if (!m) return undefined;
  const addr = m[1]!.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+:\d+)$/, '$1');
  return addr;
}

export class OpenvpnSupervisor extends EventEmitter<Events> {
  readonly name: string;
  readonly params: OpenvpnParams;
  readonly configPath: string;
  readonly pidPath: string;
  private readonly bin: string;
  private readonly tap: TapControl | null;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly resetAfterMs: number;
  private readonly stopTimeoutMs: number;

  private _state: OpenvpnState = 'stopped';
  private child: ChildProcess | null = null;
  private childExited: Promise<void> | null = null;
  private startedAt = 0;
  private delayMs: number;
  private timer: NodeJS.Timeout | null = null;
  private nextRestartAt = 0;
  private wanted = false;
  private generation = 0;
  private _restarts = 0;
  private _connected = false;
  private _peer: string | null = null;
  private lastExit: { code: number | null; signal: string | null; at: Date } | null = null;
  private identity: PopIdentity | null = null;

  constructor(private readonly opts: OpenvpnSupervisorOptions) {
    super();
    this.name = opts.name;
    this.params = opts.params;
    const dir = openvpnDir(opts.stateDir);
    this.configPath = join(dir, `${fileStem(opts.name)}.conf`);
    this.pidPath = join(dir, `${fileStem(opts.name)}.pid`);
    this.bin = opts.openvpnBin ?? process.env.IXFABRIC_OPENVPN ?? 'openvpn';
    this.tap = opts.tap === undefined ? ipTapControl() : opts.tap;
    this.initialMs = opts.backoff?.initialMs ?? 1000;
    this.maxMs = opts.backoff?.maxMs ?? 30_000;
    this.resetAfterMs = opts.backoff?.resetAfterMs ?? 60_000;
    this.stopTimeoutMs = opts.stopTimeoutMs ?? 8000;
    this.delayMs = this.initialMs;
  }

  get state(): OpenvpnState {
    return this._state;
  }

  /** pid of the running openvpn, else null. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Restarts after exits the supervisor did not ask for. */
  get restarts(): number {
    return this._restarts;
  }

  /** True between "Initialization Sequence Completed" and the next disconnect or exit. */
  get connected(): boolean {
    return this._connected;
  }

  /** The member's address:port as openvpn last reported it. */
  get peer(): string | null {
    return this._peer;
  }

  /** The tap device (attach the fabric port here). */
  get interface(): string {
    return this.params.interface;
  }

  /** The POP identity in use (after start). */
  get popIdentity(): PopIdentity | null {
    return this.identity;
  }

  /**
   * Ensures the POP identity, writes the config, creates the tap and spawns openvpn. Resolves
   * once openvpn is spawned (or backing off after an immediate spawn failure); rejects, with
   * the supervisor stopped, when the identity or the tap cannot be made.
   */
  async start(): Promise<void> {
    if (this.wanted) return;
    this.wanted = true;
    const gen = ++this.generation;
    try {
      this.identity = await ensurePopIdentity({ stateDir: this.opts.stateDir, pop: this.opts.pop });
      if (this.identity.created) {
        this.opts.log.info({ port: this.name, cert: this.identity.certPath, fingerprint: this.identity.fingerprint }, 'generated the POP OpenVPN certificate');
      }
      await this.stopLeftover();
      if (gen !== this.generation) return;
      this.writeConfig();
      if (this.tap) {
        await this.tap.ensure(this.params.interface, MTU);
        // stop() ran meanwhile and may have removed the tap before it existed
        if (gen !== this.generation) await this.tap.remove(this.params.interface);
      }
    } catch (err) {
      if (gen === this.generation) this.wanted = false;
      throw err;
    }
    if (gen !== this.generation) return;
    this.delayMs = this.initialMs;
    this.spawnChild();
  }

  /** Stops openvpn (SIGTERM, then SIGKILL after stopTimeoutMs), cancels restarts, removes the tap. */
  async stop(): Promise<void> {
    this.wanted = false;
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const child = this.child;
    if (child && this.childExited) {
      const exited = this.childExited;
      child.kill('SIGTERM');
      const killTimer = setTimeout(() => {
        this.opts.log.warn({ port: this.name, openvpn_pid: child.pid, timeout_ms: this.stopTimeoutMs }, 'openvpn did not stop on SIGTERM: SIGKILL');
        child.kill('SIGKILL');
      }, this.stopTimeoutMs);
      await exited;
      clearTimeout(killTimer);
    }
    rmSync(this.pidPath, { force: true });
    if (this.tap) {
      await this.tap.remove(this.params.interface).catch((err: Error) => {
        this.opts.log.warn({ port: this.name, interface: this.params.interface, err: err.message }, 'removing the tap failed');
      });
    }
    if (this._state !== 'stopped') this.opts.log.info({ port: this.name }, 'openvpn stopped');
    this.setState('stopped');
  }

  status(): OpenvpnStatus {
    return {
      port: this.name,
      member_asn: this.opts.memberAsn ?? null,
      interface: this.params.interface,
      listen_port: this.params.listenPort,
      state: this._state,
      pid: this.pid,
      restarts: this._restarts,
      uptime_s: this.child ? Math.round((Date.now() - this.startedAt) / 100) / 10 : null,
      connected: this._connected,
      peer: this._peer,
      last_exit: this.lastExit ? { code: this.lastExit.code, signal: this.lastExit.signal, at: this.lastExit.at.toISOString() } : null,
      next_restart_s: this._state === 'backoff' ? Math.max(0, Math.round((this.nextRestartAt - Date.now()) / 100) / 10) : null,
    };
  }

  /** The rendered config, as written to `configPath`. */
  renderConfig(): string {
    if (!this.identity) throw new Error('the POP identity is not loaded yet (start() first)');
    return renderServerConfig({
      port: this.name,
      pop: this.opts.pop,
      memberAsn: this.opts.memberAsn ?? null,
      memberName: this.opts.memberName ?? null,
      params: this.params,
      underlay: this.opts.underlay,
      certPath: this.identity.certPath,
      keyPath: this.identity.keyPath,
      ...(this.opts.verb === undefined ? {} : { verb: this.opts.verb }),
    });
  }

  private writeConfig(): void {
    writeFileAtomic(this.configPath, this.renderConfig(), 0o600);
  }

  private setState(s: OpenvpnState): void {
    if (this._state === s) return;
    this._state = s;
    this.emit('state', s);
  }

  /** A restart: the tap again first (an operator may have deleted it), then openvpn. */
  private async respawn(gen: number): Promise<void> {
    this.timer = null;
    if (this.tap) {
      try {
        await this.tap.ensure(this.params.interface, MTU);
      } catch (err) {
        if (gen !== this.generation || !this.wanted) return;
        this.opts.log.error({ port: this.name, interface: this.params.interface, err: (err as Error).message }, 'the tap cannot be made');
        this.afterExit({ pid: 0, code: null, signal: null, uptimeMs: 0 });
        return;
      }
      if (gen !== this.generation || !this.wanted) {
        await this.tap.remove(this.params.interface).catch(() => undefined);
        return;
      }
    }
    this.spawnChild();
  }

  private spawnChild(): void {
    this.timer = null;
    try {
      this.writeConfig();
    } catch (err) {
      this.opts.log.error({ port: this.name, file: this.configPath, err: (err as Error).message }, 'writing the openvpn config failed');
    }
    let child: ChildProcess;
    try {
      child = spawn(this.bin, ['--config', this.configPath], {
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
        cwd: openvpnDir(this.opts.stateDir),
        env: this.opts.env ?? process.env,
      });
    } catch (err) {
      this.opts.log.error({ port: this.name, bin: this.bin, err: (err as Error).message }, 'openvpn could not be started');
      this.afterExit({ pid: 0, code: null, signal: null, uptimeMs: 0 });
      return;
    }
    this.child = child;
    this.startedAt = Date.now();
    const pid = child.pid ?? 0;
    let done = false;
    let resolveExited!: () => void;
    this.childExited = new Promise((r) => (resolveExited = r));
    const finish = (code: number | null, signal: NodeJS.Signals | null, err?: Error) => {
      if (done) return;
      done = true;
      const uptimeMs = Date.now() - this.startedAt;
      live.delete(child);
      if (this.child === child) {
        this.child = null;
        this.childExited = null;
      }
      rmSync(this.pidPath, { force: true });
      resolveExited();
      if (err) this.opts.log.error({ port: this.name, bin: this.bin, err: err.message }, 'openvpn could not be started');
      this.afterExit({ pid, code, signal, uptimeMs });
    };
    child.on('error', (err) => {
      // spawn failed (ENOENT, EACCES): there is no process to wait for
      if (child.pid === undefined) finish(null, null, err);
    });
    // 'close' waits for the pipes too, so every log line is out before the restart; a
    // descendant holding the pipes open must not keep a dead instance from restarting.
    child.on('close', (code, signal) => finish(code, signal));
    child.on('exit', (code, signal) => void setTimeout(() => finish(code, signal), 1000));
    if (child.pid === undefined) return;
    track(child);

    for (const [stream, src] of [['stdout', child.stdout], ['stderr', child.stderr]] as const) {
      if (!src) continue;
      createInterface({ input: src, crlfDelay: Infinity }).on('line', (line) => this.onLine(pid, line, stream));
    }
    try {
      writeFileAtomic(this.pidPath, `${pid}\n`);
    } catch {
      // only used to find a leftover instance after a crash
    }
    this.opts.log.info({ port: this.name, openvpn_pid: pid, config: this.configPath, interface: this.params.interface, listen_port: this.params.listenPort }, 'openvpn started');
    this.setState('running');
    this.emit('spawn', pid);
  }

  private onLine(pid: number, raw: string, stream: 'stdout' | 'stderr'): void {
    const line = raw.trimEnd();
    if (!line) return;
    const level = stream === 'stderr' && lineLevel(line) === 'info' ? 'warn' : lineLevel(line);
    this.opts.log[level]({ port: this.name, openvpn_pid: pid }, line);
    const peer = parsePeer(line);
    if (peer !== undefined) this._peer = peer;
    if (line.includes('Initialization Sequence Completed')) {
      this._connected = true;
      this.emit('connected', this._peer);
      return;
    }
    const restart = /SIG(?:USR1|HUP)\[[a-z]+,([^\]]*)\] received/.exec(line);
    if (restart) this.disconnect(restart[1] || 'restart');
  }

  private disconnect(reason: string): void {
    if (!this._connected) return;
    this._connected = false;
    this.emit('disconnected', reason);
  }

  private afterExit(e: OpenvpnExit): void {
    this.lastExit = { code: e.code, signal: e.signal, at: new Date() };
    this.disconnect(e.signal ? `exited on ${e.signal}` : `exited with code ${e.code ?? 'none'}`);
    this.emit('exit', e);
    if (!this.wanted) {
      if (e.pid) this.opts.log.info({ port: this.name, openvpn_pid: e.pid, code: e.code, signal: e.signal }, 'openvpn exited');
      return;
    }
    if (e.uptimeMs >= this.resetAfterMs) this.delayMs = this.initialMs;
    const delay = this.delayMs;
    this.delayMs = Math.min(this.delayMs * 2, this.maxMs);
    this._restarts++;
    this.opts.log.warn(
      { port: this.name, openvpn_pid: e.pid || null, code: e.code, signal: e.signal, uptime_s: Math.round(e.uptimeMs / 100) / 10, restart_in_ms: delay },
      'openvpn exited unexpectedly: restarting',
    );
    this.nextRestartAt = Date.now() + delay;
    this.setState('backoff');
    this.emit('backoff', delay);
    const gen = this.generation;
    this.timer = setTimeout(() => {
      if (gen === this.generation && this.wanted) void this.respawn(gen);
    }, delay);
  }

  /** Stops an openvpn left running with our config by an earlier daemon (pid file). */
  private async stopLeftover(): Promise<void> {
    let pid: number;
    try {
      pid = Number(readFileSync(this.pidPath, 'utf8').trim());
    } catch {
      return;
    }
    if (!Number.isInteger(pid) || pid <= 1 || !isOurOpenvpn(pid, this.configPath)) {
      rmSync(this.pidPath, { force: true });
      return;
    }
    this.opts.log.warn({ port: this.name, openvpn_pid: pid }, 'stopping an openvpn left running by an earlier daemon');
    const signalAndWait = async (sig: NodeJS.Signals, ms: number) => {
      try {
        process.kill(pid, sig);
      } catch {
        return true;
      }
      for (const end = Date.now() + ms; Date.now() < end; ) {
        if (!isOurOpenvpn(pid, this.configPath)) return true;
        await new Promise((r) => setTimeout(r, 50));
      }
      return !isOurOpenvpn(pid, this.configPath);
    };
    if (!(await signalAndWait('SIGTERM', this.stopTimeoutMs))) await signalAndWait('SIGKILL', 2000);
    rmSync(this.pidPath, { force: true });
  }
}

/** True when `pid` is a live process whose command line names `configPath` (zombies have none). */
function isOurOpenvpn(pid: number, configPath: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(configPath);
  } catch {
    return false;
  }
}

export interface IpTapOptions {
  /** `ip` binary (default `ip` from PATH). */
  ipBin?: string;
  /** Run `ip -n NETNS` (tests; the daemon runs in the POP's namespace and needs none). */
  netns?: string;
}

/** Tap management with iproute2: `ip tuntap add dev NAME mode tap`, `ip link set ... up`, `ip link del`. */
export function ipTapControl(o: IpTapOptions = {}): TapControl {
  const bin = o.ipBin ?? 'ip';
  const pre = o.netns ? ['-n', o.netns] : [];
  const ip = async (args: string[]) => {
    try {
      return (await run(bin, [...pre, ...args], { timeout: 10_000 })).stdout;
    } catch (err) {
      const e = err as Error & { stderr?: string };
      throw new Error(`ip ${[...pre, ...args].join(' ')}: ${(e.stderr ?? e.message).trim()}`);
    }
  };
  const details = async (name: string): Promise<string | null> => {
    try {
      return (await run(bin, [...pre, '-d', '-o', 'link', 'show', 'dev', name], { timeout: 10_000 })).stdout;
    } catch {
      return null;
    }
  };
  return {
    async ensure(name, mtu) {
      const d = await details(name);
      if (d === null) await ip(['tuntap', 'add', 'dev', name, 'mode', 'tap']);
      else if (!/\btun type tap\b/.test(d)) throw new Error(`interface ${name} exists and is not a tap device: rename or remove it`);
      await ip(['link', 'set', 'dev', name, 'mtu', String(mtu), 'up']);
    },
    async remove(name) {
      if ((await details(name)) === null) return;
      await ip(['link', 'del', 'dev', name]);
    },
  };
}
