// The dataplane as the worker thread runs it: the switch core, the forwarder, and the ports'
// receive and transmit sides. It is driven by plain specs from the control thread (see
// port-spec.ts) and never opens or closes a file descriptor itself: the control thread opens
// them, and closes them only after the dataplane has let go of them.

import { parseIpv4Address, parseIpv6Address } from '../encap/ip.js';
import { parseMac } from '../encap/mac.js';
import { encodeFdbSnapshot, restoreFdbSnapshot, type RestoreResult } from '../fdb/fdb-snapshot.js';
import { C_DROPS, type Counters } from './counters.js';
import { R_MALFORMED, reasonName } from './drop-reasons.js';
import { summariseFrame } from './frame-summary.js';
import { BATCH, FdPort } from './fd-port.js';
import { Forwarder } from './forwarder.js';
import { encodeAddr, type NativeAddon } from './native.js';
import type { FabricSpec, FdbDump, PortIo, PortSpec, SocketSpec } from './port-spec.js';
import { SwitchCore } from './switch-core.js';
import { VxlanEgress } from './vxlan-egress.js';
import { ADDR_ENTRY } from './vxlan-ingress.js';
import { VxlanSocket } from './vxlan-socket.js';
import { DgramVxlanSocket } from './vxlan-dgram-socket.js';
import { EoipSocket } from './eoip-socket.js';
import { EoipEgress } from './eoip-egress.js';
import { warmUp } from './warm-up.js';
import { TunnelDropLog } from './tunnel-drop-log.js';

type TunnelSocket = VxlanSocket | DgramVxlanSocket | EoipSocket;

export type DataplaneEvent =
  | { event: 'port-error'; id: number; name: string; errno: number }
  | { event: 'socket-error'; key: string; errno: number }
  /** An EoIP port's peer went silent (up: false) or spoke again (up: true). */
  | { event: 'port-liveness'; id: number; name: string; up: boolean }
  /** The first drop of a (port, reason) in a minute, for the log. */
  | { event: 'drop'; id: number; name: string; reason: string; frame: Record<string, string | number> }
  /** The first unknown_tunnel or malformed drop of a tunnel socket in a minute (key: the VNI or
   *  EoIP tunnel id, as keyName says; -1 when the packet had none), for the log. */
  | { event: 'tunnel-drop'; socket: string; slot: number; reason: string; remote: string; keyName: 'vni' | 'tunnel_id'; key: number };

export interface DataplaneOptions {
  maxPorts: number;
  counters: Counters;
  native: NativeAddon;
  fabric: FabricSpec;
  events: (e: DataplaneEvent) => void;
  clock?: () => number;
}

interface Attached {
  io: PortIo;
  fdPort?: FdPort;
  vxlan?: { socket: VxlanSocket | DgramVxlanSocket; remote: string; vni: number };
  eoip?: { socket: EoipSocket; egress: EoipEgress; remote: string; tunnelId: number; keepaliveS: number; timeoutS: number; lastKeepalive: number };
}

export class Dataplane {
  readonly core: SwitchCore;
  readonly forwarder: Forwarder;
  readonly clock: () => number;
  private fabric: FabricSpec;
  private readonly specs = new Map<number, PortSpec>();
  private readonly attached = new Map<number, Attached>();
  private readonly sockets = new Map<string, TunnelSocket>();
  private readonly tunnelDrops: TunnelDropLog;
  private readonly truncatedSeen = new Map<FdPort | TunnelSocket, number>();

  constructor(private readonly opts: DataplaneOptions) {
    this.clock = opts.clock ?? (() => performance.now() / 1000);
    this.fabric = opts.fabric;
    this.core = new SwitchCore({
      maxPorts: opts.maxPorts,
      batchCapacity: BATCH,
      counters: opts.counters,
      arpNdProxy: opts.fabric.arpNdProxy,
      fdb: { agingS: opts.fabric.agingS, maxEntries: opts.fabric.maxEntries },
    });
    this.forwarder = new Forwarder(this.core, BATCH);
    this.installBindings(opts.fabric);
    this.tunnelDrops = new TunnelDropLog(this.core.dropSampleS, this.clock, (d) => {
      const [name, sock] = [...this.sockets].find(([, s]) => s.slot === d.slot) ?? [String(d.slot), null];
      const keyName = sock instanceof EoipSocket ? 'tunnel_id' : 'vni';
      opts.events({ event: 'tunnel-drop', socket: name, slot: d.slot, reason: reasonName(d.reason) ?? String(d.reason), remote: d.remote, keyName, key: d.key });
    });
    // ports without a spec are warm-up's temporary ones: nothing to report
    this.core.onDropSample = (id, reason, slab, off, len) => {
      const name = this.specs.get(id)?.name;
      if (name !== undefined) opts.events({ event: 'drop', id, name, reason: reasonName(reason) ?? String(reason), frame: summariseFrame(slab, off, len) });
    };
  }

