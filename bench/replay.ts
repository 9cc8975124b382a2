// In-process replay benchmark: VXLAN datagrams as the native receive path would deliver them
// (a slab, offsets, lengths, source addresses) go through decap → ingress policy → FDB →
// forwarding decision → VXLAN encap (descriptors for the batched send), on one core, with the
// socket calls replaced by a sender that only counts. It measures what the JavaScript side of
// the dataplane costs per frame.
//
//   npm run bench:replay -- [--pcap FILE] [--json] [--frames N] [--runs N]

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Counters } from '../src/dataplane/counters.js';
import { Forwarder } from '../src/dataplane/forwarder.js';
import { FrameBatch } from '../src/dataplane/frame-batch.js';
import { memberPolicy, trunkPolicy } from '../src/dataplane/port-policy.js';
import { GROUP_TRUNKS, SwitchCore } from '../src/dataplane/switch-core.js';
import { TunnelDemux } from '../src/dataplane/tunnel-demux.js';
import { ADDR_ENTRY, decapVxlanBatch } from '../src/dataplane/vxlan-ingress.js';
import { type DatagramSender, VxlanEgress } from '../src/dataplane/vxlan-egress.js';
import { arpFrame, ethernetFrame, icmpEchoFrame, ipv4Packet, ndFrame } from '../src/encap/frame-builder.js';
import { ETHERTYPE_IPV4 } from '../src/encap/ethernet.js';
import { parseMac, macToString } from '../src/encap/mac.js';
import { ICMPV6_NS } from '../src/encap/nd.js';
import { readPcap, toEthernet } from '../src/encap/pcap-reader.js';
import { writeVxlanHeader, decodeVxlan } from '../src/encap/vxlan.js';
import { DROP_REASONS } from '../src/dataplane/drop-reasons.js';
import { C_DROPS } from '../src/dataplane/counters.js';

const BATCH = 64;
const SLOT = 2048;
const HEADROOM = 64;
const MEMBERS = 200;
const TRUNK = MEMBERS; // port id of the POP trunk used by the MAC-flood scenario

interface Args {
  pcap?: string;
  json: boolean;
  frames: number;
  runs: number;
}

