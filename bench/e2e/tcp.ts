// iperf3 TCP from A to B for a fixed duration (one stream, `-J`): Gbit/s received and the
// sender's retransmits. Optionally pings A→B while the transfer runs (latency under load): the
// pings start one second in, after slow start, and end before the transfer does.
import { sleep } from '../lib/netns.js';
import { inNs, pinned, start } from './exec.js';
import { startPing, type PingResult } from './latency.js';
import { B, GEN_CPU, type Topology } from './topology.js';

export interface TcpResult {
  gbps: number;
  retransmits: number;
  underLoad: PingResult | null;
}

export async function measureTcp(topo: Topology, durationS: number, pings: number): Promise<TcpResult> {
  const server = start(inNs(topo.nsB, pinned(GEN_CPU, ['iperf3', '-s', '-1', '-B', B.ip, '-p', '5201'])), { timeoutMs: (durationS + 60) * 1000 });
  try {
    let last = '';
    for (let attempt = 0; attempt < 20; attempt++) {
      await sleep(250);
      if (!server.running) throw new Error(`iperf3 server exited: ${(server.stdout + server.stderr).trim()}`);
      const client = start(inNs(topo.nsA, pinned(GEN_CPU, ['iperf3', '-c', B.ip, '-p', '5201', '-t', String(durationS), '-J'])), { timeoutMs: (durationS + 30) * 1000 });
      let ping: Promise<PingResult> | null = null;
      if (pings > 0) {
        const wait = sleep(1000).then(() => (client.running ? startPing(topo, pings) : null));
        ping = wait.then((p) => p ?? Promise.reject(new Error('iperf3 ended before the pings started')));
      }
      const r = await client.done;
      const underLoad = ping ? await ping.catch(() => null) : null;
      let j: { error?: string; end?: { sum_received?: { bits_per_second: number }; sum_sent?: { retransmits?: number } } };
      try {
        j = JSON.parse(r.stdout);
      } catch {
        j = { error: (r.stdout + r.stderr).trim() || `exit ${r.code}` };
      }
      if (j.error || !j.end?.sum_received) {
        last = j.error ?? 'no result';
        if (/connect|refused/i.test(last)) continue; // server not listening yet
        throw new Error(`iperf3: ${last}`);
      }
      return { gbps: j.end.sum_received.bits_per_second / 1e9, retransmits: j.end.sum_sent?.retransmits ?? 0, underLoad };
    }
    throw new Error(`iperf3 client could not connect: ${last}`);
  } finally {
    await server.stop('SIGTERM', 3000);
  }
}