  /**
   * Compiles the forwarder's and switch core's code before real traffic needs it (warm-up.ts),
   * on temporary ports after the last one in use. Real frames wait in their queues meanwhile
   * (about 0.2 s).
   * The neighbour table loses what it learned so far (not its bindings): it is a cache.
   */
  warmUp(): { frames: number; ms: number } {
    const r = warmUp(this.forwarder, this.core.portSlots);
    this.installBindings(this.fabric);
    return r;
  }

  /** Applies fabric-wide settings; the table keeps its entries. */
  configure(fabric: FabricSpec): void {
    this.core.fdb.setLimits(fabric.agingS, fabric.maxEntries);
    this.core.arpNdProxy = fabric.arpNdProxy;
    if (JSON.stringify([fabric.bindings4, fabric.bindings6]) !== JSON.stringify([this.fabric.bindings4, this.fabric.bindings6])) this.installBindings(fabric);
    this.fabric = fabric;
  }

  private installBindings(f: FabricSpec): void {
    const n = this.core.neighbors;
    n.clear();
    for (const [ip, mac] of f.bindings4) n.setFixed4(parseIpv4Address(ip)!, parseMac(mac)!);
    for (const [ip, mac] of f.bindings6) n.setFixed6(parseIpv6Address(ip)!, parseMac(mac)!);
  }

  setSocket(s: SocketSpec): void {
    if (this.sockets.has(s.key)) return;
    const onError = (errno: number) => this.opts.events({ event: 'socket-error', key: s.key, errno });
    const { counters } = this.opts;
    let sock: TunnelSocket;
    if (s.type === 'eoip') {
      const eo = new EoipSocket(s.family, s.fd, s.slot, this.opts.maxPorts, this.opts.native, counters, this.forwarder, this.clock, onError);
      eo.onRevive = (id) => this.setAlive(id, true);
      sock = eo;
    } else if (s.transport === 'native') sock = new VxlanSocket(s.fd, s.slot, this.opts.native, counters, this.forwarder, this.clock, onError);
    else sock = new DgramVxlanSocket(s.family, s.address, s.port, s.slot, counters, this.forwarder, this.clock, onError);
    sock.onDrop = this.tunnelDrops.sink;
    this.sockets.set(s.key, sock);
  }

  /** Stops using a socket; its ports must have been removed or detached first. */
  removeSocket(key: string): void {
    const s = this.sockets.get(key);
    if (!s) return;
    s.close();
    this.tunnelDrops.forget(s.slot);
    this.sockets.delete(key);
    this.truncatedSeen.delete(s);
  }

  /** Adds or updates a port. Its I/O is re-attached only when the I/O itself changed. */
  setPort(spec: PortSpec): void {
    const now = this.clock();
    this.core.setPort(spec.id, { policy: spec.policy, group: spec.group, staticMacs: spec.staticMacs }, now);
    const cur = this.attached.get(spec.id);
    if (JSON.stringify(cur?.io ?? null) !== JSON.stringify(spec.io)) {
      this.detach(spec.id);
      if (spec.io) this.attach(spec.id, spec.io);
    }
    this.specs.set(spec.id, spec);
    const a = this.attached.get(spec.id);
    this.core.setPortUp(spec.id, a !== undefined && (!a.eoip || a.eoip.socket.alive[spec.id] === 1));
  }

  /** Removes a port and its FDB entries; returns how many entries were flushed. */
  removePort(id: number): number {
    this.detach(id);
    this.specs.delete(id);
    return this.core.removePort(id);
  }

  private attach(id: number, io: PortIo): void {
    const name = this.specs.get(id)?.name ?? String(id);
    if (io.kind === 'fd') {
      const fdPort = new FdPort(id, io.fd, io.io, io.mtu, this.opts.native, this.forwarder, this.clock, (errno) => {
        // The device went away: stop using it and let the control thread re-attach it.
        this.detach(id);
        this.core.setPortUp(id, false);
        this.opts.events({ event: 'port-error', id, name, errno });
      });
      this.forwarder.attach(id, fdPort);
      this.attached.set(id, { io, fdPort });
    } else if (io.kind === 'eoip') {
      const socket = this.sockets.get(io.socket);
      if (!(socket instanceof EoipSocket)) throw new Error(`port ${name}: no EoIP socket ${io.socket}`);
      socket.demux.add(io.remote, io.tunnelId, id);
      const addr = new Uint8Array(ADDR_ENTRY);
      encodeAddr(addr, 0, io.remote, 0);
      const egress = new EoipEgress(socket.family, io.tunnelId, addr, socket, BATCH);
      this.forwarder.attach(id, egress);
      // Down until the peer is heard from (a keepalive or a frame), as RouterOS shows it.
      socket.alive[id] = 0;
      socket.lastRx[id] = -Infinity;
      this.attached.set(id, { io, eoip: { socket, egress, remote: io.remote, tunnelId: io.tunnelId, keepaliveS: io.keepaliveS, timeoutS: io.timeoutS, lastKeepalive: -Infinity } });
      if (io.keepaliveS > 0) egress.sendKeepalive();
    } else {
      const socket = this.sockets.get(io.socket);
      if (!(socket instanceof VxlanSocket || socket instanceof DgramVxlanSocket)) throw new Error(`port ${name}: no VXLAN socket ${io.socket}`);
      socket.demux.add(io.remote, io.vni, id);
      const addr = new Uint8Array(ADDR_ENTRY);
      encodeAddr(addr, 0, io.remote, io.remotePort);
      this.forwarder.attach(id, new VxlanEgress(io.vni, addr, socket, BATCH));
      this.attached.set(id, { io, vxlan: { socket, remote: io.remote, vni: io.vni } });
    }
  }