function parse(): Args {
  const { values } = parseArgs({
    options: {
      pcap: { type: 'string' },
      json: { type: 'boolean', default: false },
      frames: { type: 'string', default: '2000000' },
      runs: { type: 'string', default: '5' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log('usage: npm run bench:replay -- [--pcap FILE] [--json] [--frames N] [--runs N]');
    process.exit(0);
  }
  return { pcap: values.pcap, json: values.json!, frames: Number(values.frames), runs: Number(values.runs) };
}

const member = (i: number) => ({
  mac: macToString(0x020000000000 + 0x10000 + i),
  ipv4: `100.64.${i >> 8}.${(i & 0xff) + 1}`,
  ipv6: `2001:db8:ffff::${(i + 1).toString(16)}`,
  remote: `10.${(i >> 8) + 1}.${i & 0xff}.1`,
  vni: 1000 + i,
});

/** A sender that accepts everything and touches the descriptors, as a syscall would read them. */
class CountingSender implements DatagramSender {
  messages = 0;
  bytes = 0;
  send(_slab: Uint8Array, desc: Uint32Array, count: number): number {
    for (let j = 0; j < count; j++) this.bytes += desc[j * 5 + 1]!;
    this.messages += count;
    return count;
  }
}

/** The fabric under test: 200 VXLAN members behind one shared socket, plus one trunk. */
function buildFabric(opts: { configuredMacs: boolean; bumPps: number; maxEntries?: number }) {
  const counters = new Counters(MEMBERS + 2);
  const core = new SwitchCore({ maxPorts: MEMBERS + 2, batchCapacity: BATCH, counters, fdb: { maxEntries: opts.maxEntries ?? 100000 } });
  const fwd = new Forwarder(core, BATCH);
  const demux = new TunnelDemux();
  const sender = new CountingSender();
  for (let i = 0; i < MEMBERS; i++) {
    const m = member(i);
    const policy = memberPolicy({ macs: opts.configuredMacs ? [m.mac] : [], ipv4: [m.ipv4], ipv6: [m.ipv6], bum_pps: opts.bumPps, max_macs: opts.configuredMacs ? 4 : 64 });
    core.setPort(i, { policy, group: 0, staticMacs: opts.configuredMacs ? [parseMac(m.mac)!] : [] }, 0);
    demux.add(m.remote, m.vni, i);
    fwd.attach(i, new VxlanEgress(m.vni, addrEntry(m.remote), sender, BATCH));
  }
  core.setPort(TRUNK, { policy: trunkPolicy(), group: GROUP_TRUNKS }, 0);
  demux.add('10.255.0.1', 10, TRUNK);
  fwd.attach(TRUNK, new VxlanEgress(10, addrEntry('10.255.0.1'), sender, BATCH));
  return { core, fwd, demux, sender, counters };
}

function addrEntry(ipv4: string): Uint8Array {
  const e = new Uint8Array(ADDR_ENTRY);
  e[0] = 2;
  ipv4.split('.').forEach((o, k) => (e[4 + k] = Number(o)));
  return e;
}

/** Received batches as the native poller leaves them: slab + offsets + lengths + addresses. */
interface RxBatch {
  batch: FrameBatch;
  offsets: Uint32Array;
  lengths: Uint32Array;
  addrs: Uint8Array;
  /** The VNI of each datagram: egress writes its outer header where the received one was (the
   *  slot's headroom), so the header is written again before each replay, as a receive would. */
  vnis: Uint32Array;
  count: number;
}

/** Puts the received VXLAN headers back (8 bytes per frame, inside the timed loop). */
function refill(rx: RxBatch): void {
  for (let k = 0; k < rx.count; k++) writeVxlanHeader(rx.batch.slab, rx.offsets[k]!, rx.vnis[k]!);
}

function packBatches(datagrams: { from: string; vni: number; frame: Uint8Array }[]): RxBatch[] {
  const out: RxBatch[] = [];
  for (let i = 0; i < datagrams.length; i += BATCH) {
    const slice = datagrams.slice(i, i + BATCH);
    const batch = new FrameBatch(BATCH, SLOT, HEADROOM);
    const rx: RxBatch = { batch, offsets: new Uint32Array(BATCH), lengths: new Uint32Array(BATCH), addrs: new Uint8Array(BATCH * ADDR_ENTRY), vnis: new Uint32Array(BATCH), count: slice.length };
    slice.forEach((d, k) => {
      const off = k * SLOT + HEADROOM;
      writeVxlanHeader(batch.slab, off, d.vni);
      batch.slab.set(d.frame, off + 8);
      rx.offsets[k] = off;
      rx.lengths[k] = d.frame.length + 8;
      rx.addrs.set(addrEntry(d.from), k * ADDR_ENTRY);
      rx.vnis[k] = d.vni;
    });
    out.push(rx);
  }
  return out;
}

function tcpFrame(src: ReturnType<typeof member>, dst: ReturnType<typeof member>, size: number, sport = 179): Buffer {
  const tcp = Buffer.alloc(Math.max(20, size - 14 - 20));
  tcp.writeUInt16BE(sport, 0);
  tcp.writeUInt16BE(40000, 2);
  tcp[12] = 0x50;
  tcp[13] = 0x18;
  return ethernetFrame({ dst: dst.mac, src: src.mac, ethertype: ETHERTYPE_IPV4, pad: false }, ipv4Packet(src.ipv4, dst.ipv4, 6, tcp));
}

interface Scenario {
  name: string;
  description: string;
  fabric: Parameters<typeof buildFabric>[0];
  /** Frames pushed once before timing (learning). */
  warmup: RxBatch[];
  input: RxBatch[];
  /** Total frames per run (the input is cycled). */
  frames: number;
  /** Reuse one fabric for all runs (MAC flood: the table state is the point). */
  runs?: number;
}

function unicastScenario(name: string, size: number, frames: number): Scenario {
  const flows: { from: string; vni: number; frame: Uint8Array }[] = [];
  for (let i = 0; i < MEMBERS; i++) {
    const a = member(i);
    const b = member((i + 1) % MEMBERS);
    for (let k = 0; k < BATCH; k++) flows.push({ from: a.remote, vni: a.vni, frame: tcpFrame(a, b, size, 179 + k) });
  }
  const warm = Array.from({ length: MEMBERS }, (_, i) => ({ from: member(i).remote, vni: member(i).vni, frame: tcpFrame(member(i), member((i + 1) % MEMBERS), 60) }));
  return { name, description: `known unicast, ${size}-byte frames, 200 members`, fabric: { configuredMacs: true, bumPps: 0 }, warmup: packBatches(warm), input: packBatches(flows), frames };
}

function broadcastScenario(frames: number): Scenario {
  const list: { from: string; vni: number; frame: Uint8Array }[] = [];
  for (let i = 0; i < MEMBERS; i++) {
    const a = member(i);
    const b = member((i + 7) % MEMBERS);
    list.push({ from: a.remote, vni: a.vni, frame: arpFrame({ op: 1, senderMac: a.mac, senderIp: a.ipv4, targetIp: b.ipv4 }) });
    list.push({ from: a.remote, vni: a.vni, frame: ndFrame({ type: ICMPV6_NS, srcMac: a.mac, srcIp: a.ipv6, target: b.ipv6 }) });
  }
  return { name: 'arp-nd-broadcast', description: 'ARP requests and neighbour solicitations, each flooded to 199 members + 1 trunk', fabric: { configuredMacs: true, bumPps: 0 }, warmup: [], input: packBatches(list), frames };
}

function macFloodScenario(): Scenario {
  const list: { from: string; vni: number; frame: Uint8Array }[] = [];
  const dst = member(0);
  for (let k = 0; k < 1_000_000; k++) {
    const src = macToString(0x060000000000 + k);
    list.push({ from: '10.255.0.1', vni: 10, frame: icmpEchoFrame({ dst: dst.mac, src, srcIp: '100.64.3.1', dstIp: dst.ipv4, size: 60 }) });
  }
  // The first 200,000 fill the table to its cap (not timed); the timed 800,000 each evict.
  const warm = list.slice(0, 200_000);
  const timed = list.slice(200_000);
  return { name: 'mac-flood', description: '1,000,000 source MACs from one POP trunk, FDB cap 100,000 (timed: the 800,000 after the cap is reached)', fabric: { configuredMacs: true, bumPps: 0, maxEntries: 100_000 }, warmup: packBatches(warm), input: packBatches(timed), frames: timed.length, runs: 1 };
}

function exchangeMix(frames: number): Scenario {
  const list: { from: string; vni: number; frame: Uint8Array }[] = [];
  for (let i = 0; i < MEMBERS; i++) {
    const a = member(i);
    for (let j = 1; j <= 10; j++) {
      const b = member((i + j * 17) % MEMBERS);
      list.push({ from: a.remote, vni: a.vni, frame: tcpFrame(a, b, 90, 179) }); // BGP keepalive-sized
      list.push({ from: a.remote, vni: a.vni, frame: tcpFrame(a, b, 1514, 40000 + j) }); // bulk TCP
      list.push({ from: a.remote, vni: a.vni, frame: tcpFrame(a, b, 1514, 40000 + j) });
      list.push({ from: a.remote, vni: a.vni, frame: icmpEchoFrame({ dst: b.mac, src: a.mac, srcIp: a.ipv4, dstIp: b.ipv4 }) });
    }
    const b = member((i + 3) % MEMBERS);
    list.push({ from: a.remote, vni: a.vni, frame: arpFrame({ op: 1, senderMac: a.mac, senderIp: a.ipv4, targetIp: b.ipv4 }) });
    list.push({ from: a.remote, vni: a.vni, frame: ndFrame({ type: ICMPV6_NS, srcMac: a.mac, srcIp: a.ipv6, target: b.ipv6 }) });
  }
  // interleave members so batches mix ports, as a busy shared socket would
  const mixed = list.map((d, k) => ({ d, key: (k * 7919) % list.length })).sort((x, y) => x.key - y.key).map((x) => x.d);
  const warm = Array.from({ length: MEMBERS }, (_, i) => ({ from: member(i).remote, vni: member(i).vni, frame: tcpFrame(member(i), member((i + 1) % MEMBERS), 60) }));
  return { name: 'exchange-mix', description: 'BGP, ICMP, bulk TCP, ARP and ND among 200 VXLAN members (bum_pps 500)', fabric: { configuredMacs: true, bumPps: 500 }, warmup: packBatches(warm), input: packBatches(mixed), frames };
}

function pcapScenario(path: string, frames: number): Scenario {
  const { records } = readPcap(readFileSync(path), { lenient: true });
  const list: { from: string; vni: number; frame: Uint8Array }[] = [];
  for (const r of records) {
    let f = toEthernet(r);
    if (!f) continue;
    // A VXLAN capture: replay the inner frames.
    if (f.length > 50 && f[12] === 0x08 && f[13] === 0x00 && f[23] === 17) {
      const ihl = (f[14]! & 0x0f) * 4;
      const dport = (f[14 + ihl + 2]! << 8) | f[14 + ihl + 3]!;
      if ((dport === 4789 || dport === 8472) && decodeVxlan(f, 14 + ihl + 8, f.length - 14 - ihl - 8) >= 0) f = f.subarray(14 + ihl + 16);
    }
    if (f.length > SLOT - HEADROOM - 8) continue;
    // ingress member chosen by source MAC, so each station stays on one port
    const m = member((f[6]! * 31 + f[7]! * 7 + f[11]!) % MEMBERS);
    list.push({ from: m.remote, vni: m.vni, frame: f });
  }
  if (list.length === 0) throw new Error(`${path}: no Ethernet frames`);
  return { name: `pcap:${path.split('/').pop()}`, description: `${list.length} frames from ${path}, members learn their MACs`, fabric: { configuredMacs: false, bumPps: 0 }, warmup: packBatches(list), input: packBatches(list), frames };
}

interface Result {
  scenario: string;
  mpps: number;
  ns_per_frame: number;
  heap_delta_mb: number;
  runs_mpps: number[];
  forwarded_share: number;
  messages_sent_per_frame: number;
  fdb_entries: number;
  drops: Record<string, number>;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function runScenario(s: Scenario, runs: number, progress: (msg: string) => void): Result {
  const times: number[] = [];
  let heapDelta = 0;
  let fabric = buildFabric(s.fabric);
  let lastSent = 0;
  let lastFrames = 0;
  const totalRuns = s.runs ?? runs;
  for (let r = 0; r < totalRuns; r++) {
    if (s.runs === undefined) fabric = buildFabric(s.fabric);
    const { core, fwd, demux, counters, sender } = fabric;
    let now = 1;
    for (const rx of s.warmup) {
      refill(rx);
      decapVxlanBatch(rx.batch, rx.offsets, rx.lengths, rx.addrs, rx.count, demux, counters, MEMBERS + 1);
      fwd.forward(rx.batch, now);
    }
    gc();
    const sentBefore = sender.messages;
    const heapBefore = process.memoryUsage().heapUsed;
    let done = 0;
    let k = 0;
    const t0 = process.hrtime.bigint();
    while (done < s.frames) {
      const rx = s.input[k]!;
      k = k + 1 === s.input.length ? 0 : k + 1;
      now += 0.00001;
      refill(rx);
      decapVxlanBatch(rx.batch, rx.offsets, rx.lengths, rx.addrs, rx.count, demux, counters, MEMBERS + 1);
      fwd.forward(rx.batch, now);
      done += rx.count;
    }
    const ns = Number(process.hrtime.bigint() - t0);
    gc();
    heapDelta = Math.max(heapDelta, process.memoryUsage().heapUsed - heapBefore);
    times.push(ns / done);
    lastSent = sender.messages - sentBefore;
    lastFrames = done;
    progress(`${s.name}: run ${r + 1}/${totalRuns} ${(1000 / (ns / done)).toFixed(2)} Mpps, fdb ${core.fdb.size}`);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const drops: Record<string, number> = {};
  let dropped = 0;
  for (let p = 0; p <= MEMBERS + 1; p++) {
    const b = fabric.counters.base(p);
    DROP_REASONS.forEach((name, i) => {
      const n = fabric.counters.values[b + C_DROPS + i]!;
      if (n > 0) {
        drops[name] = (drops[name] ?? 0) + n;
        dropped += n;
      }
    });
  }
  const totalIn = lastFrames * (s.runs ?? 1) + s.warmup.reduce((a, rx) => a + rx.count, 0);
  return {
    scenario: s.name,
    mpps: round(1000 / median, 3),
    ns_per_frame: round(median, 1),
    heap_delta_mb: round(heapDelta / 2 ** 20, 2),
    runs_mpps: times.map((t) => round(1000 / t, 3)),
    forwarded_share: round(1 - dropped / Math.max(1, totalIn), 3),
    messages_sent_per_frame: round(lastSent / lastFrames, 2),
    fdb_entries: fabric.core.fdb.size,
    drops,
  };
}

function round(x: number, d: number): number {
  return Math.round(x * 10 ** d) / 10 ** d;
}

function main(): void {
  const args = parse();
  const progress = (msg: string) => process.stderr.write(`  ${msg}\n`);
  if (!(globalThis as { gc?: unknown }).gc) progress('note: run with --expose-gc for exact heap figures (npm run bench:replay does)');
  const scenarios: (() => Scenario)[] = args.pcap
    ? [() => pcapScenario(args.pcap!, args.frames)]
    : [
        () => unicastScenario('known-unicast-64', 60, args.frames),
        () => unicastScenario('known-unicast-1500', 1514, args.frames),
        () => broadcastScenario(Math.max(20000, Math.floor(args.frames / 100))),
        () => macFloodScenario(),
        () => exchangeMix(args.frames),
      ];
  const results: Result[] = [];
  for (const make of scenarios) {
    progress('preparing input...');
    const s = make();
    progress(`${s.name}: ${s.description}`);
    results.push(runScenario(s, args.runs, progress));
  }
  // The input is built to reach its members: a tunnel or decode drop means the harness, not
  // the switch, is wrong, and the figures would time drops instead of forwarding.
  const broken = results.filter((r) => (r.drops.unknown_tunnel ?? 0) + (r.drops.malformed ?? 0) > 0);
  for (const r of broken) process.stderr.write(`bench:replay: ${r.scenario}: input dropped as unknown_tunnel/malformed (${JSON.stringify(r.drops)}); the figures are not valid\n`);
  if (broken.length > 0) process.exitCode = 1;
  if (args.json) {
    for (const r of results) console.log(JSON.stringify(r));
    return;
  }
  console.log(`\nixfabric replay benchmark: decap → policy → FDB → decision → encap, one core, batches of ${BATCH}`);
  console.log(`node ${process.version}, median of ${args.runs} runs (mac-flood: one run, timed after the table reached its cap)\n`);
  const head = ['scenario', 'Mpps', 'ns/frame', 'heap Δ MB', 'sent/frame', 'forwarded', 'fdb', 'drops'];
  const rows = results.map((r) => [r.scenario, r.mpps.toFixed(2), r.ns_per_frame.toFixed(0), r.heap_delta_mb.toFixed(2), r.messages_sent_per_frame.toFixed(2), `${(r.forwarded_share * 100).toFixed(1)}%`, String(r.fdb_entries), Object.entries(r.drops).map(([k, v]) => `${k}=${v}`).join(' ') || '-']);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(head));
  for (const r of rows) console.log(line(r));
}

main();
