// Turns the normalised config into what the dataplane runs: each port's policy in the form
// the switch core checks, its static MACs, the VXLAN socket it uses, and the fabric-wide
// settings with the ARP/ND proxy bindings. Pure functions of the config.

import { memberPolicy, trunkPolicy, type PortPolicy } from '../dataplane/port-policy.js';
import type { FabricSpec } from '../dataplane/port-spec.js';
import { GROUP_TRUNKS } from '../dataplane/switch-core.js';
import { parseMac } from '../encap/mac.js';
import type { Config, MemberConfig, PortConfig } from './config-types.js';

export function fabricSpec(config: Config): FabricSpec {
  const bindings4: [string, string][] = [];
  const bindings6: [string, string][] = [];
  for (const m of config.members) {
    if (m.macs.length !== 1) continue; // with several MACs the owner of an address is not known
    for (const a of m.ipv4) bindings4.push([a, m.macs[0]!]);
    for (const a of m.ipv6) bindings6.push([a, m.macs[0]!]);
  }
  return { agingS: config.fabric.fdb.agingS, maxEntries: config.fabric.fdb.maxEntries, arpNdProxy: config.fabric.arpNdProxy, bindings4, bindings6, threadPriority: config.dataplanePriority };
}

export function portPolicy(p: PortConfig): PortPolicy {
  if (p.kind === 'trunk' || p.policy === null) return trunkPolicy();
  const pol = p.policy;
  return memberPolicy({
    macs: p.macs,
    ipv4: p.ipv4,
    ipv6: p.ipv6,
    allow_vlan_tags: pol.allowVlanTags.length > 0 ? pol.allowVlanTags : false,
    extra_ethertypes: pol.extraEthertypes,
    filter_link_local: pol.filterLinkLocal,
    ra_guard: pol.raGuard,
    dhcp_guard: pol.dhcpGuard,
    arp_guard: pol.arpGuard,
    nd_guard: pol.ndGuard,
    allow_link_local_nd: pol.allowLinkLocalNd,
    bum_pps: pol.bumPps,
    max_macs: pol.maxMacs,
  });
}

export function portGroup(p: PortConfig): number {
  return p.kind === 'trunk' ? GROUP_TRUNKS : 0;
}

/**
 * A member's MACs become static FDB entries on its port when the member has exactly one
 * connection in the whole registry; with several (multi-homed, or moving between POPs) they
 * are an allow-list and are learned.
 */
export function staticMacs(p: PortConfig, member: MemberConfig | undefined): number[] {
  if (p.kind !== 'member' || !member || member.connectionCount !== 1) return [];
  return member.macs.map((m) => parseMac(m)!);
}

/** The shared UDP socket a VXLAN port receives on: one per (family, local address, port). */
export function vxlanSocketKey(p: { family: 4 | 6; local: string; listenPort: number }): string {
  return `vxlan${p.family}:${p.family === 6 ? `[${p.local}]` : p.local}:${p.listenPort}`;
}

/** The parameters that decide a port's I/O (as opposed to its policy). */
export function ioFingerprint(p: PortConfig): string {
  switch (p.type) {
    case 'vxlan':
      return JSON.stringify([p.type, p.remote, p.port, p.vni, p.local, p.listenPort]);
    case 'eoip':
      return JSON.stringify([p.type, p.remote, p.tunnelId, p.local, p.keepaliveS, p.timeoutS]);
    case 'openvpn':
      return JSON.stringify([p.type, p.listenPort, p.peerFingerprint, p.interface]);
    default:
      return JSON.stringify([p.type, p.interface, p.mtu]);
  }
}