  private detach(id: number): void {
    const a = this.attached.get(id);
    if (!a) return;
    this.forwarder.detach(id);
    if (a.fdPort) {
      a.fdPort.close();
      this.truncatedSeen.delete(a.fdPort);
    }
    if (a.vxlan) a.vxlan.socket.demux.remove(a.vxlan.remote, a.vxlan.vni);
    if (a.eoip) {
      a.eoip.socket.demux.remove(a.eoip.remote, a.eoip.tunnelId);
      a.eoip.socket.alive[id] = 0;
    }
    this.attached.delete(id);
  }

  /** An EoIP port's liveness changed: floods and forwarding follow, the control thread is told. */
  private setAlive(id: number, up: boolean): void {
    const a = this.attached.get(id);
    if (!a?.eoip) return;
    a.eoip.socket.alive[id] = up ? 1 : 0;
    this.core.setPortUp(id, up);
    this.opts.events({ event: 'port-liveness', id, name: this.specs.get(id)?.name ?? String(id), up });
  }

  /**
   * Once a second: age the table, count frames that did not fit a slot as malformed, send
   * EoIP keepalives that are due and take down EoIP ports whose peer went silent.
   */
  tick(): void {
    const now = this.clock();
    this.core.fdb.age(now);
    for (const [id, a] of this.attached) {
      const e = a.eoip;
      if (!e) continue;
      if (e.keepaliveS > 0 && now - e.lastKeepalive >= e.keepaliveS) {
        e.lastKeepalive = now;
        e.egress.sendKeepalive();
      }
      if (e.socket.alive[id] === 1 && now - e.socket.lastRx[id]! >= e.timeoutS) this.setAlive(id, false);
    }
    for (const [id, a] of this.attached) if (a.fdPort) this.collectTruncated(a.fdPort, id);
    for (const s of this.sockets.values()) this.collectTruncated(s, s.slot);
  }

  private collectTruncated(source: FdPort | TunnelSocket, slot: number): void {
    const t = source.truncated();
    const seen = this.truncatedSeen.get(source) ?? 0;
    if (t === seen) return;
    const c = this.opts.counters;
    c.values[c.base(slot) + C_DROPS + R_MALFORMED - 1]! += t - seen;
    this.truncatedSeen.set(source, t);
  }

  fdbDump(filter: { port?: number; mac?: number } = {}): FdbDump {
    const now = this.clock();
    const n = this.core.fdb.size;
    const macs = new Float64Array(n);
    const ports = new Int32Array(n);
    const kinds = new Uint8Array(n);
    const ages = new Float32Array(n);
    let k = 0;
    this.core.fdb.forEach((e) => {
      if (filter.port !== undefined && e.port !== filter.port) return;
      if (filter.mac !== undefined && e.mac !== filter.mac) return;
      macs[k] = e.mac;
      ports[k] = e.port;
      kinds[k] = e.kind;
      ages[k] = Math.max(0, now - e.lastSeen);
      k++;
    });
    return { macs: macs.slice(0, k), ports: ports.slice(0, k), kinds: kinds.slice(0, k), ages: ages.slice(0, k) };
  }

  fdbFlush(port?: number): number {
    return port === undefined ? this.core.fdb.flushAll() : this.core.fdb.flushPort(port);
  }

  snapshot(): Uint8Array {
    return encodeFdbSnapshot(this.core.fdb, (id) => this.specs.get(id)?.name, this.clock());
  }

  restore(bytes: Uint8Array): RestoreResult {
    const byName = new Map([...this.specs.values()].map((s) => [s.name, s.id]));
    return restoreFdbSnapshot(bytes, this.core.fdb, (name) => byName.get(name), this.clock());
  }

  close(): void {
    for (const id of [...this.attached.keys()]) this.detach(id);
    for (const key of [...this.sockets.keys()]) this.removeSocket(key);
  }
}
