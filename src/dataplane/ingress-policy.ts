// Exchange hygiene at a member port's ingress (DESIGN.md "Exchange hygiene"). One instance
// per switch core holds the scratch parse results, so a check allocates nothing; after a
// check the parsed ARP / ND fields stay readable for the ARP/ND proxy and neighbour learning.
//
// Order matters for which reason a frame is counted under: link-local control frames first,
// then tags and ethertype, the source MAC, the L3 guards (RA, DHCP, ARP, ND: so a DHCP offer
// counts as `dhcp_guard`, not `multicast`), and last the broadcast/multicast rule.

import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, type EthernetHeader } from '../encap/ethernet.js';
import { isGroupMac } from '../encap/mac.js';
import { IPPROTO_ICMPV6, IPPROTO_UDP, isIpv6LinkLocal, isIpv6Unspecified, newIpv4Header, newIpv6Header, parseIpv4, parseIpv6, ipv6Equals } from '../encap/ip.js';
import { ARP_REPLY, ARP_REQUEST, newArpPacket, parseArp } from '../encap/arp.js';
import { ICMPV6_NA, ICMPV6_NS, ICMPV6_RA, ICMPV6_REDIRECT, ICMPV6_RS, newNdMessage, parseNd } from '../encap/nd.js';
import {
  R_ARP_SPOOF,
  R_DHCP_GUARD,
  R_ETHERTYPE,
  R_LINK_LOCAL,
  R_MALFORMED,
  R_MULTICAST,
  R_ND_SPOOF,
  R_NONE,
  R_RA_GUARD,
  R_SRC_MAC,
  R_VLAN_TAGGED,
} from './drop-reasons.js';
import type { PortPolicy } from './port-policy.js';

const BROADCAST = 0xffffffffffff;
const TWO_32 = 4294967296;

/** 01:80:c2:00:00:00 .. 01:80:c2:00:00:0f (STP, LACP, LLDP, 802.1X...), Cisco CDP/VTP/DTP and PVST+. */
export function isLinkLocalControl(dst: number): boolean {
  const hi = Math.floor(dst / TWO_32);
  const lo = dst - hi * TWO_32;
  if (hi === 0x0180 && lo >>> 4 === 0xc200000) return true;
  return hi === 0x0100 && (lo === 0x0ccccccc || lo === 0x0ccccccd);
}

/** What the dissection found, for the proxy and neighbour learning. */
export const SEEN_OTHER = 0;
export const SEEN_ARP = 1;
export const SEEN_ND = 2;

export class IngressPolicy {
  readonly ipv4 = newIpv4Header();
  readonly ipv6 = newIpv6Header();
  readonly arp = newArpPacket();
  readonly nd = newNdMessage();
  /** SEEN_ARP / SEEN_ND when the last checked frame was a valid ARP or ND message. */
  seen = SEEN_OTHER;
  /** Offset of the ICMPv6 message when seen === SEEN_ND. */
  icmpOffset = 0;
  /** Dissect ARP and ND on trunks too (only the ARP/ND proxy needs it). */
  dissectTrunks = false;

