// Round-trip latency: ping from A to B (ICMP echo, 56 bytes of data), N pings every 10 ms, each
// reply's time as ping prints it (microsecond resolution); p50 and p99 by nearest rank.
import { inNs, pinned, start } from './exec.js';
import { percentile } from './stats.js';
import { B, GEN_CPU, type Topology } from './topology.js';

export interface PingResult {
  sent: number;
  replies: number;
  lossPct: number;
  p50Us: number | null;
  p99Us: number | null;
}

export function parsePing(out: string, sent: number): PingResult {
  const times = [...out.matchAll(/time=([\d.]+) ms/g)].map((m) => Math.round(Number(m[1]) * 1000));
  return {
    sent,
    replies: times.length,
    lossPct: sent > 0 ? (100 * (sent - times.length)) / sent : 0,
    p50Us: percentile(times, 50),
    p99Us: percentile(times, 99),
  };
}

/** Starts `count` pings at 10 ms from A to B; resolves with the result when done. */
export function startPing(topo: Topology, count: number): Promise<PingResult> {
  const p = start(inNs(topo.nsA, pinned(GEN_CPU, ['ping', '-n', '-c', String(count), '-i', '0.01', '-W', '1', B.ip])), { timeoutMs: count * 10 + 15_000 });
  return p.done.then((r) => parsePing(r.stdout, count));
}

/** A few pings to check that A reaches B at all before measuring. */
export async function reachable(topo: Topology): Promise<boolean> {
  for (let i = 0; i < 3; i++) {
    const p = start(inNs(topo.nsA, ['ping', '-n', '-c', '3', '-i', '0.2', '-W', '1', B.ip]), { timeoutMs: 10_000 });
    const r = await p.done;
    if (r.code === 0) return true;
  }
  return false;
}
