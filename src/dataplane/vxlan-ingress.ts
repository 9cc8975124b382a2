// The receive side of the shared VXLAN socket: turns a batch of received UDP payloads into a
// frame batch for the switch core, in place. Each payload's VXLAN header is checked as Linux
// checks it, the (source address, VNI) pair picks the port, and the frame is then just an
// (offset, length) inside the same slab. Packets that fit no port are counted on the
// listener's own counter slot as `malformed` or `unknown_tunnel`.

import { decodeVxlan, VXLAN_HEADER_LEN } from '../encap/vxlan.js';
import { C_DROPS, C_RX_BYTES, C_RX_PACKETS, type Counters } from './counters.js';
import { R_MALFORMED, R_UNKNOWN_TUNNEL } from './drop-reasons.js';
import type { TunnelDropSink } from './tunnel-drop-log.js';
import type { FrameBatch } from './frame-batch.js';
import type { TunnelDemux } from './tunnel-demux.js';

export const ADDR_ENTRY = 32;

/**
 * Decapsulates `count` datagrams (rx offsets/lengths into batch.slab, source addresses in
 * `addrs`) into `batch` (which shares the slab). Returns the number of frames in the batch.
 */
export function decapVxlanBatch(
  batch: FrameBatch,
  rxOffsets: Uint32Array,
  rxLengths: Uint32Array,
  addrs: Uint8Array,
  count: number,
  demux: TunnelDemux,
  counters: Counters,
  listenerSlot: number,
  onDrop: TunnelDropSink | null = null,
): number {
  const slab = batch.slab;
  const v = counters.values;
  const lb = counters.base(listenerSlot);
  let n = 0;
  for (let i = 0; i < count; i++) {
    const off = rxOffsets[i]!;
    const len = rxLengths[i]!;
    v[lb + C_RX_PACKETS]!++;
    v[lb + C_RX_BYTES]! += len;
    const vni = decodeVxlan(slab, off, len);
    if (vni < 0) {
      v[lb + C_DROPS + R_MALFORMED - 1]!++;
      if (onDrop !== null) onDrop(listenerSlot, R_MALFORMED, addrs, i, -1);
      continue;
    }
    const port = demux.lookup(addrs, i * ADDR_ENTRY, vni);
    if (port < 0) {
      v[lb + C_DROPS + R_UNKNOWN_TUNNEL - 1]!++;
      if (onDrop !== null) onDrop(listenerSlot, R_UNKNOWN_TUNNEL, addrs, i, vni);
      continue;
    }
    batch.offsets[n] = off + VXLAN_HEADER_LEN;
    batch.lengths[n] = len - VXLAN_HEADER_LEN;
    batch.ports[n] = port;
    n++;
  }
  batch.count = n;
  return n;
}
