// End-to-end benchmark (issue 7): the same two members switched by ixfabric (TAP, AF_PACKET and
// VXLAN members) and by the switches an exchange would otherwise use (Linux bridge, vde_switch,
// a kernel-only VXLAN hub, a C recvmmsg/sendmmsg VXLAN hub), each built in its own network
// namespaces and measured in turn, round after round; medians and spread of every figure, ratios
// to the Linux bridge.
//
//   npm run bench:e2e -- [--json] [--quick] [--runs N] [--variants a,b,...]
//                        [--pps-seconds S] [--tcp-seconds S] [--pings N] [--wire-sized]
//                        [--generator batched|trafgen] [--dataplane-priority N]
//
// Figures per variant and how they are measured: see bench/e2e/pps.ts (64-byte frames, CPU),
// tcp.ts (iperf3), latency.ts (ping), replay.ts (tcpreplay of the exchange captures); the CPU
// layout is in topology.ts. Progress goes to stderr; the table (or with --json one JSON object
// per variant and figure) to stdout. Needs root, the built daemon (`npm run build`) and the
// Debian packages iproute2, ethtool, iputils-ping, util-linux, iperf3, tcpreplay, tcpdump,
// tshark, vde2, gcc (and netsniff-ng for --generator trafgen). Namespaces are named
// ixb-<pid>-...; everything is removed at the end, on Ctrl-C and on errors, and namespaces left
// by a killed earlier run (whose pid is gone) are removed at start.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { killAll, missingTools, runSync, TOOLS } from './e2e/exec.js';
import { startPing, reachable } from './e2e/latency.js';
import { measureTransit } from './e2e/transit.js';
import { describeMachine } from './e2e/machine.js';
import { daemonBuilt, nativeBuilt, pcapsDir } from './e2e/paths.js';
import { measurePps, measureThroughput, type Generator } from './e2e/pps.js';
import { CAPTURES, measureReplay, prepareReplay, type ReplayFile } from './e2e/replay.js';
import { FIGURES, jsonLines, render, summarise, type RoundFigures, type VariantResults } from './e2e/report.js';
import { setDataplanePriority } from './e2e/ixfabric.js';
import { measureTcp } from './e2e/tcp.js';
import { cleanupLabs, GEN_CPU, setWireSized, SWITCH_CPU, type Topology } from './e2e/topology.js';
import { QUICK_VARIANTS, VARIANTS, variantByName } from './e2e/variants.js';

/** Length of one trial of the throughput search (seven trials per variant and round). */
const THROUGHPUT_TRIAL_S = 2;

const USAGE = `usage: npm run bench:e2e -- [--json] [--quick] [--runs N] [--variants a,b,...]
                          [--pps-seconds S] [--tcp-seconds S] [--pings N] [--wire-sized]
                          [--generator batched|trafgen] [--dataplane-priority N]

  --json          one JSON object per (variant, figure) on stdout instead of the tables
  --quick         ixfabric-vxlan and the kernel and C VXLAN hubs, 1 round, 64-byte pps and TCP only
  --runs N        rounds (default 3; every round measures every variant once, in turn)
  --variants L    comma-separated subset of: ${VARIANTS.map((v) => v.name).join(', ')}
  --pps-seconds S duration of the 64-byte stream (default 5)
  --tcp-seconds S duration of the iperf3 transfer (default 5)
  --pings N       pings per latency figure, at 10 ms (default 200)
  --wire-sized    members send wire-sized frames (transmit checksum offload and TSO off on
                  their devices), as members behind a real tunnel do; default: the offloads
                  the kernel gives a local member's device
  --generator G   64-byte stream: batched (default; 64 frames per sendmmsg through an AF_PACKET
                  socket, bench/e2e/blast.ts) or trafgen (netsniff-ng, one sendto per frame,
                  0.2-0.4 Mpps here: below what the Linux bridge forwards)
  --dataplane-priority N
                  the ixfabric daemons run with pop.dataplane_priority N (SCHED_FIFO for their
                  dataplane thread, 1..99; default 0, ordinary scheduling)
`;

