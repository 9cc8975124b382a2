// One UDP socket shared by every VXLAN port of a family (members and POP trunks): receive
// decapsulates and demultiplexes by (source address, VNI) into the socket's frame batch;
// each port's VxlanEgress sends through it.

import type { Counters } from './counters.js';
import type { Forwarder } from './forwarder.js';
import { FrameBatch } from './frame-batch.js';
import type { NativeAddon, Poller } from './native.js';
import { TunnelDemux } from './tunnel-demux.js';
import type { TunnelDropSink } from './tunnel-drop-log.js';
import { ADDR_ENTRY, decapVxlanBatch } from './vxlan-ingress.js';
import type { DatagramSender } from './vxlan-egress.js';
import { BATCH, HEADROOM } from './fd-port.js';

/** Datagrams up to 9000 bytes (jumbo underlays); larger ones are counted as malformed. */
const SLOT = 9216;

export class VxlanSocket implements DatagramSender {
  readonly demux = new TunnelDemux();
  private readonly batch = new FrameBatch(BATCH, SLOT, HEADROOM);
  private readonly rxOffsets = new Uint32Array(BATCH);
  private readonly rxLengths = new Uint32Array(BATCH);
  private readonly addrs = new Uint8Array(BATCH * ADDR_ENTRY);
  private readonly result = new Int32Array(2);
  private readonly poller: Poller;
  /** Told of unknown_tunnel and malformed drops (TunnelDropLog). */
  onDrop: TunnelDropSink | null = null;

  constructor(
    readonly fd: number,
    readonly slot: number,
    private readonly native: NativeAddon,
    counters: Counters,
    forwarder: Forwarder,
    clock: () => number,
    onError: (errno: number) => void,
  ) {
    this.poller = new native.Poller(fd, 'dgram', this.batch.slab, { slotSize: SLOT, headroom: HEADROOM, maxBatch: BATCH, offsets: this.rxOffsets, lengths: this.rxLengths, addrs: this.addrs }, (n) => {
      if (n < 0) {
        onError(-n);
        return;
      }
      decapVxlanBatch(this.batch, this.rxOffsets, this.rxLengths, this.addrs, n, this.demux, counters, slot, this.onDrop);
      if (this.batch.count > 0) forwarder.forward(this.batch, clock());
    });
    this.poller.start();
  }

  send(slab: Uint8Array, desc: Uint32Array, count: number, addrs: Uint8Array, errors: Int32Array): number {
    const sent = this.native.send(this.fd, 'dgram', slab, desc, count, addrs, this.result);
    errors[0] = this.result[0]!;
    return sent;
  }

  /** Datagrams the kernel handed us that did not fit a slot. */
  truncated(): number {
    return this.poller.stats().truncated;
  }

  close(): void {
    this.poller.close();
  }
}
