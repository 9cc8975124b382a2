// The transmit side of an EoIP port: the EoIP header (8 bytes with the frame length over
// IPv4, 2 bytes over IPv6) is written into the headroom before each frame, and the message
// goes through the shared raw socket to the member's address; the kernel adds the IP header
// (TTL / hop limit 255, DF clear, as RouterOS sends). No padding is added. Keepalives are the
// bare header. A super-packet (see vxlan-egress.ts) is cut into its wire segments first.

import { EOIP_V4_HEADER_LEN, EOIP_V6_HEADER_LEN, writeEoipV4Header, writeEoipV6Header } from '../encap/eoip.js';
import type { EgressPort } from './forwarder.js';
import { anySuper, SPLIT_BATCH, type FrameBatch, type GsoSplitter } from './frame-batch.js';
import { gsoSplitter } from './native.js';
import { DESC_STRIDE, type DatagramSender } from './vxlan-egress.js';

export class EoipEgress implements EgressPort {
  private readonly desc: Uint32Array;
  private readonly keepalive = new Uint8Array(EOIP_V4_HEADER_LEN);
  private readonly keepaliveDesc: Uint32Array;
  private readonly errors = new Int32Array(2);
  private readonly hdrLen: number;

  constructor(
    private readonly family: 4 | 6,
    private readonly tunnelId: number,
    private readonly addr: Uint8Array,
    private readonly sender: DatagramSender,
    batchCapacity: number,
    private readonly splitter?: GsoSplitter,
  ) {
    this.desc = new Uint32Array(Math.max(batchCapacity, SPLIT_BATCH) * DESC_STRIDE);
    this.hdrLen = family === 4 ? EOIP_V4_HEADER_LEN : EOIP_V6_HEADER_LEN;
    if (family === 4) writeEoipV4Header(this.keepalive, 0, tunnelId, 0);
    else writeEoipV6Header(this.keepalive, 0, tunnelId);
    this.keepaliveDesc = Uint32Array.of(0, this.hdrLen, 0, 0, 0);
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
      const len = batch.lengths[i]!;
      const off = batch.offsets[i]! - this.hdrLen;
      if (this.family === 4) writeEoipV4Header(slab, off, this.tunnelId, len);
      else writeEoipV6Header(slab, off, this.tunnelId);
      d[j] = off;
      d[j + 1] = len + this.hdrLen;
      d[j + 2] = 0;
      d[j + 3] = 0;
      d[j + 4] = 0;
    }
    return this.sender.send(slab, d, count, this.addr, errors);
  };

  /** Sends one keepalive; false when the kernel did not take it. */
  sendKeepalive(): boolean {
    return this.sender.send(this.keepalive, this.keepaliveDesc, 1, this.addr, this.errors) === 1;
  }
}
