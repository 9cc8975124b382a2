// Acts on the switch core's decisions: groups the frames of a batch by egress port (a flooded
// frame joins the queue of every port in its ingress port's flood list), then hands each
// port its queue in one call. Transmit and drop counters are kept here, once for all ports.
//
// The sinks get the batch itself, so a super-packet's offload metadata (batch.meta) travels with
// it; each sink sends it whole or cut (see frame-batch.ts). Counters count what a frame stands
// for on the wire: tx_packets the segments of a super-packet, tx_bytes their bytes (its length
// plus the headers repeated in every segment but the first); tx_full likewise. A refused frame
// counts once under tx_error (the kernel refuses a super-packet as a whole).

import { C_DROPS, C_TX_BYTES, C_TX_PACKETS } from './counters.js';
import { R_TX_ERROR, R_TX_FULL } from './drop-reasons.js';
import { type FrameBatch, META_STRIDE } from './frame-batch.js';
import { EGRESS_FLOOD, type SwitchCore } from './switch-core.js';

/** A port's transmit side. */
export interface EgressPort {
  /**
   * Sends frames `frames[0..count)` (indexes into `batch`) without blocking. Returns how many
   * were accepted; writes into `errors[0]` how many the kernel refused for another reason
   * than a full queue. Frames neither accepted nor refused are counted as `tx_full`; they are
   * the last ones of the queue. A super-packet (batch.isSuper) counts as one frame here.
   */
  transmit(batch: FrameBatch, frames: Uint32Array, count: number, errors: Int32Array): number;
}

export class Forwarder {
  private readonly sinks: (EgressPort | undefined)[] = [];
  private readonly queues: Uint32Array[] = [];
  private readonly queueLen: Int32Array;
  private readonly active: Int32Array;
  private readonly errors = new Int32Array(2);

  constructor(
    readonly core: SwitchCore,
    private readonly batchCapacity: number,
  ) {
    this.queueLen = new Int32Array(core.maxPorts);
    this.active = new Int32Array(core.maxPorts);
  }

  attach(port: number, sink: EgressPort): void {
    this.sinks[port] = sink;
  }

  detach(port: number): void {
    this.sinks[port] = undefined;
  }

  /** Detaches every sink and returns them for restoreSinks (warm-up.ts runs with its own only). */
  detachAll(): (EgressPort | undefined)[] {
    const all = this.sinks.slice();
    this.sinks.fill(undefined);
    return all;
  }

  /** Puts back the sinks detachAll returned; ports attached since are detached. */
  restoreSinks(all: (EgressPort | undefined)[]): void {
    for (let p = 0; p < this.sinks.length; p++) this.sinks[p] = all[p];
  }

  private activate(port: number, slot: number): void {
    this.active[slot] = port;
    this.queues[port] ??= new Uint32Array(this.batchCapacity);
  }

  /** Runs the switch core over `batch` and transmits the result. */
  forward(batch: FrameBatch, now: number): void {
    const core = this.core;
    core.process(batch, now);
    const egress = core.egress;
    const queueLen = this.queueLen;
    const queues = this.queues;
    const active = this.active;
    let nActive = 0;
    for (let i = 0; i < batch.count; i++) {
      const e = egress[i]!;
      if (e >= 0) {
        if (queueLen[e] === 0) this.activate(e, nActive++);
        queues[e]![queueLen[e]!++] = i;
      } else if (e === EGRESS_FLOOD) {
        const list = core.floodList(batch.ports[i]!);
        for (let k = 0; k < list.length; k++) {
          const p = list[k]!;
          if (queueLen[p] === 0) this.activate(p, nActive++);
          queues[p]![queueLen[p]!++] = i;
        }
      }
    }
    const v = core.counters.values;
    const meta = batch.meta;
    for (let a = 0; a < nActive; a++) {
      const p = active[a]!;
      const n = queueLen[p]!;
      queueLen[p] = 0;
      const sink = this.sinks[p];
      const b = core.counters.base(p);
      // Packet and byte counts assume the accepted frames are the first ones, which holds
      // unless the kernel refused some frames individually (tx_error).
      const q = queues[p]!;
      if (sink === undefined) {
        v[b + C_DROPS + R_TX_FULL - 1]! += segmentsOf(batch, q, 0, n);
        continue;
      }
      this.errors[0] = 0;
      const sent = sink.transmit(batch, q, n, this.errors);
      const failed = this.errors[0]!;
      let packets = 0;
      let bytes = 0;
      for (let k = 0; k < sent; k++) {
        const i = q[k]!;
        if (meta[i * META_STRIDE] === 0) {
          packets++;
          bytes += batch.lengths[i]!;
        } else {
          packets += batch.segments(i);
          bytes += batch.wireBytes(i);
        }
      }
      v[b + C_TX_PACKETS]! += packets;
      v[b + C_TX_BYTES]! += bytes;
      if (failed > 0) v[b + C_DROPS + R_TX_ERROR - 1]! += failed;
      if (n - sent - failed > 0) v[b + C_DROPS + R_TX_FULL - 1]! += segmentsOf(batch, q, sent + failed, n);
    }
  }
}

/** Wire packets that frames q[from..to) of `batch` stand for. */
function segmentsOf(batch: FrameBatch, q: Uint32Array, from: number, to: number): number {
  let segs = 0;
  for (let k = from; k < to; k++) segs += batch.segments(q[k]!);
  return segs;
}
