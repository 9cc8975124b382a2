// A batch of frames in one preallocated slab, as in Snabb: frames are (offset, length)
// pairs into the slab plus an ingress port each, never objects. A port's receive path fills
// a batch in place; the switch core reads it and may rewrite a frame in place (ARP/ND proxy).
//
// A frame may be a super-packet: a TCP or UDP packet of up to 64 KiB that a member's kernel
// handed over unsegmented (TSO/GSO/GRO) and that a port with a virtio header received whole.
// Its offload metadata (META_STRIDE u16 per frame in `meta`, written by the native Poller; the
// format is described in native.ts) says how it is cut into wire segments. Egresses that can
// take it (AF_PACKET, TAP with virtio header) send it whole and the kernel segments it or hands
// it on; the others cut it first (GsoSplitter). Counters count what it stands for on the wire:
// `segments(i)` packets of `wireBytes(i)` bytes in all, so they read the same whether or not a
// member's kernel offloads.

import type { NativeAddon } from './native.js';

/** Offload metadata per frame, in u16 entries (native.ts: META_*). */
export const META_STRIDE = 4;
export const META_GSO_TYPE = 0;
export const META_GSO_SIZE = 1;
export const META_L4_OFFSET = 2;
export const META_HDR_END = 3;

export class FrameBatch {
  readonly slab: Buffer;
  readonly offsets: Uint32Array;
  readonly lengths: Uint32Array;
  readonly ports: Uint16Array;
  /** Offload metadata, META_STRIDE per frame; [i*META_STRIDE] = 0 for an ordinary frame. */
  readonly meta: Uint16Array;
  count = 0;

  /** `slotSize` bytes per frame slot; frame i is normally received at i*slotSize + headroom. */
  constructor(
    readonly capacity: number,
    readonly slotSize = 2048,
    readonly headroom = 64,
  ) {
    this.slab = Buffer.alloc(capacity * slotSize);
    this.offsets = new Uint32Array(capacity);
    this.lengths = new Uint32Array(capacity);
    this.ports = new Uint16Array(capacity);
    this.meta = new Uint16Array(capacity * META_STRIDE);
  }

  /** Offset where slot i's frame starts by default. */
  slotOffset(i: number): number {
    return i * this.slotSize + this.headroom;
  }

  /**
   * Copies `frame` into the next slot (tests, benchmarks, replay). Returns its index. `meta`
   * (META_STRIDE values) marks it as a super-packet; without it the frame is an ordinary one.
   */
  push(frame: Uint8Array, port: number, meta?: ArrayLike<number>): number {
    if (this.count >= this.capacity) throw new RangeError('batch full');
    if (frame.length > this.slotSize - this.headroom) throw new RangeError(`frame of ${frame.length} bytes does not fit a ${this.slotSize}-byte slot`);
    const i = this.count++;
    const off = this.slotOffset(i);
    this.slab.set(frame, off);
    this.offsets[i] = off;
    this.lengths[i] = frame.length;
    this.ports[i] = port;
    this.meta.fill(0, i * META_STRIDE, (i + 1) * META_STRIDE);
    if (meta !== undefined) for (let k = 0; k < META_STRIDE; k++) this.meta[i * META_STRIDE + k] = meta[k]!;
    return i;
  }

  frame(i: number): Buffer {
    return this.slab.subarray(this.offsets[i]!, this.offsets[i]! + this.lengths[i]!);
  }

  /** True when frame i is a super-packet. */
  isSuper(i: number): boolean {
    return this.meta[i * META_STRIDE] !== 0;
  }

  /** Wire packets frame i stands for: 1, or a super-packet's number of segments. */
  segments(i: number): number {
    const m = i * META_STRIDE;
    if (this.meta[m] === 0) return 1;
    return Math.ceil((this.lengths[i]! - this.meta[m + META_HDR_END]!) / this.meta[m + META_GSO_SIZE]!);
  }

  /** Bytes frame i stands for on the wire: its length, plus a super-packet's repeated headers. */
  wireBytes(i: number): number {
    const m = i * META_STRIDE;
    const len = this.lengths[i]!;
    if (this.meta[m] === 0) return len;
    const hdr = this.meta[m + META_HDR_END]!;
    return len + (Math.ceil((len - hdr) / this.meta[m + META_GSO_SIZE]!) - 1) * hdr;
  }
}

