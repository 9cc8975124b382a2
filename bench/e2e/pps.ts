// 64-byte frames per second, received and lost.
//
// A generator in A sends one 64-byte frame over and over (60 bytes + FCS: Ethernet, IPv4, UDP to
// port 9, 18 zero bytes) from A's configured MAC/IP to B's MAC/IP, for a fixed duration, on one
// CPU (the generator CPU). The same frames are counted on both ends: A's device transmit counters
// and B's device receive counter, before and after.
//
// Generators: `batched` (default, blast.ts: 64 frames per sendmmsg through an AF_PACKET socket)
// or `trafgen` (netsniff-ng). With one system call costing about 1 µs here, trafgen's per-frame
// calls cap it at 0.2-0.4 Mpps, less than the Linux bridge forwards.
//
// trafgen runs its per-packet path (`-t 0ns`: sendto per frame, no gap). Its TX_RING fast path
// aborts on this kernel ("Flushing TX_RING failed: Resource temporarily unavailable") as soon as
// in-flight frames fill the socket's send buffer (veth keeps the socket reference while a frame
// waits in the switch's receive backlog, and net.core.wmem_default cannot be raised inside a
// namespace), i.e. exactly under overload.
//
// What is counted: every frame handed to A's device is a frame offered to the switch:
// sent = A's tx_packets + tx_errors + tx_dropped. A frame the switch side cannot take is dropped
// at that device (veth: S's receive backlog is full; TAP: the switch has not read its queue; vxlan:
// the underlay veth to S refused it) and counted in tx_dropped or tx_errors; trafgen then sends
// the next frame (for veth and TAP it is told with ENOBUFS and sends the same bytes again; every
// frame of the stream is identical, so that is simply the next frame offered). received = B's
// rx_packets; lost = sent - received. Rates divide by the time trafgen was sending.
//
// Where the lost frames went: `at A` = refused at A's device (above). For ixfabric the daemon's
// own counters split the rest: frames its port for A received vs what A's device passed on
// (lost before the switch read them: socket buffer / AF_PACKET ring full), its drops by reason,
// and what its port for B transmitted vs what B received (lost after the switch).
import { udp4Frame } from '../../src/encap/frame-builder.js';
import { sleep } from '../lib/netns.js';
import { inNs, pinned, start } from './exec.js';
import { cpuBusySeconds, diffStats, linkStats, processCpuSeconds, type LinkStats } from './counters.js';
import { blastBin } from './paths.js';
import { A, B, GEN_CPU, SWITCH_CPU, type PortCounters, type Topology } from './topology.js';

export interface PpsResult {
  durationS: number;
  sent: number;
  received: number;
  lost: number;
  /** Refused or failed at A's device. */
  lostAtA: number;
  /** ixfabric only: lost between A's device and the switch, dropped by it, lost after it. */
  lostBeforeSwitch: number | null;
  droppedBySwitch: number | null;
  lostAfterSwitch: number | null;
  sentMpps: number;
  receivedMpps: number;
  lossPct: number;
  /** The generator's own count of frames the device took (null if trafgen had to be killed). */
  generatorCount: number | null;
  /** Switch process CPU seconds per million received frames (null for kernel switches). */
  switchCpuPerMpps: number | null;
  /** Switch process CPU use from just before the stream to after the last frame arrived, in cores. */
  switchCores: number | null;
  /**
   * Busy time of the switch CPU per million received frames (best effort): the switch process,
   * the kernel's receive processing steered there, B's receive stack, and anything else the
   * machine ran on that CPU meanwhile.
   */
  switchCpuBusyPerMpps: number | null;
  /** B's transmit during the run (ICMP port unreachable, rate-limited by the kernel). */
  bTx: number;
  /** ixfabric: drops by reason over every port during the run. */
  switchDrops?: Record<string, number>;
}

export type Generator = 'batched' | 'trafgen';

/** The 60-byte frame trafgenConfig describes (IPv4 checksum set, UDP checksum 0 as IPv4 allows);
 *  the batched generator sends it. */
export function testFrame(): Buffer {
  return udp4Frame({ dst: B.mac, src: A.mac, srcIp: A.ip, dstIp: B.ip, sport: 9, dport: 9, payload: Buffer.alloc(18) });
}

export function trafgenConfig(): string {
  return `{ eth(da=${B.mac}, sa=${A.mac}, type=0x0800), ipv4(saddr=${A.ip}, daddr=${B.ip}, ttl=64), udp(sp=9, dp=9), fill(0x00, 18) }\n`;
}

