// The switch core: for each frame of a batch, ingress policy → learn the source → look up
// the destination → one decision: an egress port, flood, or drop with a reason. It writes
// decisions into preallocated arrays and allocates nothing per frame; the forwarder then
// acts on the decisions batch-wise.
//
// Flooding obeys split horizon: ports in the same non-zero group (the POP trunks) never
// flood to each other, and a frame never goes back out of its ingress port.

import { newEthernetHeader, parseEthernet } from '../encap/ethernet.js';
import { isGroupMac } from '../encap/mac.js';
import { ICMPV6_NA } from '../encap/nd.js';
import { FDB_STATS_LEN } from '../fdb/fdb-stats.js';
import { ForwardingTable, type ForwardingTableOptions, LEARN_LIMIT, LEARN_PINNED } from '../fdb/forwarding-table.js';
import { answerArp, answerNs, isProxiableArp, isProxiableNs } from './arp-nd-proxy.js';
import { C_DROPS, C_FLOOD_PACKETS, C_RX_BYTES, C_RX_PACKETS, Counters, G_NO_PORT, G_PROXY_REPLIES } from './counters.js';
import {
  R_BUM_RATE,
  R_MAC_LIMIT,
  R_MAC_PINNED,
  R_MALFORMED,
  R_NONE,
  R_PORT_DOWN,
  R_SAME_PORT,
  R_SPLIT_HORIZON,
  R_SRC_MAC,
  R_UNKNOWN_TUNNEL,
  REASON_COUNT,
} from './drop-reasons.js';
import { type FrameBatch, META_STRIDE } from './frame-batch.js';
import { IngressPolicy, SEEN_ARP, SEEN_ND, SEEN_OTHER } from './ingress-policy.js';
import { NeighborTable } from './neighbor-table.js';
import type { PortPolicy } from './port-policy.js';
import { TokenBuckets } from './token-bucket.js';

export const EGRESS_FLOOD = -1;
export const EGRESS_DROP = -2;
/** Split-horizon group of the POP trunks. */
export const GROUP_TRUNKS = 1;

export interface CorePortConfig {
  policy: PortPolicy;
  /** Split-horizon group; 0 = none. */
  group: number;
  /** MACs installed as static FDB entries on this port. */
  staticMacs?: number[];
}

interface CorePort {
  policy: PortPolicy;
  group: number;
  up: boolean;
  staticMacs: number[];
}

export interface SwitchCoreOptions {
  maxPorts?: number;
  /** Largest batch `process` accepts. */
  batchCapacity?: number;
  fdb?: Omit<ForwardingTableOptions, 'maxPorts' | 'stats'>;
  counters?: Counters;
  /** Answer ARP requests and neighbour solicitations for known addresses. */
  arpNdProxy?: boolean;
}

const EMPTY = new Int32Array(0);

export class SwitchCore {
  readonly maxPorts: number;
  readonly counters: Counters;
  readonly fdb: ForwardingTable;
  readonly neighbors = new NeighborTable();
  /** Per frame of the last batch: egress port, EGRESS_FLOOD or EGRESS_DROP. */
  readonly egress: Int32Array;
  /** Per frame of the last batch: drop reason code when egress is EGRESS_DROP. */
  readonly reasons: Uint8Array;
  arpNdProxy: boolean;
  /**
   * Called for the first drop of each (port, reason) in every `dropSampleS` seconds, with the
   * frame, so the control thread can log what was dropped without a line per frame.
   */
  onDropSample: ((port: number, reason: number, slab: Buffer, off: number, len: number) => void) | null = null;
  dropSampleS = 60;
  private readonly dropSampleNext: Float64Array;
  private readonly ports: (CorePort | undefined)[] = [];
  private floodLists: Int32Array[] = [];
  private readonly buckets: TokenBuckets;
  private readonly policy = new IngressPolicy();
  private readonly eth = newEthernetHeader();

  constructor(opts: SwitchCoreOptions = {}) {
    this.maxPorts = opts.maxPorts ?? 4096;
    this.counters = opts.counters ?? new Counters(this.maxPorts);
    this.fdb = new ForwardingTable({ ...opts.fdb, maxPorts: this.maxPorts, stats: this.counters.values.subarray(0, FDB_STATS_LEN) });
    const cap = opts.batchCapacity ?? 256;
    this.egress = new Int32Array(cap);
    this.reasons = new Uint8Array(cap);
    this.buckets = new TokenBuckets(this.maxPorts);
    this.dropSampleNext = new Float64Array(this.maxPorts * REASON_COUNT);
    this.arpNdProxy = opts.arpNdProxy ?? false;
    this.policy.dissectTrunks = this.arpNdProxy;
  }