/** True when any of frames[0..count) of `batch` is a super-packet. */
export function anySuper(batch: FrameBatch, frames: Uint32Array, count: number): boolean {
  const meta = batch.meta;
  for (let k = 0; k < count; k++) if (meta[frames[k]! * META_STRIDE] !== 0) return true;
  return false;
}

/** native.segment (see native.ts). */
export type SegmentFn = NativeAddon['segment'];

/** An egress's transmit of ordinary frames (EgressPort.transmit semantics). */
export type PlainTransmit = (batch: FrameBatch, frames: Uint32Array, count: number, errors: Int32Array) => number;

/** Segments a GsoSplitter cuts at a time: an egress's descriptors must hold this many. */
export const SPLIT_BATCH = 64;

/** Scratch slot for one segment: headroom, a 9216-byte jumbo frame and two VLAN tags. */
export const SPLIT_SLOT = Math.ceil((64 + 9216 + 8) / 64) * 64;

/**
 * Transmit for egresses that cannot take super-packets (VXLAN and EoIP sockets, a TAP or packet
 * socket without virtio header): ordinary frames go to the egress's own transmit in runs, as
 * they are; each super-packet is cut into a preallocated scratch batch (native segment()) and its
 * segments sent from there, in order. Nothing is allocated per frame. One splitter serves every
 * egress of a thread (transmits run one at a time).
 */
export class GsoSplitter {
  readonly scratch: FrameBatch;
  private readonly run: Uint32Array;
  private readonly seq: Uint32Array;
  private readonly errs = new Int32Array(2);

  constructor(
    private readonly segment: SegmentFn,
    capacity = SPLIT_BATCH,
    slotSize = SPLIT_SLOT,
    headroom = 64,
    runCapacity = 1024,
  ) {
    this.scratch = new FrameBatch(capacity, slotSize, headroom);
    this.run = new Uint32Array(runCapacity);
    this.seq = new Uint32Array(capacity);
    for (let k = 0; k < capacity; k++) this.seq[k] = k;
  }

  /**
   * EgressPort.transmit of frames[0..count) through `send`, which only ever sees ordinary
   * frames. A super-packet is accepted when all its segments were, refused (errors[0]) when the
   * kernel refused one of them or it cannot be segmented; when the egress queue fills up the
   * rest is not attempted (segments already sent of that super-packet stay sent).
   */
  transmit(batch: FrameBatch, frames: Uint32Array, count: number, errors: Int32Array, send: PlainTransmit): number {
    const meta = batch.meta;
    const run = this.run;
    const e = this.errs;
    let accepted = 0;
    let failed = 0;
    let runLen = 0;
    for (let k = 0; k <= count; k++) {
      const i = k < count ? frames[k]! : 0;
      const isSuper = k < count && meta[i * META_STRIDE] !== 0;
      if (k < count && !isSuper && runLen < run.length) {
        run[runLen++] = i;
        continue;
      }
      if (runLen > 0) {
        e[0] = 0;
        const sent = send(batch, run, runLen, e);
        accepted += sent;
        failed += e[0]!;
        if (sent + e[0]! < runLen) break; // queue full
        runLen = 0;
      }
      if (k === count) break;
      if (!isSuper) {
        run[runLen++] = i; // the run was full
        continue;
      }
      const r = this.sendSegments(batch, i, send);
      if (r > 0) accepted++;
      else if (r < 0) failed++;
      else break;
    }
    errors[0] = failed;
    return accepted;
  }

  /** 1: every segment accepted; -1: refused or not segmentable; 0: the queue filled up. */
  private sendSegments(batch: FrameBatch, i: number, send: PlainTransmit): number {
    const s = this.scratch;
    const e = this.errs;
    const nseg = batch.segments(i);
    let refused = false;
    for (let first = 0; first < nseg; ) {
      const n = this.segment(batch.slab, batch.offsets[i]!, batch.lengths[i]!, batch.meta, i, s.slab, s.offsets, s.lengths, s.slotSize, s.headroom, first);
      if (n <= 0) return -1;
      s.count = n;
      e[0] = 0;
      const sent = send(s, this.seq, n, e);
      if (e[0]! > 0) refused = true;
      if (sent + e[0]! < n) return 0;
      first += n;
    }
    return refused ? -1 : 1;
  }
}
