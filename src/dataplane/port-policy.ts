// The ingress policy of one member port in the form the switch core checks without
// allocating: MACs as numbers, IPv4 addresses as numbers, IPv6 addresses as 16-byte arrays.
// `hygiene: false` (POP trunks) skips every member rule but the link-local filter.

import { parseMac } from '../encap/mac.js';
import { parseIpv4Address, parseIpv6Address } from '../encap/ip.js';

export interface PortPolicy {
  hygiene: boolean;
  /** Allowed source MACs; empty means any unicast source, learned within `macLimit`. */
  allowedMacs: number[];
  /** Addresses the member may claim in ARP. */
  ipv4: number[];
  /** Addresses the member may claim in neighbour discovery (16 bytes each). */
  ipv6: Uint8Array[];
  /** VLAN tags: 'none' drops tagged frames, 'any' allows any, a list allows those VIDs. */
  allowVlans: 'none' | 'any' | number[];
  /** Ethertypes allowed besides IPv4, ARP and IPv6. */
  extraEthertypes: number[];
  filterLinkLocal: boolean;
  raGuard: boolean;
  dhcpGuard: boolean;
  arpGuard: boolean;
  ndGuard: boolean;
  /** ND may claim fe80::/10 addresses (link-local addresses are not in the registry). */
  allowLinkLocalNd: boolean;
  /** Broadcast/multicast/unknown-unicast packets per second; 0 = unlimited. */
  bumPps: number;
  /** Learned-MAC limit; Infinity for none. */
  macLimit: number;
}

/** Options in config spelling; everything optional, defaults are the exchange-hygiene rules. */
export interface PortPolicyInput {
  macs?: string[];
  ipv4?: string[];
  ipv6?: string[];
  allow_vlan_tags?: false | true | number[];
  extra_ethertypes?: number[];
  filter_link_local?: boolean;
  ra_guard?: boolean;
  dhcp_guard?: boolean;
  arp_guard?: boolean;
  nd_guard?: boolean;
  allow_link_local_nd?: boolean;
  bum_pps?: number;
  max_macs?: number;
}

export function memberPolicy(input: PortPolicyInput = {}): PortPolicy {
  const vlans = input.allow_vlan_tags;
  return {
    hygiene: true,
    allowedMacs: (input.macs ?? []).map((m) => must(parseMac(m), 'MAC', m)),
    ipv4: (input.ipv4 ?? []).map((a) => must(parseIpv4Address(a), 'IPv4 address', a)),
    ipv6: (input.ipv6 ?? []).map((a) => must(parseIpv6Address(a), 'IPv6 address', a)),
    allowVlans: vlans === true ? 'any' : Array.isArray(vlans) ? [...vlans] : 'none',
    extraEthertypes: [...(input.extra_ethertypes ?? [])],
    filterLinkLocal: input.filter_link_local ?? true,
    raGuard: input.ra_guard ?? true,
    dhcpGuard: input.dhcp_guard ?? true,
    arpGuard: input.arp_guard ?? true,
    ndGuard: input.nd_guard ?? true,
    allowLinkLocalNd: input.allow_link_local_nd ?? true,
    bumPps: input.bum_pps ?? 500,
    macLimit: input.max_macs ?? 4,
  };
}

/** POP trunks: traffic was checked at the POP where it entered the fabric. */
export function trunkPolicy(): PortPolicy {
  return { ...memberPolicy(), hygiene: false, bumPps: 0, macLimit: Infinity };
}

function must<T>(v: T | null, what: string, text: string): T {
  if (v === null) throw new Error(`invalid ${what}: ${text}`);
  return v;
}