export function sumDrops(before: PortCounters[] | null, after: PortCounters[] | null): Record<string, number> | undefined {
  if (!before || !after) return undefined;
  const out: Record<string, number> = {};
  for (const p of after) {
    const q = before.find((x) => x.name === p.name);
    for (const [reason, n] of Object.entries(p.drops ?? {})) {
      const d = n - (q?.drops?.[reason] ?? 0);
      if (d) out[reason] = (out[reason] ?? 0) + d;
    }
  }
  return out;
}

/** Waits until B's receive counter stops moving (frames still in queues are delivered). */
export async function settle(topo: Topology, maxMs = 3000): Promise<void> {
  let last = linkStats(topo.nsB, topo.devB).rx_packets;
  let still = 0;
  const end = Date.now() + maxMs;
  while (Date.now() < end && still < 2) {
    await sleep(150);
    const now = linkStats(topo.nsB, topo.devB).rx_packets;
    still = now === last ? still + 1 : 0;
    last = now;
  }
}

/** Frames handed to a member's device, from its transmit counters. */
export function handed(d: LinkStats): number {
  return d.tx_packets + d.tx_errors + d.tx_dropped;
}

/** ixfabric: packets its port for A received and its port for B transmitted, between two snapshots. */
export function switchThroughput(topo: Topology, before: PortCounters[] | null, after: PortCounters[] | null): { rx: number; tx: number } | null {
  if (!before || !after || !topo.portA || !topo.portB) return null;
  const d = (name: string, k: 'rx_packets' | 'tx_packets') => (after.find((p) => p.name === name)?.[k] ?? 0) - (before.find((p) => p.name === name)?.[k] ?? 0);
  return { rx: d(topo.portA, 'rx_packets'), tx: d(topo.portB, 'tx_packets') };
}

/** Runs the generator in A for durationS; returns its sending time and its own count. */
async function generate(topo: Topology, generator: Generator, durationS: number, a0: LinkStats, ratePps: number): Promise<{ seconds: number; count: number | null }> {
  if (generator === 'batched') {
    const argv = [process.execPath, blastBin, topo.devA, String(durationS), testFrame().toString('hex'), String(Math.round(ratePps))];
    const gen = start(inNs(topo.nsA, pinned(GEN_CPU, argv)), {
      timeoutMs: (durationS + 30) * 1000,
    });
    const r = await gen.done;
    const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
    if (r.code !== 0 || !line) throw new Error(`batched generator on ${topo.devA} failed (${r.code ?? r.signal}): ${(r.stdout + r.stderr).trim().slice(-400)}`);
    const out = JSON.parse(line) as { accepted: number; seconds: number };
    return { seconds: out.seconds, count: out.accepted };
  }
  const cfg = topo.lab.file('trafgen.cfg', trafgenConfig());
  const gen = start(inNs(topo.nsA, pinned(GEN_CPU, ['trafgen', '--dev', topo.devA, '--conf', cfg, '--cpus', '1', '--no-sock-mem', '-Q', '-t', '0ns'])), {
    timeoutMs: (durationS + 30) * 1000,
  });
  // the sending time starts when A's counters first move (trafgen compiles its config first)
  const moved = (s: LinkStats) => s.tx_packets + s.tx_dropped + s.tx_errors > a0.tx_packets + a0.tx_dropped + a0.tx_errors;
  const tSpawn = Date.now();
  let tQuiet = tSpawn;
  let tStart = 0;
  while (gen.running && Date.now() - tSpawn < 10_000) {
    const before = Date.now();
    if (moved(linkStats(topo.nsA, topo.devA))) {
      tStart = (tQuiet + before) / 2;
      break;
    }
    tQuiet = before;
    await sleep(20);
  }
  if (!tStart) {
    const r = await gen.stop('SIGINT', 3000);
    throw new Error(`trafgen did not send on ${topo.devA}: ${(r.stdout + r.stderr).trim().slice(-400)}`);
  }
  await sleep(Math.max(0, tStart + durationS * 1000 - Date.now()));
  // SIGINT to trafgen's process group (it forks one worker per CPU); a worker stuck retrying a
  // refused frame does not look at the flag, hence the SIGKILL fallback
  gen.signal('SIGINT');
  const tStop = Date.now();
  const killer = setTimeout(() => gen.signal('SIGKILL'), 3000);
  const r = await gen.done;
  clearTimeout(killer);
  const m = /(\d+) packets outgoing/.exec(r.stdout);
  return { seconds: (tStop - tStart) / 1000, count: m ? Number(m[1]) : null };
}