  /** Adds or replaces port `id`. A new port starts up. */
  setPort(id: number, cfg: CorePortConfig, now: number): void {
    if (id < 0 || id >= this.maxPorts) throw new RangeError(`port id ${id} out of range`);
    const old = this.ports[id];
    if (old) for (const mac of old.staticMacs) this.fdb.removeStatic(mac);
    const p: CorePort = { policy: cfg.policy, group: cfg.group, up: old?.up ?? true, staticMacs: [...(cfg.staticMacs ?? [])] };
    this.ports[id] = p;
    this.fdb.setPortLimit(id, cfg.policy.macLimit);
    this.fdb.setPortRemote(id, cfg.group === GROUP_TRUNKS);
    for (const mac of p.staticMacs) this.fdb.addStatic(mac, id, now);
    this.buckets.configure(id, cfg.policy.bumPps, now);
    this.rebuildFloodLists();
  }

  /** Removes port `id` and flushes every FDB entry on it. */
  removePort(id: number): number {
    if (!this.ports[id]) return 0;
    this.ports[id] = undefined;
    this.dropSampleNext.fill(0, id * REASON_COUNT, (id + 1) * REASON_COUNT);
    const flushed = this.fdb.forgetPort(id, 4);
    this.rebuildFloodLists();
    return flushed;
  }

  /** A port that goes down stops receiving floods and loses its learned MACs. */
  setPortUp(id: number, up: boolean): void {
    const p = this.ports[id];
    if (!p || p.up === up) return;
    p.up = up;
    if (!up) this.fdb.flushPort(id);
    this.rebuildFloodLists();
  }

  /** Port ids from here on have never been used (the ports array does not reach them). */
  get portSlots(): number {
    return this.ports.length;
  }

  hasPort(id: number): boolean {
    return this.ports[id] !== undefined;
  }

  isTrunk(id: number): boolean {
    return this.ports[id]?.group === GROUP_TRUNKS;
  }

  /** Ports a frame entering at `ingress` is flooded to. */
  floodList(ingress: number): Int32Array {
    return this.floodLists[ingress] ?? EMPTY;
  }

  private rebuildFloodLists(): void {
    const lists: Int32Array[] = [];
    for (let i = 0; i < this.ports.length; i++) {
      const pi = this.ports[i];
      if (!pi) continue;
      const out: number[] = [];
      for (let j = 0; j < this.ports.length; j++) {
        const pj = this.ports[j];
        if (j === i || !pj || !pj.up) continue;
        if (pi.group !== 0 && pi.group === pj.group) continue;
        out.push(j);
      }
      lists[i] = Int32Array.from(out);
    }
    this.floodLists = lists;
  }

  /**
   * Decides every frame of `batch`; `now` is the clock in seconds. A super-packet (see
   * frame-batch.ts) is decided once, like the first of its segments, and counted as all of them
   * (rx_packets, rx_bytes with the repeated headers, a drop reason, flood_packets).
   */
  process(batch: FrameBatch, now: number): void {
    const { slab, offsets, lengths, ports: inPorts, meta } = batch;
    const n = batch.count;
    if (n > this.egress.length) throw new RangeError(`batch of ${n} exceeds capacity ${this.egress.length}`);
    const v = this.counters.values;
    const egress = this.egress;
    const reasons = this.reasons;
    const eth = this.eth;
    for (let i = 0; i < n; i++) {
      const off = offsets[i]!;
      const len = lengths[i]!;
      const inPort = inPorts[i]!;
      const port = this.ports[inPort];
      if (port === undefined) {
        // The port went away while its frames were in flight.
        egress[i] = EGRESS_DROP;
        reasons[i] = R_UNKNOWN_TUNNEL;
        v[G_NO_PORT]!++;
        continue;
      }
      const b = this.counters.base(inPort);
      const segs = meta[i * META_STRIDE] === 0 ? 1 : batch.segments(i);
      v[b + C_RX_PACKETS]! += segs;
      v[b + C_RX_BYTES]! += segs === 1 ? len : batch.wireBytes(i);
      let reason = R_NONE;
      let out = EGRESS_DROP;
      if (!parseEthernet(slab, off, len, eth)) reason = R_MALFORMED;
      else reason = this.policy.check(slab, off, len, eth, port.policy);
      if (reason === R_NONE && (isGroupMac(eth.src) || eth.src === 0)) reason = R_SRC_MAC;
      if (reason === R_NONE) {
        const learned = this.fdb.learn(eth.src, inPort, now);
        if (learned < 0) reason = learned === LEARN_LIMIT ? R_MAC_LIMIT : learned === LEARN_PINNED ? R_MAC_PINNED : R_SRC_MAC;
      }
      if (reason === R_NONE) {
        out = this.decide(slab, off, inPort, port, now);
        if (out === EGRESS_DROP) reason = this.decisionReason;
      }
      egress[i] = out;
      reasons[i] = reason;
      if (reason !== R_NONE) {
        v[b + C_DROPS + reason - 1]! += segs;
        if (this.onDropSample !== null) {
          const k = inPort * REASON_COUNT + reason - 1;
          if (now >= this.dropSampleNext[k]!) {
            this.dropSampleNext[k] = now + this.dropSampleS;
            this.onDropSample(inPort, reason, slab, off, len);
          }
        }
      } else if (out === EGRESS_FLOOD) v[b + C_FLOOD_PACKETS]! += segs;
    }
  }

