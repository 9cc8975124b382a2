// Results: the figures of every (variant, round), their medians and spread, ratios to the Linux
// bridge (and to the variant's natural references, Variant.peers), rendered as tables or as JSON
// lines.
import type { Machine } from './machine.js';
import { median, spread } from './stats.js';
import type { Variant } from './variants.js';

export interface FigureDef {
  id: string;
  label: string;
  unit: string;
  digits: number;
  /** Measured in --quick mode too. */
  quick: boolean;
}

export const FIGURES: FigureDef[] = [
  { id: 'pps64_throughput', label: '64 B throughput: highest rate with loss <= 0.1%', unit: 'Mpps', digits: 3, quick: true },
  { id: 'pps64_sent', label: '64 B frames sent by A at full speed', unit: 'Mpps', digits: 3, quick: true },
  { id: 'pps64_received', label: '64 B frames received at B', unit: 'Mpps', digits: 3, quick: true },
  { id: 'pps64_loss', label: '64 B frames lost (sent - received)', unit: '%', digits: 2, quick: true },
  { id: 'pps64_lost_at_a', label: '  lost: refused at A\'s device (switch ingress full)', unit: '%', digits: 2, quick: true },
  { id: 'pps64_lost_before_switch', label: '  lost: after A, before ixfabric read them', unit: '%', digits: 2, quick: true },
  { id: 'pps64_dropped_by_switch', label: '  lost: dropped by ixfabric (any reason)', unit: '%', digits: 2, quick: true },
  { id: 'pps64_lost_after_switch', label: '  lost: after ixfabric sent them, before B', unit: '%', digits: 2, quick: true },
  { id: 'switch_cpu_per_mpps', label: 'switch process CPU per Mpps received', unit: 'cores/Mpps', digits: 2, quick: true },
  { id: 'switch_cores', label: 'switch process CPU during 64 B run', unit: 'cores', digits: 2, quick: true },
  { id: 'cpu1_busy_per_mpps', label: 'switch CPU busy per Mpps, all causes (best effort)', unit: 'cores/Mpps', digits: 2, quick: true },
  { id: 'tcp_gbps', label: 'iperf3 TCP A→B', unit: 'Gbit/s', digits: 2, quick: true },
  { id: 'tcp_retransmits', label: 'iperf3 TCP retransmits', unit: 'segments', digits: 0, quick: true },
  { id: 'ping_idle_p50', label: 'ping idle p50', unit: 'µs', digits: 0, quick: false },
  { id: 'ping_idle_p99', label: 'ping idle p99', unit: 'µs', digits: 0, quick: false },
  { id: 'ping_idle_loss', label: 'ping idle lost', unit: '%', digits: 1, quick: false },
  { id: 'transit_p50', label: 'transit idle p50 (A→B + B→A at the members\' devices)', unit: 'µs', digits: 0, quick: false },
  { id: 'transit_p99', label: 'transit idle p99 (what the switch path adds to a ping)', unit: 'µs', digits: 0, quick: false },
  { id: 'transit_request_p99', label: '  transit idle p99, request leg (wakes the switch)', unit: 'µs', digits: 0, quick: false },
  { id: 'transit_reply_p99', label: '  transit idle p99, reply leg', unit: 'µs', digits: 0, quick: false },
  { id: 'ping_load_p50', label: 'ping under TCP load p50', unit: 'µs', digits: 0, quick: false },
  { id: 'ping_load_p99', label: 'ping under TCP load p99', unit: 'µs', digits: 0, quick: false },
  { id: 'ping_load_loss', label: 'ping under TCP load lost', unit: '%', digits: 1, quick: false },
  { id: 'replay_sent', label: 'replay: frames sent by A', unit: 'frames', digits: 0, quick: false },
  { id: 'replay_received', label: 'replay: frames received at B', unit: 'frames', digits: 0, quick: false },
  { id: 'replay_policy_dropped', label: 'replay: dropped by policy (ixfabric)', unit: 'frames', digits: 0, quick: false },
  { id: 'replay_lost', label: 'replay: lost (sent - received - policy)', unit: 'frames', digits: 0, quick: false },
  { id: 'replay_kpps', label: 'replay: tcpreplay rate', unit: 'kpps', digits: 0, quick: false },
];

/** Figures of one (variant, round): a number, null = not measurable here (n/a), absent = failed/not run. */
export type RoundFigures = Record<string, number | null>;

export interface VariantResults {
  variant: Variant;
  rounds: (RoundFigures | undefined)[];
  errors: string[];
  notes: Set<string>;
}

export interface Summary {
  variant: string;
  figure: string;
  median: number | null;
  unit: string;
  runs: (number | null)[];
  min: number | null;
  max: number | null;
  ratio_to_bridge: number | null;
  /** Ratios to the variant's natural references (Variant.peers), in that order. */
  peers: { name: string; ratio: number | null }[];
  na: boolean;
}

function ratio(a: number | null, b: number | null): number | null {
  if (a === null || b === null || b === 0) return null;
  return a / b;
}

