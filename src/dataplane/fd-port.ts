// A port with a file descriptor of its own: a TAP device (one read/writev per frame) or an
// AF_PACKET socket (recvmmsg/sendmmsg). Receive fills the port's frame batch in place and hands
// it to the forwarder; transmit sends the frames straight out of whatever slab they sit in.

import type { EgressPort, Forwarder } from './forwarder.js';
import { FrameBatch } from './frame-batch.js';
import { DESC_STRIDE } from './vxlan-egress.js';
import type { IoKind, NativeAddon, Poller } from './native.js';

export const BATCH = 64;
export const HEADROOM = 64;

/** Slot size for frames up to `mtu` bytes of payload (two VLAN tags, rounded to 64). */
export function slotSizeFor(mtu: number): number {
  return Math.ceil((HEADROOM + mtu + 14 + 8) / 64) * 64;
}

export class FdPort implements EgressPort {
  readonly batch: FrameBatch;
  private readonly poller: Poller;
  private readonly desc = new Uint32Array(BATCH * DESC_STRIDE);
  private readonly result = new Int32Array(2);

  constructor(
    readonly id: number,
    readonly fd: number,
    readonly io: IoKind,
    mtu: number,
    private readonly native: NativeAddon,
    forwarder: Forwarder,
    clock: () => number,
    onError: (errno: number) => void,
  ) {
    this.batch = new FrameBatch(BATCH, slotSizeFor(mtu), HEADROOM);
    const batch = this.batch;
    this.poller = new native.Poller(fd, io, batch.slab, { slotSize: batch.slotSize, headroom: HEADROOM, maxBatch: BATCH, offsets: batch.offsets, lengths: batch.lengths }, (n) => {
      if (n < 0) {
        onError(-n);
        return;
      }
      batch.count = n;
      batch.ports.fill(id, 0, n);
      forwarder.forward(batch, clock());
    });
    this.poller.start();
  }

  transmit(batch: FrameBatch, frames: Uint32Array, count: number, errors: Int32Array): number {
    const d = this.desc;
    for (let k = 0, j = 0; k < count; k++, j += DESC_STRIDE) {
      const i = frames[k]!;
      d[j] = batch.offsets[i]!;
      d[j + 1] = batch.lengths[i]!;
      d[j + 2] = 0;
      d[j + 3] = 0;
      d[j + 4] = 0;
    }
    const sent = this.native.send(this.fd, this.io, batch.slab, d, count, null, this.result);
    errors[0] = this.result[0]!;
    return sent;
  }

  /** Frames the kernel handed us that did not fit a slot. */
  truncated(): number {
    return this.poller.stats().truncated;
  }

  close(): void {
    this.poller.close();
  }
}
