// Running the route server's external tools (bird, birdc, bgpq4) without a shell, with a time
// limit, collecting their output. Everything that runs a tool takes a `CommandRunner`, so a
// test can hand in recorded output instead of a real bgpq4 or point birdc at its own BIRD.

import { spawn } from 'node:child_process';

export interface CommandResult {
  /** Exit status; null when the process was killed (time limit) or could not start. */
  code: number | null;
  stdout: string;
  stderr: string;
}

export type CommandRunner = (
  cmd: string,
  args: string[],
  opts?: { timeoutMs?: number; input?: string },
) => Promise<CommandResult>;

/** Tool names can be redirected (e.g. `IXFABRIC_BIRD=/usr/local/sbin/bird`). */
export function toolPath(name: 'bird' | 'birdc' | 'bgpq4'): string {
  return process.env[`IXFABRIC_${name.toUpperCase()}`] ?? name;
}

export const runCommand: CommandRunner = (cmd, args, opts = {}) =>
  new Promise((resolve) => {
    let child;
    try {
      child = spawn(toolPath(cmd as 'bird') ?? cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (e) {
      resolve({ code: null, stdout: '', stderr: (e as Error).message });
      return;
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 60000);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, stdout: '', stderr: `cannot run ${cmd}: ${e.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8');
      resolve({
        code: timedOut ? null : code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: timedOut ? `${stderr}${cmd}: killed after ${opts.timeoutMs ?? 60000} ms` : stderr,
      });
    });
  });