  /** Why `decide` returned EGRESS_DROP. */
  private decisionReason = R_NONE;

  /** Destination decision for an accepted frame (source already learned). */
  private decide(slab: Buffer, off: number, inPort: number, port: CorePort, now: number): number {
    const eth = this.eth;
    const seen = this.policy.seen;
    if (this.arpNdProxy && seen !== SEEN_OTHER && this.neighbourFrame(slab, off, inPort, port)) return inPort;
    if (!isGroupMac(eth.dst)) {
      const out = this.fdb.lookup(eth.dst);
      if (out >= 0) {
        const op = this.ports[out];
        if (out === inPort) return this.dropWith(R_SAME_PORT);
        if (op === undefined || !op.up) return this.dropWith(R_PORT_DOWN);
        if (port.group !== 0 && port.group === op.group) return this.dropWith(R_SPLIT_HORIZON);
        return out;
      }
    }
    if (port.group !== GROUP_TRUNKS && !this.buckets.take(inPort, now)) return this.dropWith(R_BUM_RATE);
    return EGRESS_FLOOD;
  }

  private dropWith(reason: number): number {
    this.decisionReason = reason;
    return EGRESS_DROP;
  }

  /**
   * Learns the bindings an accepted ARP/NS/NA carries and, for a request from a member whose
   * answer is known and whose owner is reachable, rewrites it into the reply. True if answered.
   */
  private neighbourFrame(slab: Buffer, off: number, inPort: number, port: CorePort): boolean {
    const eth = this.eth;
    const pol = this.policy;
    const member = port.group !== GROUP_TRUNKS;
    if (pol.seen === SEEN_ARP) {
      const arp = pol.arp;
      this.neighbors.learn4(arp.senderIp, arp.senderMac);
      if (!member || !isProxiableArp(arp)) return false;
      const owner = this.neighbors.lookup4(arp.targetIp);
      if (!this.ownerReachable(owner, eth.src, inPort)) return false;
      answerArp(slab, off, eth.payloadOffset, arp, owner);
    } else if (pol.seen === SEEN_ND) {
      const nd = pol.nd;
      if (nd.type === ICMPV6_NA) {
        this.neighbors.learn6(slab, nd.targetOffset, eth.src);
        return false;
      }
      const ip = pol.ipv6;
      if (nd.sourceLinkAddr >= 0) this.neighbors.learn6(slab, ip.srcOffset, eth.src);
      if (!member || !isProxiableNs(slab, ip, nd, eth.payloadOffset)) return false;
      const owner = this.neighbors.lookup6(slab, nd.targetOffset);
      if (!this.ownerReachable(owner, eth.src, inPort)) return false;
      answerNs(slab, off, eth.payloadOffset, eth, owner);
    } else return false;
    this.counters.values[G_PROXY_REPLIES]!++;
    return true;
  }

  /** The owner MAC is known, is not the asker, and sits on another port that is up. */
  private ownerReachable(owner: number, asker: number, inPort: number): boolean {
    if (owner < 0 || owner === asker) return false;
    const at = this.fdb.lookup(owner);
    return at >= 0 && at !== inPort && this.ports[at]?.up === true;
  }
}
