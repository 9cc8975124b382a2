// A batch of frames in one preallocated slab, as in Snabb: frames are (offset, length)
// pairs into the slab plus an ingress port each, never objects. A port's receive path fills
// a batch in place; the switch core reads it and may rewrite a frame in place (ARP/ND proxy).

export class FrameBatch {
  readonly slab: Buffer;
  readonly offsets: Uint32Array;
  readonly lengths: Uint32Array;
  readonly ports: Uint16Array;
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
  }

  /** Offset where slot i's frame starts by default. */
  slotOffset(i: number): number {
    return i * this.slotSize + this.headroom;
  }

  /** Copies `frame` into the next slot (tests, benchmarks, replay). Returns its index. */
  push(frame: Uint8Array, port: number): number {
    if (this.count >= this.capacity) throw new RangeError('batch full');
    if (frame.length > this.slotSize - this.headroom) throw new RangeError(`frame of ${frame.length} bytes does not fit a ${this.slotSize}-byte slot`);
    const i = this.count++;
    const off = this.slotOffset(i);
    this.slab.set(frame, off);
    this.offsets[i] = off;
    this.lengths[i] = frame.length;
    this.ports[i] = port;
    return i;
  }

  frame(i: number): Buffer {
    return this.slab.subarray(this.offsets[i]!, this.offsets[i]! + this.lengths[i]!);
  }
}
