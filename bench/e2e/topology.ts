// What every variant's topology provides, and the pieces they share: two members A and B in their
// own namespaces around a switch namespace S, the members' addresses, and the CPU layout.
//
// CPU layout on the 2-core machine this was written for (documented in the report):
//   CPU 0  traffic generators and member endpoints (trafgen, iperf3 client and server, ping,
//          tcpreplay) and the benchmark itself;
//   CPU 1  the switch: a userspace switch process is pinned there with taskset, and the switch
//          namespace's receive processing is steered there with RPS (rps_cpus on every device
//          in S that receives from a member or an underlay), so a kernel switch (bridge, vxlan
//          hub) forwards on CPU 1 too. Member B's receive stack then also runs on CPU 1 in every
//          variant (it is entered from the switch's transmit).
import { Lab } from '../lib/netns.js';
import { mustSync, runSync, type Proc } from './exec.js';

export const GEN_CPU = 0;
export const SWITCH_CPU = 1;
/** rps_cpus mask for SWITCH_CPU. */
const SWITCH_CPU_MASK = (1 << SWITCH_CPU).toString(16);

export interface Member {
  name: 'A' | 'B';
  asn: number;
  mac: string;
  ip: string;
  vni: number;
  /** Underlay of VXLAN variants: the member's address and S's address on their link. */
  underlay: string;
  underlayS: string;
  underlayNet: string;
}

export const PEERING_LAN = '172.31.254.0/24';
export const A: Member = { name: 'A', asn: 64510, mac: '02:00:00:00:00:0a', ip: '172.31.254.10', vni: 101, underlay: '10.201.1.2', underlayS: '10.201.1.1', underlayNet: '10.201.1.0/24' };
export const B: Member = { name: 'B', asn: 64511, mac: '02:00:00:00:00:0b', ip: '172.31.254.11', vni: 102, underlay: '10.201.2.2', underlayS: '10.201.2.1', underlayNet: '10.201.2.0/24' };
/** S's VXLAN endpoint (on its loopback) in the VXLAN variants. */
export const S_VTEP = '10.201.0.1';
export const VXLAN_MTU = 1450;

/** How drops at a member's sending device behave (see pps.ts). */
export type DeviceKind = 'veth' | 'tap' | 'vxlan';

/** ixfabric's per-port counters, from `ixfabricctl --json ports`. */
export interface PortCounters {
  name: string;
  type: string;
  state: string;
  rx_packets: number;
  tx_packets: number;
  drops: Record<string, number>;
}

export interface Topology {
  variant: string;
  lab: Lab;
  nsA: string;
  nsB: string;
  nsS: string;
  /** The members' own interfaces: traffic is sent and counted there. */
  devA: string;
  devB: string;
  devKind: DeviceKind;
  /** MTU of the members' interfaces. */
  mtu: number;
  /** pid of the userspace switch process (null for kernel switches). */
  switchPid: number | null;
  /** ixfabric only: its ports' counters; the port names of A and B. */
  ports?: () => Promise<PortCounters[]>;
  portA?: string;
  portB?: string;
  /** Things worth knowing about the setup (offloads that could not be changed...). */
  notes: string[];
  /** Stops the switch gracefully; the namespaces are removed by the lab's cleanup. */
  close(): Promise<void>;
}

/** Namespace name mark of the benchmark (not `ixt-`, which the test runner sweeps); has our pid. */
export function benchNsMark(): string {
  return `ixb-${process.pid}-`;
}

const labs = new Set<Lab>();