function progress(msg: string): void {
  process.stderr.write(`[bench:e2e] ${msg}\n`);
}

function fail(msg: string, code = 2): never {
  process.stderr.write(`bench:e2e: ${msg}\n`);
  process.exit(code);
}

function parse() {
  let values;
  try {
    values = parseArgs({
      options: {
        json: { type: 'boolean', default: false },
        quick: { type: 'boolean', default: false },
        runs: { type: 'string' },
        variants: { type: 'string' },
        'pps-seconds': { type: 'string', default: '5' },
        'tcp-seconds': { type: 'string', default: '5' },
        pings: { type: 'string', default: '200' },
        'wire-sized': { type: 'boolean', default: false },
        generator: { type: 'string', default: 'batched' },
        'dataplane-priority': { type: 'string', default: '0' },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (err) {
    fail(`${(err as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const int = (name: string, v: string | undefined, min: number, max: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) fail(`--${name} must be an integer ${min}..${max}`);
    return n;
  };
  const names = values.variants ? values.variants.split(',').map((s) => s.trim()).filter(Boolean) : values.quick ? QUICK_VARIANTS : VARIANTS.map((v) => v.name);
  const variants = names.map((n) => variantByName(n) ?? fail(`unknown variant ${n}; known: ${VARIANTS.map((v) => v.name).join(', ')}`));
  return {
    json: values.json!,
    quick: values.quick!,
    rounds: int('runs', values.runs ?? (values.quick ? '1' : '3'), 1, 100),
    variants,
    ppsSeconds: int('pps-seconds', values['pps-seconds'], 1, 600),
    tcpSeconds: int('tcp-seconds', values['tcp-seconds'], 3, 600),
    pings: int('pings', values.pings, 10, 100_000),
    wireSized: values['wire-sized']!,
    generator: (['batched', 'trafgen'].includes(values.generator!) ? values.generator : fail('--generator must be batched or trafgen')) as Generator,
    dataplanePriority: int('dataplane-priority', values['dataplane-priority'], 0, 99),
  };
}

/** Removes ixb-<pid>-* namespaces whose benchmark process is gone (a run killed with SIGKILL). */
function sweepStale(): void {
  const list = runSync(['ip', 'netns', 'list']).stdout;
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = /^ixb-(\d+)-/.exec(name);
    if (!m || Number(m[1]) === process.pid || existsSync(`/proc/${m[1]}`)) continue;
    for (const pid of runSync(['ip', 'netns', 'pids', name]).stdout.trim().split(/\s+/).filter(Boolean)) runSync(['kill', '-9', pid]);
    runSync(['ip', 'netns', 'del', name]);
    progress(`removed namespace ${name} left by an earlier run`);
  }
}

let tmp: string | null = null;
let finished = false;
function cleanupAll(): void {
  killAll();
  cleanupLabs();
  if (tmp && existsSync(tmp)) rmSync(tmp, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const args = parse();
  setWireSized(args.wireSized);
  setDataplanePriority(args.dataplanePriority);
  if (process.getuid?.() !== 0) fail('needs root (network namespaces, veth, TAP devices)');
  const needReplay = !args.quick;
  const tools = ['ip', 'ethtool', 'taskset', 'ping', ...(args.quick ? [] : ['tcpdump', 'tshark']), ...(args.generator === 'trafgen' ? ['trafgen'] : []), 'iperf3', ...(needReplay ? ['tcpreplay'] : []), ...args.variants.flatMap((v) => v.tools)];
  const missing = missingTools([...new Set(tools)]);
  if (missing.length) fail(`missing tools: ${missing.map((t) => `${t} (apt-get install ${TOOLS[t] ?? t})`).join(', ')}`);
  if (args.variants.some((v) => v.name.startsWith('ixfabric')) && (!existsSync(daemonBuilt) || !existsSync(nativeBuilt))) fail('ixfabric is not built: run `npm run build` first');
  const cores = Number(runSync(['nproc']).stdout.trim()) || 1;
  if (cores < 2) progress('warning: fewer than 2 CPUs, generators and switch share one');

  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      if (finished) return;
      finished = true;
      process.stderr.write(`\n[bench:e2e] ${sig}: stopping, removing namespaces and processes\n`);
      cleanupAll();
      process.exit(130);
    });
  }
  process.on('exit', cleanupAll);
  sweepStale();

  // the benchmark itself runs on the generator CPU (its children inherit it; the switch is
  // pinned explicitly)
  if (cores >= 2) runSync(['taskset', '-a', '-p', '-c', String(GEN_CPU), String(process.pid)]);

  tmp = mkdtempSync(join(tmpdir(), 'ixb-e2e-'));
  let replay: ReplayFile | null = null;
  if (needReplay) {
    const dir = pcapsDir();
    if (!dir) fail('no exchange captures: expected ../shared/pcaps beside the repository or /work/shared/pcaps (IXFABRIC_SHARED overrides)');
    replay = prepareReplay(dir, tmp);
    progress(`replay file: ${replay.frames} frames from ${CAPTURES.length - replay.missing.length} captures in ${dir} (${replay.skipped} skipped: not Ethernet or longer than 1464 bytes), looped ${replay.loops}x${replay.missing.length ? `; missing: ${replay.missing.join(', ')}` : ''}`);
  }
  const machine = describeMachine();
  progress(`${machine.cpu}, ${machine.cores} cores, Linux ${machine.kernel}, Node ${machine.node}, load ${machine.loadavg.join(' ')}`);

  const figures = FIGURES.filter((f) => !args.quick || f.quick);
  const results: VariantResults[] = args.variants.map((variant) => ({ variant, rounds: [], errors: [], notes: new Set() }));
  const total = args.rounds * results.length;
  let step = 0;
  for (let round = 0; round < args.rounds; round++) {
    // every round measures every variant once; the starting variant rotates from round to round
    for (let k = 0; k < results.length; k++) {
      const res = results[(k + round) % results.length]!;
      step++;
      const tag = `[${step}/${total}] round ${round + 1} ${res.variant.name}`;
      res.rounds[round] = await measureVariant(res, tag, args, replay);
    }
  }

  const rows = summarise(results, figures);
  if (args.json) {
    process.stdout.write(jsonLines(rows) + '\n');
  } else {
    const extra = [
      '',
      `CPU layout: generators, member endpoints and the benchmark on CPU ${GEN_CPU}; the switch on CPU ${SWITCH_CPU} (userspace switch pinned with taskset; S's receive processing steered there with RPS, so kernel switches forward there too).`,
      `64 B: ${args.generator === 'batched' ? 'batched generator (64 frames per sendmmsg on an AF_PACKET socket)' : 'trafgen per-packet path'} for ${args.ppsSeconds} s; sent/received from A's and B's device counters; sent = every frame handed to A's device (A's tx_packets + tx_errors + tx_dropped), received = B's rx_packets.`,
      ...(args.dataplanePriority ? [`ixfabric: pop.dataplane_priority ${args.dataplanePriority} (its dataplane thread at SCHED_FIFO).`] : []),
      `Members' devices: ${args.wireSized ? 'transmit checksum offload and TSO off (--wire-sized): wire-sized frames' : 'default offloads (TSO/GSO on where the device has them)'}.`,
      `TCP: iperf3 -t ${args.tcpSeconds}, one stream; pings: ${args.pings} at 10 ms, under load while the transfer runs.`,
      ...(replay ? [`Replay: ${replay.frames} frames x ${replay.loops} loops (${replay.frames * replay.loops} per run), of which ${replay.ieeeReserved * replay.loops} go to IEEE-reserved 01:80:c2:00:00:01-0f (Linux bridges keep those).`] : []),
      `Load average at the end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`,
    ];
    process.stdout.write(render(results, figures, rows, { machine, rounds: args.rounds, extra }) + '\n');
  }
  finished = true;
  cleanupAll();
}

async function measureVariant(res: VariantResults, tag: string, args: ReturnType<typeof parse>, replay: ReplayFile | null): Promise<RoundFigures | undefined> {
  const fig: RoundFigures = {};
  let topo: Topology | null = null;
  const error = (what: string, err: unknown) => {
    const msg = `${tag}: ${what}: ${err instanceof Error ? err.message : String(err)}`.replace(/\s+/g, ' ');
    res.errors.push(msg);
    progress(`FAILED ${msg}`);
  };
  /** The switch process died: say so (with its log) instead of measuring on. */
  const alive = () => {
    if (topo?.switchPid && !existsSync(`/proc/${topo.switchPid}`)) throw new Error(`the switch process (pid ${topo.switchPid}) exited`);
  };
  try {
    progress(`${tag}: building`);
    topo = await res.variant.build();
    for (const n of topo.notes) res.notes.add(n);
    if (!(await reachable(topo))) throw new Error('A gets no ping replies from B: the switch does not forward');
  } catch (err) {
    error('setup', err);
    await closeTopo(topo);
    return undefined;
  }
  const t = topo;
  try {
    const p = await measurePps(t, args.ppsSeconds, args.generator);
    alive();
    const pct = (n: number | null) => (n === null ? null : p.sent > 0 ? (100 * n) / p.sent : 0);
    Object.assign(fig, {
      pps64_sent: p.sentMpps,
      pps64_received: p.receivedMpps,
      pps64_loss: p.lossPct,
      pps64_lost_at_a: pct(p.lostAtA),
      pps64_lost_before_switch: pct(p.lostBeforeSwitch),
      pps64_dropped_by_switch: pct(p.droppedBySwitch),
      pps64_lost_after_switch: pct(p.lostAfterSwitch),
      switch_cpu_per_mpps: res.variant.kind === 'kernel' ? null : p.switchCpuPerMpps,
      switch_cores: res.variant.kind === 'kernel' ? null : p.switchCores,
      cpu1_busy_per_mpps: p.switchCpuBusyPerMpps,
    });
    const split = p.lostBeforeSwitch !== null ? ` (at A ${p.lostAtA}, before ixfabric ${p.lostBeforeSwitch}, by ixfabric ${p.droppedBySwitch ?? '?'}${p.switchDrops && Object.keys(p.switchDrops).length ? ` ${JSON.stringify(p.switchDrops)}` : ''}, after ixfabric ${p.lostAfterSwitch})` : ` (at A ${p.lostAtA})`;
    const tg = p.generatorCount !== null ? `; generator counted ${p.generatorCount}` : '; trafgen had to be killed';
    progress(`${tag}: 64 B: sent ${p.sentMpps.toFixed(3)} Mpps, received ${p.receivedMpps.toFixed(3)} Mpps, lost ${p.lost} of ${p.sent} (${p.lossPct.toFixed(2)}%)${split}${tg}${p.switchCores !== null ? `; switch process ${p.switchCores.toFixed(2)} cores` : ''}`);
    if (!(await reachable(t))) throw new Error('after the 64-byte run A gets no ping replies from B');
    if (args.generator === 'batched') {
      const th = await measureThroughput(t, p.sentMpps, THROUGHPUT_TRIAL_S);
      alive();
      fig.pps64_throughput = th.mpps;
      progress(`${tag}: 64 B throughput (loss <= 0.1%): ${th.mpps.toFixed(3)} Mpps (trials ${th.trials.map((x) => `${x.offeredMpps.toFixed(3)}: ${x.lossPct.toFixed(2)}%`).join(', ')})`);
      if (!(await reachable(t))) throw new Error('after the throughput search A gets no ping replies from B');
    }
  } catch (err) {
    error('64-byte frames', err);
  }
  if (!args.quick) {
    try {
      alive();
      const idle = await startPing(t, args.pings);
      Object.assign(fig, { ping_idle_p50: idle.p50Us, ping_idle_p99: idle.p99Us, ping_idle_loss: idle.lossPct });
      progress(`${tag}: ping idle: p50 ${idle.p50Us ?? '-'} µs, p99 ${idle.p99Us ?? '-'} µs, ${idle.replies}/${idle.sent} replies`);
    } catch (err) {
      error('ping idle', err);
    }
    try {
      alive();
      const tr = await measureTransit(t, args.pings);
      Object.assign(fig, { transit_p50: tr.p50Us, transit_p99: tr.p99Us, transit_request_p99: tr.requestP99Us, transit_reply_p99: tr.replyP99Us });
      progress(`${tag}: transit (A's device to B's and back, idle): p50 ${tr.p50Us ?? '-'} µs, p99 ${tr.p99Us ?? '-'} µs; request p50/p99 ${tr.requestP50Us ?? '-'}/${tr.requestP99Us ?? '-'} µs, reply ${tr.replyP50Us ?? '-'}/${tr.replyP99Us ?? '-'} µs; ${tr.matched}/${tr.pings} pings seen both ways`);
    } catch (err) {
      error('transit', err);
    }
  }
  try {
    alive();
    const tcp = await measureTcp(t, args.tcpSeconds, args.quick ? 0 : args.pings);
    alive();
    Object.assign(fig, { tcp_gbps: tcp.gbps, tcp_retransmits: tcp.retransmits });
    if (tcp.underLoad) Object.assign(fig, { ping_load_p50: tcp.underLoad.p50Us, ping_load_p99: tcp.underLoad.p99Us, ping_load_loss: tcp.underLoad.lossPct });
    else if (!args.quick) error('ping under load', 'no result');
    progress(`${tag}: TCP ${tcp.gbps.toFixed(2)} Gbit/s, ${tcp.retransmits} retransmits${tcp.underLoad ? `; ping under load p50 ${tcp.underLoad.p50Us ?? '-'} µs, p99 ${tcp.underLoad.p99Us ?? '-'} µs, ${tcp.underLoad.replies}/${tcp.underLoad.sent} replies` : ''}`);
  } catch (err) {
    error('TCP', err);
  }
  if (replay) {
    try {
      alive();
      const r = await measureReplay(t, replay);
      alive();
      Object.assign(fig, {
        replay_sent: r.sent,
        replay_received: r.received,
        replay_policy_dropped: r.policyDropped,
        replay_lost: r.lost,
        replay_kpps: r.tcpreplayPps !== null ? r.tcpreplayPps / 1000 : null,
      });
      const sw = r.switchRx !== null ? `, ixfabric port A rx ${r.switchRx}, port B tx ${r.switchTx}` : '';
      progress(`${tag}: replay: sent ${r.sent} (tcpreplay: ${r.tcpreplayFailed ?? '?'} failed, ${r.tcpreplayPps ?? '?'} pps; A's device: handed ${r.handedToA}, dropped ${r.droppedAtA}${sw}), received ${r.received}, dropped by policy ${r.policyDropped ?? 'n/a'}, lost ${r.lost}${r.dropsByReason && Object.keys(r.dropsByReason).length ? ` ${JSON.stringify(r.dropsByReason)}` : ''}`);
    } catch (err) {
      error('replay', err);
    }
  }
  await closeTopo(t, (err) => error('stop', err));
  return fig;
}

async function closeTopo(topo: Topology | null, onError?: (err: unknown) => void): Promise<void> {
  try {
    await topo?.close();
  } catch (err) {
    onError?.(err);
  } finally {
    killAll();
    cleanupLabs();
  }
}

main().catch((err) => {
  process.stderr.write(`bench:e2e: ${err instanceof Error ? err.stack : String(err)}\n`);
  cleanupAll();
  process.exit(1);
});
