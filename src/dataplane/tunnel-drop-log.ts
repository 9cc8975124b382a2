// Which tunnel packets a shared socket (VXLAN, EoIP) drops before they reach a port: the first
// `unknown_tunnel` or `malformed` of each socket per interval, with the remote address and the
// tunnel key, goes to the daemon's log ("why does my new member not come up?": a VNI or tunnel
// id that does not match). Every drop is counted on the socket's row regardless; this only picks
// what is worth a log line, and costs one Map lookup per dropped packet.

import { decodeAddr } from './native.js';
import { REASON_COUNT } from './drop-reasons.js';

/** A socket reports a drop: its counter slot, the reason, the address table entry, the key
 *  (VNI or tunnel id, -1 when the packet was too broken to have one). */
export type TunnelDropSink = (slot: number, reason: number, addrs: Uint8Array, addrIndex: number, key: number) => void;

export interface TunnelDrop {
  slot: number;
  reason: number;
  remote: string;
  key: number;
}

export class TunnelDropLog {
  private readonly next = new Map<number, number>();

  constructor(
    private readonly intervalS: number,
    private readonly clock: () => number,
    private readonly emit: (drop: TunnelDrop) => void,
  ) {}

  readonly sink: TunnelDropSink = (slot, reason, addrs, addrIndex, key) => {
    const k = slot * (REASON_COUNT + 1) + reason;
    const now = this.clock();
    if (now < (this.next.get(k) ?? -Infinity)) return;
    this.next.set(k, now + this.intervalS);
    this.emit({ slot, reason, remote: decodeAddr(addrs, addrIndex).address, key });
  };

  /** A socket went away: its slot may be reused. */
  forget(slot: number): void {
    for (let r = 1; r <= REASON_COUNT; r++) this.next.delete(slot * (REASON_COUNT + 1) + r);
  }
}
