// Network-namespace labs, shared by the end-to-end tests (test/helpers/netns.ts re-exports this)
// and the end-to-end benchmark (bench/e2e). Every name starts with a prefix unique to the run
// (namespaces, interfaces), and everything the lab made is removed in cleanup, also when a test
// fails: namespaces (which takes their interfaces with them), processes started in them,
// temporary files. Namespaces are named `<mark><prefix><name>`; the mark is `ixt-` for tests, so
// the test runner can also sweep up after a test file that was killed before its teardown ran
// (see scripts/test.mjs). Other users (the benchmark) pass their own mark so that sweep never
// touches them.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Anything that can run a function at teardown (a node-tap Test, for example). */
export interface Test {
  teardown(fn: () => void | Promise<void>): void;
}
export type Teardown = Test;

export interface LabOptions {
  /** Namespace name prefix (default NS_MARK, `ixt-`, which the test runner sweeps). */
  nsMark?: string;
}

/** Every test namespace starts with this. */
export const NS_MARK = 'ixt-';

/** Upper bound for one `ip` invocation: it never legitimately takes this long. */
const IP_TIMEOUT_MS = 30_000;

export class Lab {
  readonly prefix: string;
  readonly dir: string;
  readonly nsMark: string;
  private readonly namespaces: string[] = [];
  private readonly children: ChildProcess[] = [];
  private readonly onExit = () => this.cleanup();

  constructor(t?: Teardown | null, tag = 'x', opts: LabOptions = {}) {
    this.prefix = `${tag}${Math.random().toString(36).slice(2, 6)}`;
    this.nsMark = opts.nsMark ?? NS_MARK;
    this.dir = mkdtempSync(join(tmpdir(), `ixf-${this.prefix}-`));
    t?.teardown(() => this.cleanup());
    process.once('exit', this.onExit);
  }

  /** A namespace named <mark><prefix><name>, with loopback up. */
  ns(name: string): string {
    const full = `${this.nsMark}${this.prefix}${name}`;
    if (!this.namespaces.includes(full)) {
      execFileSync('ip', ['netns', 'add', full], { timeout: IP_TIMEOUT_MS });
      this.namespaces.push(full);
      this.ip(full, 'link set lo up');
    }
    return full;
  }

  /** Namespaces made so far. */
  get namespaceNames(): readonly string[] {
    return this.namespaces;
  }

  /** An interface name with the run prefix (at most 15 characters). */
  ifname(name: string): string {
    const n = `${this.prefix}${name}`;
    if (n.length > 15) throw new Error(`interface name too long: ${n}`);
    return n;
  }

  /** `ip` in a namespace (or the root one with ns = null); throws with stderr on failure. */
  ip(ns: string | null, args: string): string {
    const argv = ns ? ['-n', ns, ...args.split(/\s+/)] : args.split(/\s+/);
    const r = spawnSync('ip', argv, { encoding: 'utf8', timeout: IP_TIMEOUT_MS });
    if (r.status !== 0) throw new Error(`ip ${argv.join(' ')}: ${r.error ? String(r.error) : r.stderr.trim()}`);
    return r.stdout;
  }

  /** Runs a command in a namespace and returns its result (no throw). */
  run(ns: string, cmd: string[], opts: { timeoutMs?: number; input?: string } = {}) {
    return spawnSync('ip', ['netns', 'exec', ns, ...cmd], { encoding: 'utf8', timeout: opts.timeoutMs ?? 60_000, input: opts.input });
  }

  /** Runs a command in a namespace; throws with its output when it fails. */
  sh(ns: string, cmd: string[], opts: { timeoutMs?: number; input?: string } = {}): string {
    const r = this.run(ns, cmd, opts);
    if (r.status !== 0) throw new Error(`${cmd.join(' ')} in ${ns} failed (${r.status ?? r.signal}): ${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  /** Starts a long-running command in a namespace; it is killed in teardown. */
  spawn(ns: string, cmd: string[], logFile?: string, env?: Record<string, string>): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, ...cmd], { stdio: ['ignore', 'pipe', 'pipe'], env: env ? { ...process.env, ...env } : process.env });
    if (logFile) {
      const chunks: Buffer[] = [];
      const save = (c: Buffer) => {
        chunks.push(c);
        writeFileSync(logFile, Buffer.concat(chunks));
      };
      child.stdout!.on('data', save);
      child.stderr!.on('data', save);
    } else {
      child.stdout!.resume();
      child.stderr!.resume();
    }
    this.children.push(child);
    return child;
  }

  /** A veth pair: `a` in namespace nsA, `b` in nsB (null = root namespace). */
  veth(a: string, nsA: string | null, b: string, nsB: string | null): void {
    const argv = ['link', 'add', a, ...(nsA ? ['netns', nsA] : []), 'type', 'veth', 'peer', 'name', b, ...(nsB ? ['netns', nsB] : [])];
    execFileSync('ip', argv, { timeout: IP_TIMEOUT_MS });
  }

  /**
   * A member's kernel tunnel device in a namespace on this host hands the kernel TCP/UDP
   * segments with the checksum left to offload (they never leave the host). A remote member's
   * packets arrive checksummed, so the lab turns transmit checksum offload (and with it TSO)
   * off on members' tunnel devices to behave like one.
   */
  remoteLike(ns: string, dev: string): void {
    this.sh(ns, ['ethtool', '-K', dev, 'tx', 'off']);
  }

  /** IPv6 off in a namespace: no autoconfiguration or MLD frames besides what a test sends. */
  withoutIpv6(ns: string): void {
    this.sh(ns, ['sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  }

  file(name: string, content: string): string {
    const p = join(this.dir, name);
    writeFileSync(p, content);
    return p;
  }

  cleanup(): void {
    process.off('exit', this.onExit);
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const ns of this.namespaces) {
      const pids = (spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', timeout: IP_TIMEOUT_MS }).stdout ?? '').trim().split(/\s+/).filter(Boolean);
      for (const pid of pids) spawnSync('kill', ['-9', pid], { timeout: IP_TIMEOUT_MS });
      spawnSync('ip', ['netns', 'del', ns], { timeout: IP_TIMEOUT_MS });
    }
    this.namespaces.length = 0;
    if (existsSync(this.dir)) rmSync(this.dir, { recursive: true, force: true });
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `fn` until it returns a truthy value or the time is up. */
export async function waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 10_000, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(everyMs);
  }
}

/** Resolves when the child has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once('exit', () => r()));
}
