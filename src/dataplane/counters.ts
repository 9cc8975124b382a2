// Port and fabric counters in one Float64Array, normally over a SharedArrayBuffer: the
// dataplane worker increments them, the control thread reads them for `ixfabricctl` and
// Prometheus without asking the worker. Doubles count exactly up to 2^53; aligned 8-byte
// stores are not torn on the platforms Node supports.

import { FDB_STATS_LEN } from '../fdb/fdb-stats.js';
import { DROP_REASONS, REASON_COUNT } from './drop-reasons.js';

export const C_RX_PACKETS = 0;
export const C_RX_BYTES = 1;
export const C_TX_PACKETS = 2;
export const C_TX_BYTES = 3;
export const C_FLOOD_PACKETS = 4;
/** Drop reason code `r` (1-based) lives at C_DROPS + r - 1. */
export const C_DROPS = 5;
export const PORT_STRIDE = C_DROPS + REASON_COUNT;

/** Fabric-wide slots before the port slots: the FDB stats, then these. */
export const G_PROXY_REPLIES = FDB_STATS_LEN;
/** Frames that arrived for a port id that no longer exists (in flight while it was removed). */
export const G_NO_PORT = FDB_STATS_LEN + 1;
export const GLOBAL_LEN = FDB_STATS_LEN + 8;

export interface PortCounterSnapshot {
  rx_packets: number;
  tx_packets: number;
  rx_bytes: number;
  tx_bytes: number;
  flood_packets: number;
  drops: Record<string, number>;
}

export class Counters {
  readonly values: Float64Array;

  constructor(
    readonly maxPorts: number,
    buffer?: SharedArrayBuffer | ArrayBuffer,
  ) {
    const len = GLOBAL_LEN + maxPorts * PORT_STRIDE;
    this.values = new Float64Array(buffer ?? new SharedArrayBuffer(len * 8), 0, len);
  }

  static byteLength(maxPorts: number): number {
    return (GLOBAL_LEN + maxPorts * PORT_STRIDE) * 8;
  }

  /** The FDB stats slots, to hand to the forwarding table. */
  fdbStats(): Float64Array {
    return this.values.subarray(0, FDB_STATS_LEN);
  }

  base(port: number): number {
    return GLOBAL_LEN + port * PORT_STRIDE;
  }

  drop(port: number, reason: number): void {
    this.values[GLOBAL_LEN + port * PORT_STRIDE + C_DROPS + reason - 1]!++;
  }

  clearPort(port: number): void {
    this.values.fill(0, this.base(port), this.base(port) + PORT_STRIDE);
  }

  port(port: number): PortCounterSnapshot {
    const b = this.base(port);
    const v = this.values;
    const drops: Record<string, number> = {};
    DROP_REASONS.forEach((name, i) => {
      const n = v[b + C_DROPS + i]!;
      if (n > 0) drops[name] = n;
    });
    return { rx_packets: v[b + C_RX_PACKETS]!, tx_packets: v[b + C_TX_PACKETS]!, rx_bytes: v[b + C_RX_BYTES]!, tx_bytes: v[b + C_TX_BYTES]!, flood_packets: v[b + C_FLOOD_PACKETS]!, drops };
  }

  dropCount(port: number, reason: number): number {
    return this.values[this.base(port) + C_DROPS + reason - 1]!;
  }
}
