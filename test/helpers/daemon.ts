// Runs ixfabricd in a namespace of a Lab and talks to it with ixfabricctl --json.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { ctlBin, daemonBin, type Lab, waitFor } from './netns.js';

export class Daemon {
  readonly socket: string;
  readonly log: string;
  proc: ChildProcess | null = null;

  constructor(
    private readonly lab: Lab,
    readonly ns: string,
    readonly config: string,
    readonly name = 'pop',
    private readonly extraArgs: string[] = [],
    private readonly env?: Record<string, string>,
  ) {
    this.socket = join(lab.dir, `${name}.sock`);
    this.log = join(lab.dir, `${name}.log`);
  }

  async start(): Promise<void> {
    this.proc = this.lab.spawn(this.ns, [process.execPath, daemonBin, '--config', this.config, ...this.extraArgs], this.log, this.env);
    await waitFor(`ixfabricd ${this.name} control socket`, () => {
      if (this.proc!.exitCode !== null) throw new Error(`ixfabricd exited ${this.proc!.exitCode}: ${this.logText()}`);
      return existsSync(this.socket) && this.ctlRaw(['status']).status === 0;
    }, 20_000);
  }

  logText(): string {
    return existsSync(this.log) ? readFileSync(this.log, 'utf8') : '';
  }

  ctlRaw(args: string[]) {
    return spawnSync(process.execPath, [ctlBin, '--socket', this.socket, '--json', ...args], { encoding: 'utf8', timeout: 30_000 });
  }

  /** Runs an ixfabricctl command and returns its JSON answer; throws on failure. */
  ctl<T = any>(...args: string[]): T {
    const r = this.ctlRaw(args);
    if (r.status !== 0) throw new Error(`ixfabricctl ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  }

  port(name: string): any {
    const p = this.ctl<any[]>('ports').find((x) => x.name === name);
    if (!p) throw new Error(`no port ${name}`);
    return p;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (!this.proc || this.proc.exitCode !== null) return this.proc?.exitCode ?? null;
    // the child is `ip netns exec`, which execs node: signalling it signals the daemon
    this.proc.kill(signal);
    await waitFor('ixfabricd to exit', () => this.proc!.exitCode !== null || this.proc!.signalCode !== null, 15_000);
    return this.proc.exitCode;
  }
}
