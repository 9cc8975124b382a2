// A port with a file descriptor of its own: a TAP device (one read/writev per frame) or an
// AF_PACKET socket (recvmmsg/sendmmsg). Receive fills the port's frame batch in place and hands
// it to the forwarder; transmit sends the frames straight out of whatever slab they sit in.
//
// A descriptor with a virtio header (every packetOpen socket; a TAP opened with vnetHdr) carries
// offloaded super-packets whole: its Poller runs with `offload` (64 KiB slots, ~4 MiB of slab per
// port, only touched as far as frames fill it) and writes their metadata into the batch, and its
// transmit hands super-packets to the kernel whole with their virtio header, so the kernel
// segments them (or the member's kernel gets them as one). A descriptor without one gets the
// segments of a super-packet (GsoSplitter).

import type { EgressPort, Forwarder } from './forwarder.js';
import { anySuper, FrameBatch, META_STRIDE } from './frame-batch.js';
import { DESC_STRIDE } from './vxlan-egress.js';
import { gsoSplitter, OFFLOAD_FRAME_MIN, type IoKind, type NativeAddon, type SendKind, type Poller } from './native.js';

export const BATCH = 64;
export const HEADROOM = 64;

/** Slot size for frames up to `mtu` bytes of payload (two VLAN tags, rounded to 64). */
export function slotSizeFor(mtu: number): number {
  return Math.ceil((HEADROOM + mtu + 14 + 8) / 64) * 64;
}

/** Slot size of a port that carries super-packets whole. */
export const OFFLOAD_SLOT = Math.ceil((HEADROOM + OFFLOAD_FRAME_MIN) / 64) * 64;

export class FdPort implements EgressPort {
  readonly batch: FrameBatch;
  /** The descriptor has a virtio header: super-packets come in and go out whole. */
  readonly offload: boolean;
  /** send() kind: 'packet' spares the per-batch check of what the socket is. */
  private readonly sendKind: SendKind;
  private readonly poller: Poller;
  private readonly desc = new Uint32Array(BATCH * DESC_STRIDE);
  private readonly txMeta = new Uint16Array(BATCH * META_STRIDE);
  private readonly result = new Int32Array(2);

  constructor(
    readonly id: number,
    readonly fd: number,
    readonly io: IoKind,
    mtu: number,
    private readonly native: NativeAddon,
    forwarder: Pick<Forwarder, 'forward'>,
    clock: () => number,
    onError: (errno: number) => void,
  ) {
    this.offload = native.vnetHdrLen(fd) > 0;
    this.sendKind = io === 'dgram' && this.offload ? 'packet' : io;
    this.batch = new FrameBatch(BATCH, this.offload ? OFFLOAD_SLOT : slotSizeFor(mtu), HEADROOM);
    const batch = this.batch;
    const opts = { slotSize: batch.slotSize, headroom: HEADROOM, maxBatch: BATCH, offsets: batch.offsets, lengths: batch.lengths, offload: this.offload, meta: batch.meta };
    this.poller = new native.Poller(fd, io, batch.slab, opts, (n) => {
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
    if (!this.offload && anySuper(batch, frames, count)) return gsoSplitter().transmit(batch, frames, count, errors, this.send);
    return this.send(batch, frames, count, errors);
  }

  /** Sends frames as they are; super-packets only when the descriptor has a virtio header. */
  private readonly send = (batch: FrameBatch, frames: Uint32Array, count: number, errors: Int32Array): number => {
    const d = this.desc;
    const m = batch.meta;
    const tm = this.txMeta;
    for (let k = 0, j = 0; k < count; k++, j += DESC_STRIDE) {
      const i = frames[k]!;
      d[j] = batch.offsets[i]!;
      d[j + 1] = batch.lengths[i]!;
      d[j + 2] = 0;
      d[j + 3] = 0;
      d[j + 4] = 0;
      const s = i * META_STRIDE;
      const t = k * META_STRIDE;
      const type = m[s]!;
      tm[t] = type;
      if (type !== 0) {
        tm[t + 1] = m[s + 1]!;
        tm[t + 2] = m[s + 2]!;
        tm[t + 3] = m[s + 3]!;
      }
    }
    const sent = this.native.send(this.fd, this.sendKind, batch.slab, d, count, null, this.result, this.offload ? tm : null);
    errors[0] = this.result[0]!;
    return sent;
  };

  /** Frames the kernel handed us that did not fit a slot. */
  truncated(): number {
    return this.poller.stats().truncated;
  }

  close(): void {
    this.poller.close();
  }
}
