// The explicit fallback VXLAN transport (`pop.vxlan_transport: dgram`): Node's dgram module
// instead of the native batched path. One datagram per event and a copy per sent frame, about
// ten times slower; it exists for debugging and for kernels that refuse the native path, and
// is never chosen silently.

import dgram from 'node:dgram';
import type { Counters } from './counters.js';
import type { Forwarder } from './forwarder.js';
import { FrameBatch } from './frame-batch.js';
import { decodeAddr, encodeAddr } from './native.js';
import { TunnelDemux } from './tunnel-demux.js';
import type { TunnelDropSink } from './tunnel-drop-log.js';
import { ADDR_ENTRY, decapVxlanBatch } from './vxlan-ingress.js';
import type { DatagramSender } from './vxlan-egress.js';
import { HEADROOM } from './fd-port.js';

const SLOT = 9216;

export class DgramVxlanSocket implements DatagramSender {
  readonly demux = new TunnelDemux();
  private readonly socket: dgram.Socket;
  private readonly batch = new FrameBatch(1, SLOT, HEADROOM);
  private readonly rxOffsets = Uint32Array.of(HEADROOM);
  private readonly rxLengths = new Uint32Array(1);
  private readonly addrs = new Uint8Array(ADDR_ENTRY);
  private oversized = 0;
  /** Told of unknown_tunnel and malformed drops (TunnelDropLog). */
  onDrop: TunnelDropSink | null = null;

  constructor(
    family: 4 | 6,
    address: string,
    port: number,
    readonly slot: number,
    counters: Counters,
    forwarder: Forwarder,
    clock: () => number,
    onError: (errno: number) => void,
  ) {
    this.socket = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4', ipv6Only: family === 6, reuseAddr: true });
    this.socket.on('error', (err: NodeJS.ErrnoException) => onError(err.errno ? -err.errno : 1));
    this.socket.on('message', (msg, rinfo) => {
      if (msg.length > SLOT - HEADROOM) {
        this.oversized++;
        return;
      }
      this.batch.slab.set(msg, HEADROOM);
      this.rxLengths[0] = msg.length;
      encodeAddr(this.addrs, 0, rinfo.address, rinfo.port);
      decapVxlanBatch(this.batch, this.rxOffsets, this.rxLengths, this.addrs, 1, this.demux, counters, slot, this.onDrop);
      if (this.batch.count > 0) forwarder.forward(this.batch, clock());
    });
    this.socket.bind(port, address);
  }

  send(slab: Uint8Array, desc: Uint32Array, count: number, addrs: Uint8Array): number {
    const to = decodeAddr(addrs, 0);
    for (let k = 0; k < count; k++) {
      const off = desc[k * 5]!;
      // the slab is reused by the next batch before an asynchronous send completes: copy
      this.socket.send(Buffer.from(slab.subarray(off, off + desc[k * 5 + 1]!)), to.port, to.address);
    }
    return count;
  }

  /** Datagrams too big for a slot (counted as malformed, like the native path's truncations). */
  truncated(): number {
    return this.oversized;
  }

  close(): void {
    this.socket.close();
  }
}
