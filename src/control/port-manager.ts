// Port lifecycle on the control thread. It opens what each port needs (a TAP device, an
// AF_PACKET socket, a shared VXLAN socket), hands the descriptors to the dataplane worker, and
// closes them only after the worker has let go. It applies a new config by difference: added
// ports are opened, removed ones closed (their FDB entries flushed), changed ones updated in
// place (re-opened only when their I/O changed), unchanged ones are not touched at all.
//
// Interfaces come and go (an operator deletes and re-creates a veth, a VM restarts, ZeroTier
// reconnects): once a second every port that is down is retried, and every AF_PACKET port is
// checked against its interface's current index, so a port goes down when its interface
// disappears and re-attaches by itself when it comes back.

import { EventEmitter } from 'node:events';
import type { DataplaneClient } from '../dataplane/dataplane-client.js';
import type { DataplaneEvent } from '../dataplane/dataplane.js';
import type { NativeAddon } from '../dataplane/native.js';
import type { PortIo, PortSpec } from '../dataplane/port-spec.js';
import type { Config, PortConfig, PortDiff } from './config-types.js';
import { diffPorts } from './config-load.js';
import { OpenvpnSupervisor } from './openvpn-supervisor.js';
import { fabricSpec, ioFingerprint, portGroup, portPolicy, staticMacs, vxlanSocketKey } from './port-plan.js';

export interface ManagedPort {
  name: string;
  id: number;
  config: PortConfig;
  state: 'up' | 'down';
  /** Why the port is down, for `ixfabricctl ports` and the logs. */
  reason: string | null;
  /** Descriptor owned by this port (TAP, AF_PACKET), else null. */
  fd: number | null;
  /** Interface index the AF_PACKET socket is bound to. */
  ifindex: number;
  /** What the port's I/O was opened from; a different key means re-opening it. */
  ioKey: string;
  /** The dataplane has the port's I/O (an EoIP port can be attached and still down). */
  attached: boolean;
  since: number;
}

interface SharedSocket {
  key: string;
  fd: number;
  slot: number;
}

export interface PortManagerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const MAX_PORTS = 4096;