export function summarise(results: VariantResults[], figures: FigureDef[]): Summary[] {
  const medians = new Map<string, number | null>();
  const rows: Summary[] = [];
  for (const r of results) {
    for (const f of figures) {
      const runs = r.rounds.map((x) => (x && f.id in x ? x[f.id]! : null));
      const na = r.rounds.some((x) => x && f.id in x) && r.rounds.every((x) => !x || !(f.id in x) || x[f.id] === null);
      const m = median(runs);
      medians.set(`${r.variant.name}/${f.id}`, m);
      const s = spread(runs);
      rows.push({ variant: r.variant.name, figure: f.id, median: m, unit: f.unit, runs, min: s?.min ?? null, max: s?.max ?? null, ratio_to_bridge: null, peers: r.variant.peers.map((name) => ({ name, ratio: null })), na });
    }
  }
  for (const row of rows) {
    if (row.variant !== 'bridge') row.ratio_to_bridge = ratio(row.median, medians.get(`bridge/${row.figure}`) ?? null);
    for (const p of row.peers) p.ratio = ratio(row.median, medians.get(`${p.name}/${row.figure}`) ?? null);
  }
  return rows;
}

export function jsonLines(rows: Summary[]): string {
  return rows
    .map((r) =>
      JSON.stringify({
        variant: r.variant,
        figure: r.figure,
        median: r.median,
        unit: r.unit,
        runs: r.runs,
        ratio_to_bridge: r.ratio_to_bridge,
        min: r.min,
        max: r.max,
        // the first reference as `peer`; with more than one, all of them by name
        ...(r.peers[0] ? { peer: r.peers[0].name, ratio_to_peer: r.peers[0].ratio } : {}),
        ...(r.peers.length > 1 ? { ratios_to_peers: Object.fromEntries(r.peers.map((p) => [p.name, p.ratio])) } : {}),
        ...(r.na ? { not_applicable: true } : {}),
      }),
    )
    .join('\n');
}

function fmt(v: number | null, digits: number): string {
  if (v === null) return '-';
  if (digits === 0 && Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  return v.toFixed(digits);
}

function table(head: string[], body: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join(' | ')} |`;
  return [line(head), `|${w.map((n, i) => (i === 0 ? '-'.repeat(n + 2) : `${'-'.repeat(n + 1)}:`)).join('|')}|`, ...body.map(line)].join('\n');
}

export function render(results: VariantResults[], figures: FigureDef[], rows: Summary[], ctx: { machine: Machine; rounds: number; extra: string[] }): string {
  const names = results.map((r) => r.variant.name);
  const get = (v: string, f: string) => rows.find((r) => r.variant === v && r.figure === f)!;
  const out: string[] = [];
  const m = ctx.machine;
  out.push(`Machine: ${m.cpu}, ${m.cores} cores, Linux ${m.kernel}, Node ${m.node}; load average at start ${m.loadavg.join(' ')}; ixfabric ${m.commit}`);
  out.push(`Tools: ${Object.values(m.tools).join('; ')}`);
  out.push('');
  out.push(`Medians over ${ctx.rounds} round(s), (min-max) when more than one run succeeded; n/a = not measurable for this variant, - = failed or not run`);
  out.push('');
  const body = figures.map((f) => [
    `${f.label} [${f.unit}]`,
    ...names.map((v) => {
      const r = get(v, f.id);
      if (r.na) return 'n/a';
      const ok = r.runs.filter((x) => x !== null).length;
      const s = fmt(r.median, f.digits);
      return ok > 1 && r.min !== null && r.max !== null && r.min !== r.max ? `${s} (${fmt(r.min, f.digits)}-${fmt(r.max, f.digits)})` : s;
    }),
  ]);
  out.push(table(['figure', ...names], body));
  out.push('');
  // ratios: every variant to the bridge, and ixfabric variants to their natural references
  const cols: { title: string; v: string; peer: string | null }[] = [];
  for (const r of results) {
    if (r.variant.name !== 'bridge' && names.includes('bridge')) cols.push({ title: `${r.variant.name} / bridge`, v: r.variant.name, peer: null });
    for (const p of r.variant.peers) if (names.includes(p)) cols.push({ title: `${r.variant.name} / ${p}`, v: r.variant.name, peer: p });
  }
  if (cols.length) {
    out.push('Ratios of the medians (variant / reference; for latency, loss, CPU and retransmits lower is better)');
    out.push('');
    const rb = figures
      .filter((f) => !['pps64_loss', 'pps64_lost_at_a', 'pps64_lost_before_switch', 'pps64_dropped_by_switch', 'pps64_lost_after_switch', 'ping_idle_loss', 'ping_load_loss', 'replay_policy_dropped', 'replay_lost', 'tcp_retransmits'].includes(f.id))
      .map((f) => [
        `${f.label}`,
        ...cols.map((c) => {
          const r = get(c.v, f.id);
          const x = c.peer ? r.peers.find((p) => p.name === c.peer)!.ratio : r.ratio_to_bridge;
          return x === null ? '-' : `${x.toFixed(2)}x`;
        }),
      ]);
    out.push(table(['figure', ...cols.map((c) => c.title)], rb));
    out.push('');
  }
  for (const r of results) {
    for (const e of r.errors) out.push(`! ${r.variant.name}: ${e}`);
    for (const n of r.notes) out.push(`note ${r.variant.name}: ${n}`);
  }
  out.push(...ctx.extra);
  return out.join('\n');
}