/** A new lab for one variant's topology, with namespaces S, A, B (IPv6 off: no ND/MLD noise). */
export function newLab(tag: string): { lab: Lab; nsS: string; nsA: string; nsB: string } {
  const lab = new Lab(null, tag, { nsMark: benchNsMark() });
  labs.add(lab);
  const make = (n: string) => {
    const ns = lab.ns(n);
    mustSync(['ip', 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1', 'net.ipv6.conf.lo.disable_ipv6=1']);
    return ns;
  };
  return { lab, nsS: make('s'), nsA: make('a'), nsB: make('b') };
}

/** Removes every lab made so far: kills what runs in its namespaces, deletes them and its files. */
export function cleanupLabs(): void {
  for (const lab of labs) lab.cleanup();
  labs.clear();
}

let wireSized = false;

/**
 * `--wire-sized`: members send wire-sized, checksummed frames (transmit checksum offload and with
 * it TSO/GSO off), as a member whose frames cross a real tunnel does. By default a member's device
 * keeps the offloads the kernel gives it, as a local member's does; that is where carrying
 * super-packets whole (virtio header) pays off.
 */
export function setWireSized(on: boolean): void {
  wireSized = on;
}

/**
 * With `--wire-sized`, turns transmit checksum offload off on a member's own interface. Returns a
 * note when the device does not let it be changed (a TAP without vnet header has nothing to turn off).
 */
export function remoteLike(ns: string, dev: string): string | null {
  return wireSized ? checksumsInSoftware(ns, dev) : null;
}

/**
 * Transmit checksum offload (and with it TSO/GSO) off on `dev`. Always so for the VXLAN members:
 * over veth a kernel vxlan device hands the VTEP datagrams whose inner TCP/UDP checksum is left
 * to offload (CHECKSUM_PARTIAL), and a UDP socket cannot see that (a real underlay NIC fills it
 * in), so ixfabric would forward frames with unfinished checksums. Both VXLAN variants get the
 * same member devices.
 */
export function checksumsInSoftware(ns: string, dev: string): string | null {
  const r = runSync(['ip', 'netns', 'exec', ns, 'ethtool', '-K', dev, 'tx', 'off']);
  if (r.code === 0) return null;
  return `${dev} in ${ns}: ethtool -K tx off: ${(r.stderr || r.stdout).trim().split('\n')[0]}`;
}

/** The member's address, MAC, MTU, static neighbour for the other member, link up. */
export function memberUp(ns: string, dev: string, self: Member, peer: Member, mtu: number): void {
  mustSync(['ip', '-n', ns, 'link', 'set', dev, 'address', self.mac]);
  mustSync(['ip', '-n', ns, 'link', 'set', dev, 'mtu', String(mtu)]);
  mustSync(['ip', '-n', ns, 'addr', 'add', `${self.ip}/24`, 'dev', dev]);
  mustSync(['ip', '-n', ns, 'link', 'set', dev, 'up']);
  // static neighbours: no ARP during the measurements (the fabric would pass it, but it would
  // add frames to the counted ones)
  mustSync(['ip', '-n', ns, 'neigh', 'replace', peer.ip, 'lladdr', peer.mac, 'dev', dev, 'nud', 'permanent']);
}

/** Steers the receive processing of `dev` (in S) to the switch CPU. */
export function steerToSwitchCpu(nsS: string, dev: string): void {
  mustSync(['ip', 'netns', 'exec', nsS, 'sh', '-c', `for q in /sys/class/net/${dev}/queues/rx-*; do echo ${SWITCH_CPU_MASK} > $q/rps_cpus; done`]);
}

/**
 * Members on veths: A's and B's `m0` joined to S's ends `outer.A` / `outer.B` (steered to the
 * switch CPU), addressed and up. Returns the notes of remoteLike.
 */
export function vethMembers(lab: Lab, nsS: string, nsA: string, nsB: string, outer: { A: string; B: string }): string[] {
  const notes: string[] = [];
  for (const [m, peer, ns] of [[A, B, nsA], [B, A, nsB]] as const) {
    memberVeth(lab, ns, 'm0', nsS, outer[m.name]);
    steerToSwitchCpu(nsS, outer[m.name]);
    memberUp(ns, 'm0', m, peer, 1500);
    const n = remoteLike(ns, 'm0');
    if (n) notes.push(n);
  }
  return notes;
}

/** Members on TAPs the switch made in S: moved into A and B, addressed and up. Returns the notes of remoteLike. */
export function tapMembers(nsS: string, nsA: string, nsB: string, tap: { A: string; B: string }): string[] {
  const notes: string[] = [];
  for (const [m, peer, ns] of [[A, B, nsA], [B, A, nsB]] as const) {
    mustSync(['ip', '-n', nsS, 'link', 'set', tap[m.name], 'netns', ns]);
    memberUp(ns, tap[m.name], m, peer, 1500);
    const n = remoteLike(ns, tap[m.name]);
    if (n) notes.push(n);
  }
  return notes;
}

/** A veth between member namespace `ns` (name `inner`) and S (name `outer`), both up. */
export function memberVeth(lab: Lab, ns: string, inner: string, nsS: string, outer: string): void {
  lab.veth(inner, ns, outer, nsS);
  mustSync(['ip', '-n', nsS, 'link', 'set', outer, 'up']);
}

/**
 * The VXLAN members' side, the same for ixfabric-vxlan, the kernel hub and the C hub: an underlay
 * veth to S (S's end steered to the switch CPU), a route to S's VTEP address, and the member's
 * vxlan device `vx0` (VNI per member, port 4789, MTU 1450), addressed and up (memberUp),
 * checksumming in software (checksumsInSoftware). S's VTEP address sits on S's loopback. Returns
 * a note when the checksum offload could not be turned off.
 */
export function vxlanMember(lab: Lab, ns: string, nsS: string, m: Member, peer: Member): string | null {
  const sDev = lab.ifname(`u${m.name.toLowerCase()}`);
  lab.veth('u0', ns, sDev, nsS);
  mustSync(['ip', '-n', nsS, 'addr', 'add', `${m.underlayS}/24`, 'dev', sDev]);
  mustSync(['ip', '-n', nsS, 'link', 'set', sDev, 'up']);
  mustSync(['ip', '-n', ns, 'addr', 'add', `${m.underlay}/24`, 'dev', 'u0']);
  mustSync(['ip', '-n', ns, 'link', 'set', 'u0', 'up']);
  mustSync(['ip', '-n', ns, 'route', 'add', `${S_VTEP}/32`, 'via', m.underlayS]);
  mustSync(['ip', '-n', ns, 'link', 'add', 'vx0', 'type', 'vxlan', 'id', String(m.vni), 'remote', S_VTEP, 'local', m.underlay, 'dstport', '4789']);
  steerToSwitchCpu(nsS, sDev);
  memberUp(ns, 'vx0', m, peer, VXLAN_MTU);
  return checksumsInSoftware(ns, 'vx0');
}

export function vtepOnLoopback(nsS: string): void {
  mustSync(['ip', '-n', nsS, 'addr', 'add', `${S_VTEP}/32`, 'dev', 'lo']);
}

/** S's VTEP address on its loopback and both VXLAN members (vxlanMember). Returns the notes. */
export function vxlanMembers(lab: Lab, nsS: string, nsA: string, nsB: string): string[] {
  vtepOnLoopback(nsS);
  const notes: string[] = [];
  for (const [m, peer, ns] of [[A, B, nsA], [B, A, nsB]] as const) {
    const n = vxlanMember(lab, ns, nsS, m, peer);
    if (n) notes.push(n);
  }
  return notes;
}

/**
 * The topology of a userspace switch that is one process in S (the bare forwarder, the C VXLAN
 * hub): its pid is the switch's, and close() stops it with SIGTERM.
 */
export function processTopology(variant: string, parts: ReturnType<typeof newLab>, proc: Proc, dev: { A: string; B: string }, devKind: DeviceKind, mtu: number, notes: string[]): Topology {
  const { lab, nsS, nsA, nsB } = parts;
  return {
    variant,
    lab,
    nsA,
    nsB,
    nsS,
    devA: dev.A,
    devB: dev.B,
    devKind,
    mtu,
    switchPid: proc.pid ?? null,
    notes,
    close: async () => {
      await proc.stop('SIGTERM', 5000);
    },
  };
}
