// Running external commands for the benchmark: every command has a timeout, runs in its own
// process group (so a signal reaches every process it forks, as trafgen does), and is tracked
// so that an interrupted run can kill whatever is still running.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { sleep } from '../lib/netns.js';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  ms: number;
}

const live = new Set<ChildProcess>();

/** argv for a command in a namespace (null = the benchmark's own namespace). */
export function inNs(ns: string | null, cmd: string[]): string[] {
  return ns ? ['ip', 'netns', 'exec', ns, ...cmd] : cmd;
}

/** argv pinned to a CPU with taskset. */
export function pinned(cpu: number | null, cmd: string[]): string[] {
  return cpu === null ? cmd : ['taskset', '-c', String(cpu), ...cmd];
}

/** A short synchronous command (ip, ethtool, sysctl, taskset). Never throws; check `code`. */
export function runSync(argv: string[], opts: { timeoutMs?: number; input?: string } = {}): RunResult {
  const t0 = Date.now();
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: opts.timeoutMs ?? 20_000, input: opts.input, killSignal: 'SIGKILL' });
  const timedOut = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
  return { code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error && !timedOut ? String(r.error) : ''), timedOut, ms: Date.now() - t0 };
}

/** Like runSync, but throws with the command's output when it fails. */
export function mustSync(argv: string[], opts: { timeoutMs?: number; input?: string } = {}): string {
  const r = runSync(argv, opts);
  if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.timedOut ? 'timed out' : `exit ${r.code ?? r.signal}`}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/** A running command. */
export class Proc {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  timedOut = false;
  readonly done: Promise<RunResult>;
  private readonly t0 = Date.now();
  private timer: NodeJS.Timeout | null = null;

  constructor(readonly argv: string[], opts: { timeoutMs: number; stdin?: 'pipe' | 'ignore'; logFile?: string; env?: Record<string, string> }) {
    this.child = spawn(argv[0]!, argv.slice(1), { stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'], detached: true, env: opts.env ? { ...process.env, ...opts.env } : process.env });
    live.add(this.child);
    const log = () => {
      if (opts.logFile) writeFileSync(opts.logFile, this.stdout + this.stderr);
    };
    this.child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      this.stdout += c;
      log();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (c: string) => {
      this.stderr += c;
      log();
    });
    this.child.stdin?.on('error', () => {});
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.signal('SIGKILL');
    }, opts.timeoutMs);
    this.done = new Promise((resolve) => {
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        if (this.timer) clearTimeout(this.timer);
        live.delete(this.child);
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr, timedOut: this.timedOut, ms: Date.now() - this.t0 });
      };
      this.child.once('error', (err) => {
        this.stderr += String(err);
        finish(null, null);
      });
      this.child.once('close', finish);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Signals the whole process group. */
  signal(sig: NodeJS.Signals): void {
    if (!this.child.pid) return;
    try {
      process.kill(-this.child.pid, sig);
    } catch {
      /* already gone */
    }
  }

  /** Sends `sig`, waits up to graceMs, then SIGKILLs the group. */
  async stop(sig: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<RunResult> {
    if (this.running) {
      this.signal(sig);
      const t = setTimeout(() => this.signal('SIGKILL'), graceMs);
      const r = await this.done;
      clearTimeout(t);
      return r;
    }
    return this.done;
  }
}

/** Starts a command (use inNs/pinned to build argv); it is killed after timeoutMs. */
export function start(argv: string[], opts: { timeoutMs: number; stdin?: 'pipe' | 'ignore'; logFile?: string; env?: Record<string, string> }): Proc {
  return new Proc(argv, opts);
}

/**
 * Waits until every one of `procs` has printed `text` on `stream`; throws with the end of its
 * stderr when one exits first, and after timeoutMs.
 */
export async function waitForOutput(procs: Proc[], stream: 'stdout' | 'stderr', text: string, what: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!procs.every((p) => p[stream].includes(text))) {
    const dead = procs.find((p) => !p.running);
    if (dead) throw new Error(`${what} exited: ${(await dead.done).stderr.trim().slice(-400)}`);
    if (Date.now() > end) throw new Error(`${what} did not get ready within ${timeoutMs / 1000} s`);
    await sleep(50);
  }
}

/**
 * Starts a long-running process (a userspace switch) that prints `ready` on stdout when it is
 * ready, and waits for that line (waitForOutput); a process that does not get ready is killed.
 */
export async function startReady(argv: string[], what: string, logFile: string, timeoutMs = 15_000): Promise<Proc> {
  const proc = start(argv, { timeoutMs: 6 * 3600_000, logFile });
  try {
    await waitForOutput([proc], 'stdout', 'ready', what, timeoutMs);
  } catch (err) {
    await proc.stop('SIGKILL', 0);
    throw err;
  }
  return proc;
}

/** Runs a command to completion (with a timeout). */
export function run(argv: string[], timeoutMs: number): Promise<RunResult> {
  return new Proc(argv, { timeoutMs }).done;
}

/** Kills every command still running (interrupt / fatal error path). */
export function killAll(): void {
  for (const c of live) {
    try {
      if (c.pid) process.kill(-c.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  live.clear();
}

/** Tools the benchmark drives, with the Debian package that has each. */
export const TOOLS: Record<string, string> = {
  ip: 'iproute2',
  ethtool: 'ethtool',
  taskset: 'util-linux',
  ping: 'iputils-ping',
  trafgen: 'netsniff-ng',
  iperf3: 'iperf3',
  tcpreplay: 'tcpreplay',
  vde_switch: 'vde2',
  cc: 'gcc',
  tcpdump: 'tcpdump',
  tshark: 'tshark',
};

/** The tools of `names` that are not on PATH. */
export function missingTools(names: string[]): string[] {
  return names.filter((n) => runSync(['sh', '-c', `command -v ${n}`]).code !== 0);
}
