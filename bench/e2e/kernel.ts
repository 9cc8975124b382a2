// Kernel switches as references: a Linux bridge with veth members, and a kernel-only VXLAN hub
// (a Linux bridge in S joining one vxlan device per member). Forwarding runs in softirq context;
// RPS on S's receiving devices puts it on the switch CPU.
import { mustSync } from './exec.js';
import {
  A,
  B,
  memberUp,
  memberVeth,
  newLab,
  remoteLike,
  S_VTEP,
  steerToSwitchCpu,
  VXLAN_MTU,
  vxlanMembers,
  type Topology,
} from './topology.js';

function bridge(nsS: string, name: string): void {
  // STP off (the default), no multicast snooping: a plain learning bridge
  mustSync(['ip', '-n', nsS, 'link', 'add', name, 'type', 'bridge', 'stp_state', '0', 'mcast_snooping', '0']);
  mustSync(['ip', '-n', nsS, 'link', 'set', name, 'up']);
}

/** Linux bridge in S with veth members A and B. */
export async function buildBridge(): Promise<Topology> {
  const { lab, nsS, nsA, nsB } = newLab('b');
  bridge(nsS, 'br0');
  const outer = { A: lab.ifname('ba'), B: lab.ifname('bb') };
  const notes: string[] = [];
  for (const [m, peer, ns] of [[A, B, nsA], [B, A, nsB]] as const) {
    memberVeth(lab, ns, 'm0', nsS, outer[m.name]);
    mustSync(['ip', '-n', nsS, 'link', 'set', outer[m.name], 'master', 'br0']);
    steerToSwitchCpu(nsS, outer[m.name]);
    memberUp(ns, 'm0', m, peer, 1500);
    const n = remoteLike(ns, 'm0');
    if (n) notes.push(n);
  }
  return { variant: 'bridge', lab, nsA, nsB, nsS, devA: 'm0', devB: 'm0', devKind: 'veth', mtu: 1500, switchPid: null, notes, close: async () => {} };
}

/** A Linux bridge in S joining two kernel vxlan devices, one per member (same member side as ixfabric-vxlan). */
export async function buildKernelVxlanHub(): Promise<Topology> {
  const { lab, nsS, nsA, nsB } = newLab('k');
  const notes = vxlanMembers(lab, nsS, nsA, nsB);
  bridge(nsS, 'br0');
  for (const m of [A, B]) {
    const dev = `vx${m.name.toLowerCase()}`;
    mustSync(['ip', '-n', nsS, 'link', 'add', dev, 'type', 'vxlan', 'id', String(m.vni), 'remote', m.underlay, 'local', S_VTEP, 'dstport', '4789']);
    mustSync(['ip', '-n', nsS, 'link', 'set', dev, 'mtu', String(VXLAN_MTU)]);
    mustSync(['ip', '-n', nsS, 'link', 'set', dev, 'master', 'br0']);
    mustSync(['ip', '-n', nsS, 'link', 'set', dev, 'up']);
    steerToSwitchCpu(nsS, dev);
  }
  return { variant: 'kernel-vxlan-hub', lab, nsA, nsB, nsS, devA: 'vx0', devB: 'vx0', devKind: 'vxlan', mtu: VXLAN_MTU, switchPid: null, notes, close: async () => {} };
}
