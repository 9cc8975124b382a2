// Counters read around a measurement: a network device's statistics (in its namespace), the CPU
// time of a process, and the whole machine's busy time.
import { readFileSync } from 'node:fs';
import { mustSync, runSync } from './exec.js';

export interface LinkStats {
  rx_packets: number;
  rx_dropped: number;
  tx_packets: number;
  tx_dropped: number;
  tx_errors: number;
}

/** Kernel statistics of `dev` in namespace `ns` (`ip -s -j link`: 64-bit counters). */
export function linkStats(ns: string, dev: string): LinkStats {
  const out = mustSync(['ip', '-n', ns, '-s', '-j', 'link', 'show', 'dev', dev]);
  const s = (JSON.parse(out) as { stats64: { rx: Record<string, number>; tx: Record<string, number> } }[])[0]!.stats64;
  return { rx_packets: s.rx.packets ?? 0, rx_dropped: s.rx.dropped ?? 0, tx_packets: s.tx.packets ?? 0, tx_dropped: s.tx.dropped ?? 0, tx_errors: s.tx.errors ?? 0 };
}

export function diffStats(a: LinkStats, b: LinkStats): LinkStats {
  return { rx_packets: b.rx_packets - a.rx_packets, rx_dropped: b.rx_dropped - a.rx_dropped, tx_packets: b.tx_packets - a.tx_packets, tx_dropped: b.tx_dropped - a.tx_dropped, tx_errors: b.tx_errors - a.tx_errors };
}

let clkTck = 0;
function ticksPerSecond(): number {
  if (!clkTck) clkTck = Number(runSync(['getconf', 'CLK_TCK']).stdout.trim()) || 100;
  return clkTck;
}

/** utime + stime of a process (all its threads), in seconds; null when it is gone. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name may contain spaces and parentheses: fields start after the last ')'
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // after the name: state(3) ... utime is field 14, stime 15 (1-based) → index 11, 12 here
    return (Number(f[11]) + Number(f[12])) / ticksPerSecond();
  } catch {
    return null;
  }
}

/**
 * Busy seconds of one CPU (user, nice, system, irq, softirq from /proc/stat): everything that ran
 * there, whoever it was for.
 */
export function cpuBusySeconds(cpu: number): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith(`cpu${cpu} `));
  if (!line) return 0;
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0] = line.trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq) / ticksPerSecond();
}
