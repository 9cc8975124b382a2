// Transit time through the switch path, idle: while N pings run at 10 ms, tcpdump captures them
// on the members' own devices (A's and B's, one clock): the echo request from leaving A to
// arriving at B, the reply from leaving B to arriving at A. Their sum per ping is the round trip
// without the members' stacks, i.e. what the switch path adds (the issue's latency target is
// about exactly that), the same way for every variant. The legs apart show where an idle
// userspace switch loses time: the request wakes it after 10 ms asleep, the reply finds it warm.
import { inNs, run, start, waitForOutput } from './exec.js';
import { sleep } from '../lib/netns.js';
import { startPing } from './latency.js';
import { percentile } from './stats.js';
import { B, type Topology } from './topology.js';

export interface TransitResult {
  pings: number;
  /** Pings whose request and reply were both seen leaving and arriving. */
  matched: number;
  p50Us: number | null;
  p99Us: number | null;
  requestP50Us: number | null;
  requestP99Us: number | null;
  replyP50Us: number | null;
  replyP99Us: number | null;
}

/** Nanoseconds since the epoch of tshark's frame.time_epoch ('1795606993.472453173'), exactly. */
function epochNs(s: string): bigint {
  const [sec, frac = ''] = s.split('.');
  return BigInt(sec!) * 1_000_000_000n + BigInt(frac.padEnd(9, '0').slice(0, 9));
}

/** ICMP echo (type 8) and reply (0) times by sequence number in a capture. */
async function icmpTimes(file: string): Promise<Map<string, bigint>> {
  const r = await run(['tshark', '-r', file, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'icmp.type', '-e', 'icmp.seq'], 60_000);
  if (r.code !== 0) throw new Error(`tshark -r ${file} failed: ${r.stderr.trim().slice(-300)}`);
  const times = new Map<string, bigint>();
  for (const line of r.stdout.split('\n')) {
    const [t, type, seq] = line.split('\t');
    if (t && seq && (type === '8' || type === '0')) times.set(`${type}/${seq}`, epochNs(t));
  }
  return times;
}

function capture(ns: string, dev: string, file: string) {
  return start(inNs(ns, ['tcpdump', '-i', dev, '-n', '-U', '--immediate-mode', '-Z', 'root', '--time-stamp-precision=nano', '-w', file, 'icmp', 'and', 'host', B.ip]), { timeoutMs: 600_000 });
}

export async function measureTransit(topo: Topology, count: number): Promise<TransitResult> {
  const fileA = topo.lab.file('transit-a.pcap', '');
  const fileB = topo.lab.file('transit-b.pcap', '');
  const caps = [capture(topo.nsA, topo.devA, fileA), capture(topo.nsB, topo.devB, fileB)];
  try {
    await waitForOutput(caps, 'stderr', 'listening on', 'tcpdump', 10_000);
    await startPing(topo, count);
    await sleep(200);
  } finally {
    for (const c of caps) await c.stop('SIGINT', 3000);
  }
  const [atA, atB] = [await icmpTimes(fileA), await icmpTimes(fileB)];
  const us = (from: bigint, to: bigint) => Number(to - from) / 1000;
  const request: number[] = [];
  const reply: number[] = [];
  const sum: number[] = [];
  for (const [key, sent] of atA) {
    if (!key.startsWith('8/')) continue;
    const seq = key.slice(2);
    const arrived = atB.get(key);
    const replied = atB.get(`0/${seq}`);
    const back = atA.get(`0/${seq}`);
    if (arrived === undefined || replied === undefined || back === undefined) continue;
    const [there, home] = [us(sent, arrived), us(replied, back)];
    request.push(there);
    reply.push(home);
    sum.push(there + home);
  }
  const r = (v: number[], p: number) => {
    const x = percentile(v, p);
    return x === null ? null : Math.round(x);
  };
  return {
    pings: count,
    matched: sum.length,
    p50Us: r(sum, 50),
    p99Us: r(sum, 99),
    requestP50Us: r(request, 50),
    requestP99Us: r(request, 99),
    replyP50Us: r(reply, 50),
    replyP99Us: r(reply, 99),
  };
}
