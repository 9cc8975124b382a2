// Every frame the fabric does not deliver is counted under exactly one of these reasons.
// The first fourteen names are fixed by CONTRACT.md; the rest are ixfabric extensions. The
// README explains each one.

export const DROP_REASONS = [
  'malformed', // shorter than an Ethernet header, broken L3 header, or broken tunnel framing
  'unknown_tunnel', // tunnel packet from an unknown remote, VNI or tunnel id
  'ethertype', // ethertype not allowed on the peering LAN (only IPv4, ARP, IPv6 by default)
  'vlan_tagged', // 802.1Q/802.1ad tagged frame on a port that does not allow that tag
  'link_local', // STP/BPDU, LLDP, LACP, CDP and other 01:80:c2:00:00:0x / Cisco control frames
  'ra_guard', // IPv6 router advertisement or redirect from a member
  'dhcp_guard', // DHCPv4 or DHCPv6 server traffic from a member
  'src_mac', // source MAC not allowed: not one of the member's MACs, group address, or static elsewhere
  'mac_limit', // new source MAC beyond the port's learned-MAC limit
  'arp_spoof', // ARP claiming an address that is not the member's
  'nd_spoof', // neighbour discovery claiming an address that is not the member's
  'bum_rate', // broadcast, multicast or unknown unicast over the port's rate limit
  'multicast', // broadcast or multicast that is not ARP or neighbour discovery
  'tx_full', // egress queue (socket buffer) full
  'mac_pinned', // source MAC bounced between ports too often and is pinned elsewhere
  'same_port', // destination MAC lives on the ingress port
  'split_horizon', // would go from one POP trunk to another
  'tx_error', // the kernel refused the frame on egress (e.g. too big for the path)
  'port_down', // destination port is down
] as const;

export type DropReason = (typeof DROP_REASONS)[number];

function code(name: DropReason): number {
  return DROP_REASONS.indexOf(name) + 1;
}

/** Reason codes: 0 means "not dropped"; reason `r` has code DROP_REASONS.indexOf(r) + 1. */
export const R_NONE = 0;
export const R_MALFORMED = code('malformed');
export const R_UNKNOWN_TUNNEL = code('unknown_tunnel');
export const R_ETHERTYPE = code('ethertype');
export const R_VLAN_TAGGED = code('vlan_tagged');
export const R_LINK_LOCAL = code('link_local');
export const R_RA_GUARD = code('ra_guard');
export const R_DHCP_GUARD = code('dhcp_guard');
export const R_SRC_MAC = code('src_mac');
export const R_MAC_LIMIT = code('mac_limit');
export const R_ARP_SPOOF = code('arp_spoof');
export const R_ND_SPOOF = code('nd_spoof');
export const R_BUM_RATE = code('bum_rate');
export const R_MULTICAST = code('multicast');
export const R_TX_FULL = code('tx_full');
export const R_MAC_PINNED = code('mac_pinned');
export const R_SAME_PORT = code('same_port');
export const R_SPLIT_HORIZON = code('split_horizon');
export const R_TX_ERROR = code('tx_error');
export const R_PORT_DOWN = code('port_down');
export const REASON_COUNT = DROP_REASONS.length;

export function reasonName(c: number): DropReason | undefined {
  return DROP_REASONS[c - 1];
}
