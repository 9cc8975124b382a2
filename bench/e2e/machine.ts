// A description of the machine and software the figures come from.
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { runSync } from './exec.js';
import { repoRoot } from './paths.js';

export interface Machine {
  cpu: string;
  cores: number;
  kernel: string;
  node: string;
  loadavg: number[];
  tools: Record<string, string>;
  commit: string;
}

function firstLine(argv: string[]): string {
  const r = runSync(argv, { timeoutMs: 5000 });
  return (r.stdout + r.stderr).split('\n').map((l) => l.trim()).find(Boolean) ?? '?';
}

export function describeMachine(): Machine {
  let cpu = cpus()[0]?.model ?? '?';
  try {
    const m = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1]!.trim();
  } catch {
    /* keep os.cpus() */
  }
  const rev = runSync(['git', '-C', repoRoot, 'rev-parse', '--short', 'HEAD']).stdout.trim();
  const dirty = runSync(['git', '-C', repoRoot, 'status', '--porcelain', '--untracked-files=no', '--', 'src', 'native']).stdout.trim() !== '';
  return {
    cpu,
    cores: cpus().length,
    kernel: release(),
    node: process.version,
    loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
    tools: {
      trafgen: firstLine(['trafgen', '-v']),
      iperf3: firstLine(['iperf3', '--version']),
      tcpreplay: firstLine(['tcpreplay', '-V']),
      vde_switch: firstLine(['vde_switch', '-v']),
    },
    commit: rev ? `${rev}${dirty ? ' (+ uncommitted changes in src/ or native/)' : ''}` : '?',
  };
}