  /**
   * Dissects frame buf[off, off+len) (Ethernet header already in `eth`) and returns the drop
   * reason code, or R_NONE when the member policy lets it in. With `policy.hygiene` false only
   * link-local control frames are refused, but ARP and ND are still dissected.
   */
  check(buf: Uint8Array, off: number, len: number, eth: EthernetHeader, policy: PortPolicy): number {
    this.seen = SEEN_OTHER;
    const end = off + len;
    if (policy.filterLinkLocal && isLinkLocalControl(eth.dst)) return R_LINK_LOCAL;
    if (!policy.hygiene) {
      if (this.dissectTrunks) this.dissectForNeighbours(buf, eth, end);
      return R_NONE;
    }
    if (eth.tags > 0 && !this.vlanAllowed(eth, policy)) return R_VLAN_TAGGED;
    const type = eth.ethertype;
    if (type !== ETHERTYPE_IPV4 && type !== ETHERTYPE_ARP && type !== ETHERTYPE_IPV6 && !policy.extraEthertypes.includes(type)) return R_ETHERTYPE;
    if (isGroupMac(eth.src) || eth.src === 0) return R_SRC_MAC;
    if (policy.allowedMacs.length > 0 && !policy.allowedMacs.includes(eth.src)) return R_SRC_MAC;

    const p = eth.payloadOffset;
    const group = isGroupMac(eth.dst);
    if (type === ETHERTYPE_IPV4) {
      if (!parseIpv4(buf, p, end, this.ipv4)) return R_MALFORMED;
      const ip = this.ipv4;
      if (policy.dhcpGuard && ip.protocol === IPPROTO_UDP && !ip.laterFragment) {
        if (ip.payloadOffset + 8 > end) return R_MALFORMED;
        const sport = (buf[ip.payloadOffset]! << 8) | buf[ip.payloadOffset + 1]!;
        if (sport === 67) return R_DHCP_GUARD;
      }
      return group ? R_MULTICAST : R_NONE;
    }
    if (type === ETHERTYPE_ARP) {
      if (!parseArp(buf, p, end, this.arp)) return R_MALFORMED;
      const arp = this.arp;
      if (arp.op !== ARP_REQUEST && arp.op !== ARP_REPLY) return R_MALFORMED;
      if (policy.arpGuard) {
        if (arp.senderMac !== eth.src) return R_ARP_SPOOF;
        if (arp.senderIp !== 0 && !policy.ipv4.includes(arp.senderIp)) return R_ARP_SPOOF;
      }
      this.seen = SEEN_ARP;
      return group && eth.dst !== BROADCAST ? R_MULTICAST : R_NONE;
    }
    if (type !== ETHERTYPE_IPV6) return group ? R_MULTICAST : R_NONE; // an extra ethertype
    if (!parseIpv6(buf, p, end, this.ipv6)) return R_MALFORMED;
    const ip6 = this.ipv6;
    const l4 = ip6.payloadOffset;
    const l4end = Math.min(end, p + 40 + ip6.payloadLength);
    if (ip6.protocol === IPPROTO_ICMPV6 && !ip6.laterFragment) {
      if (!parseNd(buf, l4, l4end, this.nd)) return R_MALFORMED;
      const t = this.nd.type;
      if (policy.raGuard && (t === ICMPV6_RA || t === ICMPV6_REDIRECT)) return R_RA_GUARD;
      if (t === ICMPV6_NS || t === ICMPV6_NA) {
        if (policy.ndGuard) {
          const r = this.ndClaim(buf, eth, policy);
          if (r !== R_NONE) return r;
        }
        this.seen = SEEN_ND;
        this.icmpOffset = l4;
        return R_NONE;
      }
      if (t === ICMPV6_RS) return group ? R_MULTICAST : R_NONE;
    } else if (policy.dhcpGuard && ip6.protocol === IPPROTO_UDP && !ip6.laterFragment) {
      if (l4 + 8 > end) return R_MALFORMED;
      const sport = (buf[l4]! << 8) | buf[l4 + 1]!;
      if (sport === 547) return R_DHCP_GUARD;
    }
    return group ? R_MULTICAST : R_NONE;
  }

  private vlanAllowed(eth: EthernetHeader, policy: PortPolicy): boolean {
    const allow = policy.allowVlans;
    if (allow === 'any') return true;
    if (allow === 'none') return false;
    return eth.tags === 1 && allow.includes(eth.outerVid);
  }

  /** NS: its source address; NA: its target. Link-layer options must be the frame's source. */
  private ndClaim(buf: Uint8Array, eth: EthernetHeader, policy: PortPolicy): number {
    const nd = this.nd;
    if (nd.sourceLinkAddr >= 0 && nd.sourceLinkAddr !== eth.src) return R_ND_SPOOF;
    if (nd.targetLinkAddr >= 0 && nd.targetLinkAddr !== eth.src) return R_ND_SPOOF;
    let claimed: number;
    if (nd.type === ICMPV6_NA) claimed = nd.targetOffset;
    else {
      claimed = this.ipv6.srcOffset;
      if (isIpv6Unspecified(buf, claimed)) return R_NONE; // duplicate address detection
    }
    if (policy.allowLinkLocalNd && isIpv6LinkLocal(buf, claimed)) return R_NONE;
    for (const a of policy.ipv6) if (ipv6Equals(buf, claimed, a)) return R_NONE;
    return R_ND_SPOOF;
  }

  /** Trunk ingress: note valid ARP and NS/NA so the proxy can learn bindings from them. */
  private dissectForNeighbours(buf: Uint8Array, eth: EthernetHeader, end: number): void {
    const p = eth.payloadOffset;
    if (eth.ethertype === ETHERTYPE_ARP) {
      if (parseArp(buf, p, end, this.arp)) this.seen = SEEN_ARP;
    } else if (eth.ethertype === ETHERTYPE_IPV6 && parseIpv6(buf, p, end, this.ipv6) && this.ipv6.protocol === IPPROTO_ICMPV6 && !this.ipv6.laterFragment) {
      const l4end = Math.min(end, p + 40 + this.ipv6.payloadLength);
      if (parseNd(buf, this.ipv6.payloadOffset, l4end, this.nd) && (this.nd.type === ICMPV6_NS || this.nd.type === ICMPV6_NA)) {
        this.seen = SEEN_ND;
        this.icmpOffset = this.ipv6.payloadOffset;
      }
    }
  }
}