/** The 64-byte stream for durationS, as fast as the generator can or (batched) at ratePps. */
export async function measurePps(topo: Topology, durationS: number, generator: Generator, ratePps = 0): Promise<PpsResult> {
  const a0 = linkStats(topo.nsA, topo.devA);
  const b0 = linkStats(topo.nsB, topo.devB);
  const ports0 = topo.ports ? await topo.ports() : null;
  const tWin0 = Date.now();
  const cpu0 = topo.switchPid ? processCpuSeconds(topo.switchPid) : null;
  const busy0 = cpuBusySeconds(SWITCH_CPU);

  const gen = await generate(topo, generator, durationS, a0, ratePps);
  await settle(topo);

  const a = diffStats(a0, linkStats(topo.nsA, topo.devA));
  const b = diffStats(b0, linkStats(topo.nsB, topo.devB));
  const cpu1 = topo.switchPid ? processCpuSeconds(topo.switchPid) : null;
  const tWin1 = Date.now();
  const busy1 = cpuBusySeconds(SWITCH_CPU);
  const ports1 = topo.ports ? await topo.ports() : null;

  const durationS2 = gen.seconds;
  const sent = handed(a);
  const received = b.rx_packets;
  const lostAtA = a.tx_dropped + a.tx_errors;
  const drops = sumDrops(ports0, ports1);
  const sw = switchThroughput(topo, ports0, ports1);
  const mframes = received / 1e6;
  const switchCpu = cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null;
  return {
    durationS: durationS2,
    sent,
    received,
    lost: sent - received,
    lostAtA,
    lostBeforeSwitch: sw ? sent - lostAtA - sw.rx : null,
    droppedBySwitch: drops ? Object.values(drops).reduce((x, y) => x + y, 0) : null,
    lostAfterSwitch: sw ? sw.tx - received : null,
    sentMpps: sent / durationS2 / 1e6,
    receivedMpps: received / durationS2 / 1e6,
    lossPct: sent > 0 ? (100 * (sent - received)) / sent : 0,
    generatorCount: gen.count,
    switchCpuPerMpps: switchCpu !== null && mframes > 0 ? switchCpu / mframes : null,
    // CPU time is read before the stream starts and after B's counter settled: over that window
    switchCores: switchCpu !== null ? switchCpu / ((tWin1 - tWin0) / 1000) : null,
    switchCpuBusyPerMpps: mframes > 0 ? (busy1 - busy0) / mframes : null,
    bTx: b.tx_packets,
    switchDrops: drops,
  };
}

export interface ThroughputResult {
  /** Highest offered rate whose loss stayed within `maxLossPct` (0 when none did). */
  mpps: number;
  /** What B received in that trial. */
  receivedMpps: number;
  trials: { offeredMpps: number; sentMpps: number; lossPct: number }[];
}

/**
 * Throughput as RFC 2544 defines it: the highest rate at which the switch forwards the stream
 * without loss (here: at most maxLossPct), found by a binary search between 0 and `upToMpps`
 * (what the generator offered at full speed) with the batched generator at fixed rates. Unlike
 * the full-speed figure it does not depend on what an overloaded CPU does with the excess: with
 * S's receive processing on the switch CPU, a flood that a userspace switch cannot take costs
 * that CPU in the kernel (receive livelock) and the switch forwards less than it can at its limit.
 */
export async function measureThroughput(topo: Topology, upToMpps: number, trialS: number, steps = 7, maxLossPct = 0.1): Promise<ThroughputResult> {
  let lo = 0;
  let hi = upToMpps;
  let best = { mpps: 0, receivedMpps: 0 };
  const trials: ThroughputResult['trials'] = [];
  for (let i = 0; i < steps; i++) {
    const rate = i === 0 ? hi : (lo + hi) / 2;
    const r = await measurePps(topo, trialS, 'batched', rate * 1e6);
    trials.push({ offeredMpps: rate, sentMpps: r.sentMpps, lossPct: r.lossPct });
    if (r.lossPct <= maxLossPct) {
      best = { mpps: rate, receivedMpps: r.receivedMpps };
      if (i === 0) break; // no loss at the full rate
      lo = rate;
    } else hi = rate;
  }
  return { ...best, trials };
}
