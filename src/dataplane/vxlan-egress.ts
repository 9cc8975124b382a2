// The transmit side of a VXLAN port (a member or a POP trunk): every frame goes to one remote
// with one VNI through the shared UDP socket. The 8-byte VXLAN header is written into the
// headroom just before the frame, and the message is sent from there: no copy, no allocation.
// A flooded frame is sent by each port in turn, synchronously, so each port's header is in
// place exactly while its own send runs. A super-packet (an offloaded TCP/UDP packet of up to
// 64 KiB received whole on a member port) cannot go into one UDP datagram: it is cut into its wire
// segments first (GsoSplitter, native segment()) and those are sent.

import { VXLAN_HEADER_LEN, writeVxlanHeader } from '../encap/vxlan.js';
import type { EgressPort } from './forwarder.js';
import { anySuper, SPLIT_BATCH, type FrameBatch, type GsoSplitter } from './frame-batch.js';
import { gsoSplitter } from './native.js';

export const DESC_STRIDE = 5;

/** Sends descriptor batches ([frameOffset, frameLength, headerOffset, headerLength, addrIndex]). */
export interface DatagramSender {
  send(slab: Uint8Array, desc: Uint32Array, count: number, addrs: Uint8Array, errors: Int32Array): number;
}

export class VxlanEgress implements EgressPort {
  private readonly desc: Uint32Array;

  /** `addr` is this port's remote as one 32-byte native address-table entry; `splitter` cuts
   *  super-packets (default: the thread's shared one). */
  constructor(
    private readonly vni: number,
    private readonly addr: Uint8Array,
    private readonly sender: DatagramSender,
    batchCapacity: number,
    private readonly splitter?: GsoSplitter,
  ) {
    this.desc = new Uint32Array(Math.max(batchCapacity, SPLIT_BATCH) * DESC_STRIDE);
  }

  transmit(batch: FrameBatch, frames: Uint32Array, count: number, errors: Int32Array): number {
    if (anySuper(batch, frames, count)) return (this.splitter ?? gsoSplitter()).transmit(batch, frames, count, errors, this.send);
    return this.send(batch, frames, count, errors);
  }

  private readonly send = (batch: FrameBatch, frames: Uint32Array, count: number, errors: Int32Array): number => {
    const d = this.desc;
    const slab = batch.slab;
    for (let k = 0, j = 0; k < count; k++, j += DESC_STRIDE) {
      const i = frames[k]!;
      const off = batch.offsets[i]! - VXLAN_HEADER_LEN;
      writeVxlanHeader(slab, off, this.vni);
      d[j] = off;
      d[j + 1] = batch.lengths[i]! + VXLAN_HEADER_LEN;
      d[j + 2] = 0;
      d[j + 3] = 0;
      d[j + 4] = 0;
    }
    return this.sender.send(slab, d, count, this.addr, errors);
  };
}
