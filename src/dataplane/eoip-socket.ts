// One raw IP socket shared by every EoIP port of a family: protocol 47 over IPv4 (the kernel
// hands us the IPv4 header too), protocol 97 (EtherIP) over IPv6 (payload only). Receive
// checks the MikroTik framing, demultiplexes by (source address, tunnel id) into the socket's
// frame batch and records that the port's peer is alive (frames and keepalives alike).
// Everything that is not a valid EoIP packet for a known tunnel is counted on the socket's
// slot as `malformed` or `unknown_tunnel`. Adding or removing a tunnel only touches the demux
// table: the socket, and every other member on it, carry on undisturbed.

import { decodeEoipV4, decodeEoipV6, EOIP_FRAME, EOIP_KEEPALIVE, newEoipPacket } from '../encap/eoip.js';
import { IPPROTO_GRE, newIpv4Header, parseIpv4 } from '../encap/ip.js';
import { C_DROPS, C_RX_BYTES, C_RX_PACKETS, type Counters } from './counters.js';
import { R_MALFORMED, R_UNKNOWN_TUNNEL } from './drop-reasons.js';
import type { TunnelDropSink } from './tunnel-drop-log.js';
import type { Forwarder } from './forwarder.js';
import { FrameBatch } from './frame-batch.js';
import type { NativeAddon, Poller } from './native.js';
import { TunnelDemux } from './tunnel-demux.js';
import type { DatagramSender } from './vxlan-egress.js';
import { ADDR_ENTRY } from './vxlan-ingress.js';
import { BATCH, HEADROOM } from './fd-port.js';

const SLOT = 9216;

export class EoipSocket implements DatagramSender {
  readonly demux = new TunnelDemux();
  /** Table-clock time of the last packet (frame or keepalive) per port id. */
  readonly lastRx: Float64Array;
  /** 1 while a port's peer counts as alive; a packet for a port at 0 revives it at once. */
  readonly alive: Uint8Array;
  /** Called (synchronously, before its frames are forwarded) when a dead port's peer speaks. */
  onRevive: (port: number) => void = () => undefined;
  /** Told of unknown_tunnel and malformed drops (TunnelDropLog). */
  onDrop: TunnelDropSink | null = null;
  private readonly batch = new FrameBatch(BATCH, SLOT, HEADROOM);
  private readonly rxOffsets = new Uint32Array(BATCH);
  private readonly rxLengths = new Uint32Array(BATCH);
  private readonly addrs = new Uint8Array(BATCH * ADDR_ENTRY);
  private readonly result = new Int32Array(2);
  private readonly ip = newIpv4Header();
  private readonly eo = newEoipPacket();
  private readonly poller: Poller;

  constructor(
    readonly family: 4 | 6,
    readonly fd: number,
    readonly slot: number,
    maxPorts: number,
    private readonly native: NativeAddon,
    private readonly counters: Counters,
    forwarder: Forwarder,
    private readonly clock: () => number,
    onError: (errno: number) => void,
  ) {
    this.lastRx = new Float64Array(maxPorts).fill(-Infinity);
    this.alive = new Uint8Array(maxPorts);
    this.poller = new native.Poller(fd, 'dgram', this.batch.slab, { slotSize: SLOT, headroom: HEADROOM, maxBatch: BATCH, offsets: this.rxOffsets, lengths: this.rxLengths, addrs: this.addrs }, (n) => {
      if (n < 0) {
        onError(-n);
        return;
      }
      if (this.decap(n) > 0) forwarder.forward(this.batch, this.clock());
    });
    this.poller.start();
  }

  /** Turns the received packets into the frame batch; returns the number of frames. */
  private decap(count: number): number {
    const { slab } = this.batch;
    const v = this.counters.values;
    const lb = this.counters.base(this.slot);
    const now = this.clock();
    let n = 0;
    for (let i = 0; i < count; i++) {
      let off = this.rxOffsets[i]!;
      let len = this.rxLengths[i]!;
      v[lb + C_RX_PACKETS]!++;
      v[lb + C_RX_BYTES]! += len;
      let rc: number;
      if (this.family === 4) {
        // the payload ends where the IPv4 header says (a raw socket also sees the header)
        if (!parseIpv4(slab, off, off + len, this.ip) || this.ip.protocol !== IPPROTO_GRE || this.ip.laterFragment) {
          v[lb + C_DROPS + R_MALFORMED - 1]!++;
          if (this.onDrop !== null) this.onDrop(this.slot, R_MALFORMED, this.addrs, i, -1);
          continue;
        }
        const end = Math.min(off + len, off + this.ip.totalLength);
        off = this.ip.payloadOffset;
        len = end - off;
        rc = decodeEoipV4(slab, off, len, this.eo);
      } else rc = decodeEoipV6(slab, off, len, this.eo);
      if (rc !== EOIP_FRAME && rc !== EOIP_KEEPALIVE) {
        v[lb + C_DROPS + R_MALFORMED - 1]!++;
        if (this.onDrop !== null) this.onDrop(this.slot, R_MALFORMED, this.addrs, i, -1);
        continue;
      }
      const port = this.demux.lookup(this.addrs, i * ADDR_ENTRY, this.eo.tunnelId);
      if (port < 0) {
        v[lb + C_DROPS + R_UNKNOWN_TUNNEL - 1]!++;
        if (this.onDrop !== null) this.onDrop(this.slot, R_UNKNOWN_TUNNEL, this.addrs, i, this.eo.tunnelId);
        continue;
      }
      this.lastRx[port] = now;
      if (this.alive[port] === 0) this.onRevive(port);
      if (rc === EOIP_KEEPALIVE) continue;
      this.batch.offsets[n] = this.eo.frameOffset;
      this.batch.lengths[n] = this.eo.frameLength;
      this.batch.ports[n] = port;
      n++;
    }
    this.batch.count = n;
    return n;
  }

  send(slab: Uint8Array, desc: Uint32Array, count: number, addrs: Uint8Array, errors: Int32Array): number {
    const sent = this.native.send(this.fd, 'dgram', slab, desc, count, addrs, this.result);
    errors[0] = this.result[0]!;
    return sent;
  }

  truncated(): number {
    return this.poller.stats().truncated;
  }

  close(): void {
    this.poller.close();
  }
}
