// The transmit side of a VXLAN port (a member or a POP trunk): every frame goes to one remote
// with one VNI through the shared UDP socket. The 8-byte VXLAN header is the same for every
// frame of the port, so it is written once and each message is [header, frame] gathered by
// the kernel: no copy and no allocation per frame.

import { writeVxlanHeader } from '../encap/vxlan.js';
import type { EgressPort } from './forwarder.js';
import type { FrameBatch } from './frame-batch.js';

export const DESC_STRIDE = 5;

/** Sends descriptor batches ([frameOffset, frameLength, headerOffset, headerLength, addrIndex]). */
export interface DatagramSender {
  send(slab: Uint8Array, desc: Uint32Array, count: number, header: Uint8Array, addrs: Uint8Array, errors: Int32Array): number;
}

export class VxlanEgress implements EgressPort {
  private readonly header = new Uint8Array(8);
  private readonly desc: Uint32Array;

  /** `addr` is this port's remote as one 32-byte native address-table entry. */
  constructor(
    vni: number,
    private readonly addr: Uint8Array,
    private readonly sender: DatagramSender,
    batchCapacity: number,
  ) {
    writeVxlanHeader(this.header, 0, vni);
    this.desc = new Uint32Array(batchCapacity * DESC_STRIDE);
  }

  transmit(batch: FrameBatch, frames: Uint32Array, count: number, errors: Int32Array): number {
    const d = this.desc;
    for (let k = 0, j = 0; k < count; k++, j += DESC_STRIDE) {
      const i = frames[k]!;
      d[j] = batch.offsets[i]!;
      d[j + 1] = batch.lengths[i]!;
      d[j + 2] = 0;
      d[j + 3] = 8;
      d[j + 4] = 0;
    }
    return this.sender.send(batch.slab, d, count, this.header, this.addr, errors);
  }
}