export class PortManager extends EventEmitter<{ change: [ManagedPort] }> {
  readonly ports = new Map<string, ManagedPort>();
  private readonly sockets = new Map<string, SharedSocket>();
  /** One supervised openvpn per OpenVPN member port; the port attaches to its TAP. */
  private readonly openvpn = new Map<string, OpenvpnSupervisor>();
  private readonly freeIds: number[] = [];
  private nextId = 1;
  private config: Config | null = null;
  private timer: NodeJS.Timeout | null = null;
  private busy: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly dp: DataplaneClient,
    private readonly native: NativeAddon,
    private readonly log: PortManagerLog,
  ) {
    super();
    dp.on('event', (e) => void this.serial(() => this.onDataplaneEvent(e)));
  }

  static readonly maxPorts = MAX_PORTS;

  /** Runs `fn` after every earlier operation: config applies and re-attach rounds never interleave. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.busy.then(fn, fn);
    this.busy = run.catch(() => undefined);
    return run;
  }

  /**
   * Applies a config: the first call opens everything, later calls apply the difference.
   * `beforeAttach` runs once the new ports exist in the dataplane but before any of them
   * carries traffic (the daemon restores its FDB snapshot there).
   */
  apply(next: Config, beforeAttach?: () => Promise<void>): Promise<PortDiff> {
    return this.serial(() => this.applyNow(next, beforeAttach));
  }

  private async applyNow(next: Config, beforeAttach?: () => Promise<void>): Promise<PortDiff> {
    const empty = { ...next, ports: [] } as Config;
    const diff = diffPorts(this.config ?? empty, next);
    const byName = new Map(next.ports.map((p) => [p.name, p]));
    await this.dp.configure(fabricSpec(next));
    for (const name of diff.removed) await this.removePort(name);
    this.config = next;
    // A fabric-wide I/O setting (the VXLAN transport) can change a port the file did not touch.
    for (const name of [...diff.unchanged]) {
      if (this.ioKey(byName.get(name)!) === this.ports.get(name)?.ioKey) continue;
      diff.unchanged.splice(diff.unchanged.indexOf(name), 1);
      diff.changed.push(name);
    }
    for (const name of diff.changed) await this.updatePort(byName.get(name)!);
    const added: ManagedPort[] = [];
    for (const name of diff.added) added.push(await this.addPort(byName.get(name)!));
    await beforeAttach?.();
    for (const p of added) await this.attach(p);
    await this.closeUnusedSockets();
    return diff;
  }

  /** Ports by name with their counter slot; also the shared sockets (type `listener`). */
  slots(): { name: string; id: number }[] {
    return [...this.ports.values()].map((p) => ({ name: p.name, id: p.id }));
  }

  socketSlots(): { key: string; slot: number }[] {
    return [...this.sockets.values()].map((s) => ({ key: s.key, slot: s.slot }));
  }

  /** Starts the once-a-second re-attach and interface check. */
  startWatching(intervalMs = 1000): void {
    this.timer ??= setInterval(() => void this.serial(() => this.watch()), intervalMs);
    this.timer.unref();
  }

  /** Closes every port and socket (graceful stop). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.serial(async () => {
      for (const name of [...this.ports.keys()]) await this.removePort(name);
      await this.closeUnusedSockets();
    });
  }

  private allocId(): number {
    const id = this.freeIds.pop() ?? this.nextId++;
    if (id >= MAX_PORTS) throw new Error(`more than ${MAX_PORTS - 1} ports and sockets`);
    this.dp.counters.clearPort(id);
    return id;
  }

  private spec(p: ManagedPort, io: PortIo | null): PortSpec {
    const member = this.config?.members.find((m) => m.asn === p.config.memberAsn);
    return { id: p.id, name: p.name, policy: portPolicy(p.config), group: portGroup(p.config), staticMacs: staticMacs(p.config, member), io };
  }

  /** Registers a port with the dataplane, not yet attached to its device. */
  private async addPort(cfg: PortConfig): Promise<ManagedPort> {
    const p: ManagedPort = { name: cfg.name, id: this.allocId(), config: cfg, state: 'down', reason: 'starting', fd: null, ifindex: 0, ioKey: this.ioKey(cfg), attached: false, since: Date.now() };
    this.ports.set(cfg.name, p);
    await this.dp.setPort(this.spec(p, null));
    return p;
  }

  private async updatePort(cfg: PortConfig): Promise<void> {
    const p = this.ports.get(cfg.name)!;
    const ioChanged = p.ioKey !== this.ioKey(cfg);
    if (ioChanged) {
      await this.detach(p, 'reconfiguring');
      await this.stopSupervisor(p.name);
    }
    p.config = cfg;
    p.ioKey = this.ioKey(cfg);
    if (ioChanged) await this.attach(p);
    else await this.dp.setPort(this.spec(p, p.attached ? this.currentIo(p) : null));
    this.log.info({ port: p.name, io_changed: ioChanged }, 'port reconfigured');
  }

  private async removePort(name: string): Promise<void> {
    const p = this.ports.get(name);
    if (!p) return;
    const flushed = await this.dp.removePort(p.id);
    this.release(p);
    await this.stopSupervisor(name);
    this.ports.delete(name);
    this.freeIds.push(p.id);
    this.log.info({ port: name, fdb_flushed: flushed }, 'port removed');
  }

  /** The I/O the worker has for an attached port (rebuilt from what we own). */
  private currentIo(p: ManagedPort): PortIo | null {
    const c = p.config;
    if (c.type === 'vxlan') return { kind: 'vxlan', socket: this.socketKey(c)!, remote: c.remote, remotePort: c.port, vni: c.vni };
    if (c.type === 'eoip') return { kind: 'eoip', socket: this.socketKey(c)!, remote: c.remote, tunnelId: c.tunnelId, keepaliveS: c.keepaliveS, timeoutS: c.timeoutS };
    if (p.fd === null) return null;
    if (c.type === 'tap') return { kind: 'fd', fd: p.fd, io: 'stream', mtu: c.mtu };
    return { kind: 'fd', fd: p.fd, io: 'dgram', mtu: this.interfaceMtu(p) };
  }

  private interfaceMtu(p: ManagedPort): number {
    const c = p.config;
    const name = 'interface' in c ? c.interface : '';
    try {
      return Math.max(this.native.ifGetMtu(name), 'mtu' in c ? c.mtu : 1500);
    } catch {
      return 'mtu' in c ? c.mtu : 1500;
    }
  }

  /** Opens what the port needs and gives it to the dataplane; on failure the port stays down. */
  private async attach(p: ManagedPort): Promise<void> {
    const c = p.config;
    try {
      switch (c.type) {
        case 'tap': {
          // With a virtio header and offloads the member's kernel hands over (and takes back)
          // 64 KiB TCP super-packets instead of MTU-sized segments (FdPort carries them whole).
          const { fd } = this.native.tapOpen(c.interface, { mtu: c.mtu, vnetHdr: true, offload: true });
          p.fd = fd;
          break;
        }
        case 'ethernet':
        case 'l2':
        case 'zerotier': {
          const idx = this.native.ifIndex(c.interface);
          if (idx === 0) throw new Error(`interface ${c.interface} does not exist`);
          if (c.type !== 'zerotier') this.native.ifSetUp(c.interface);
          p.fd = this.native.packetOpen(c.interface);
          p.ifindex = idx;
          break;
        }
        case 'vxlan':
        case 'eoip':
          await this.useSocket(c);
          break;
        case 'openvpn': {
          const sup = this.supervisor(p);
          if (sup.state === 'stopped') await sup.start(); // its TAP exists and is up once this resolves
          const idx = this.native.ifIndex(c.interface);
          if (idx === 0) throw new Error(`TAP ${c.interface} of the openvpn instance does not exist`);
          p.fd = this.native.packetOpen(c.interface);
          p.ifindex = idx;
          break;
        }
      }
      await this.dp.setPort(this.spec(p, this.currentIo(p)));
      p.attached = true;
      // An EoIP port is up only once its peer is heard from (a liveness event says so).
      if (c.type === 'eoip') this.setState(p, 'down', 'waiting for the first keepalive');
      else this.setState(p, 'up', null);
    } catch (err) {
      this.release(p);
      await this.dp.setPort(this.spec(p, null)).catch(() => undefined);
      this.setState(p, 'down', (err as Error).message);
    }
  }

  private supervisor(p: ManagedPort): OpenvpnSupervisor {
    let sup = this.openvpn.get(p.name);
    if (sup) return sup;
    const c = p.config;
    if (c.type !== 'openvpn' || !this.config) throw new Error(`${p.name} is not an OpenVPN port`);
    const member = this.config.members.find((m) => m.asn === c.memberAsn);
    sup = new OpenvpnSupervisor({ name: p.name, params: c, pop: this.config.pop, underlay: this.config.underlay, stateDir: this.config.control.stateDir, log: this.log, memberAsn: c.memberAsn, memberName: member?.name ?? null });
    this.openvpn.set(p.name, sup);
    return sup;
  }

  /** Stops a port's openvpn instance, if it has one (after the port let go of its TAP). */
  private async stopSupervisor(name: string): Promise<void> {
    const sup = this.openvpn.get(name);
    if (!sup) return;
    this.openvpn.delete(name);
    await sup.stop();
  }

  /** The running openvpn supervisors, for `ixfabricctl openvpn status`. */
  openvpnSupervisors(): Iterable<OpenvpnSupervisor> {
    return this.openvpn.values();
  }

  /** Takes the port's I/O away from the dataplane, then closes what it owned. */
  private async detach(p: ManagedPort, reason: string): Promise<void> {
    await this.dp.setPort(this.spec(p, null));
    this.release(p);
    this.setState(p, 'down', reason);
  }

  private release(p: ManagedPort): void {
    if (p.fd !== null) {
      try {
        this.native.close(p.fd);
      } catch {
        // already gone with its device
      }
      p.fd = null;
    }
    p.ifindex = 0;
    p.attached = false;
  }

  private setState(p: ManagedPort, state: 'up' | 'down', reason: string | null): void {
    const changed = p.state !== state || p.reason !== reason;
    p.state = state;
    p.reason = reason;
    if (!changed) return;
    p.since = Date.now();
    if (state === 'up') this.log.info({ port: p.name, type: p.config.type }, 'port up');
    else this.log.warn({ port: p.name, type: p.config.type, reason }, 'port down');
    this.emit('change', p);
  }

  private ioKey(c: PortConfig): string {
    return `${ioFingerprint(c)} ${this.socketKey(c) ?? ''}`;
  }

  /**
   * The shared socket a tunnel port uses, or null for ports with their own device: VXLAN per
   * family, local address, port and transport; EoIP per family and local address.
   */
  private socketKey(c: PortConfig): string | null {
    if (c.type === 'vxlan') {
      const key = vxlanSocketKey(c);
      return this.config?.vxlanTransport === 'dgram' ? key.replace('vxlan', 'vxlan-dgram') : key;
    }
    if (c.type === 'eoip') return `eoip${c.family}:${c.family === 6 ? `[${c.local}]` : c.local}`;
    return null;
  }

  private async useSocket(c: PortConfig): Promise<void> {
    const key = this.socketKey(c);
    if (key === null || this.sockets.has(key)) return;
    const slot = this.allocId();
    if (c.type === 'eoip') {
      // RouterOS sends TTL / hop limit 255 and clears DF over IPv4
      const fd = c.family === 4 ? this.native.rawOpen(4, 47, c.local, { ttl: 255, dontFragment: false }) : this.native.rawOpen(6, 97, c.local, { hopLimit: 255 });
      this.sockets.set(key, { key, fd, slot });
      await this.dp.setSocket({ key, type: 'eoip', family: c.family, fd, slot });
    } else if (c.type === 'vxlan' && this.config?.vxlanTransport === 'dgram') {
      this.sockets.set(key, { key, fd: -1, slot });
      await this.dp.setSocket({ key, type: 'vxlan', transport: 'dgram', family: c.family, address: c.local, port: c.listenPort, slot });
    } else if (c.type === 'vxlan') {
      const fd = this.native.udpOpen(c.family, c.local, c.listenPort);
      this.sockets.set(key, { key, fd, slot });
      await this.dp.setSocket({ key, type: 'vxlan', transport: 'native', fd, slot });
    }
    this.log.info({ socket: key }, 'tunnel socket open');
  }

  private async closeUnusedSockets(): Promise<void> {
    const inUse = new Set<string>();
    for (const p of this.ports.values()) {
      const key = this.socketKey(p.config);
      if (key !== null) inUse.add(key);
    }
    for (const s of [...this.sockets.values()]) {
      if (inUse.has(s.key)) continue;
      await this.dp.removeSocket(s.key);
      if (s.fd >= 0) this.native.close(s.fd);
      this.sockets.delete(s.key);
      this.freeIds.push(s.slot);
      this.log.info({ socket: s.key }, 'tunnel socket closed');
    }
  }

  private async onDataplaneEvent(e: DataplaneEvent): Promise<void> {
    if (e.event === 'socket-error') {
      this.log.warn({ socket: e.key, errno: e.errno }, 'socket error');
      return;
    }
    if (e.event === 'tunnel-drop') {
      const total = this.dp.counters.port(e.slot).drops[e.reason] ?? 0;
      const key = e.key < 0 ? {} : { [e.keyName]: e.key };
      this.log.warn({ socket: e.socket, reason: e.reason, remote: e.remote, ...key, dropped_total: total }, 'tunnel packet dropped (first of this socket and reason this minute)');
      return;
    }
    const p = [...this.ports.values()].find((x) => x.id === e.id);
    if (!p) return;
    if (e.event === 'drop') {
      const total = this.dp.counters.port(p.id).drops[e.reason] ?? 0;
      this.log.warn({ port: p.name, member_asn: p.config.memberAsn, reason: e.reason, ...e.frame, dropped_total: total }, 'frame dropped (first of this port and reason this minute)');
    } else if (e.event === 'port-error') {
      this.release(p);
      this.setState(p, 'down', `device error (errno ${e.errno})`);
    } else if (p.attached && p.config.type === 'eoip') {
      if (e.up) this.setState(p, 'up', null);
      else this.setState(p, 'down', `no keepalive or frame for ${p.config.timeoutS} s`);
    }
  }

  /** Retries ports that are down; takes down AF_PACKET ports whose interface went away. */
  private async watch(): Promise<void> {
    for (const p of this.ports.values()) {
      const c = p.config;
      if (p.attached && (c.type === 'ethernet' || c.type === 'l2' || c.type === 'zerotier' || c.type === 'openvpn')) {
        const idx = this.native.ifIndex(c.interface);
        if (idx !== p.ifindex) await this.detach(p, idx === 0 ? `interface ${c.interface} disappeared` : `interface ${c.interface} was re-created`);
      }
      if (!p.attached) await this.attach(p);
    }
  }
}
