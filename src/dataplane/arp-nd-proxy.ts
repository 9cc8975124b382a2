// ARP/ND proxy: turns an ARP request or a neighbour solicitation, in place in its slot, into
// the reply the owner of the address would send, so the request is answered at the POP
// instead of being flooded across the fabric. The frame keeps its length (an ARP reply is as
// long as the request; an NA with a target link-layer option is as long as an NS with a
// source link-layer option), so no buffer is needed.

import type { EthernetHeader } from '../encap/ethernet.js';
import { ARP_REPLY, ARP_REQUEST, type ArpPacket, writeArp } from '../encap/arp.js';
import { icmpv6Checksum, IPPROTO_ICMPV6, type Ipv6Header, isIpv6Unspecified } from '../encap/ip.js';
import { writeMac } from '../encap/mac.js';
import { ICMPV6_NA, ICMPV6_NS, ND_OPT_TLLA, type NdMessage } from '../encap/nd.js';

/** NA flags: router, solicited, override. Everybody on a peering LAN is a router. */
const NA_FLAGS = 0xe0;
const NS_LEN = 24 + 8; // NS with a source link-layer address option

/** True when this ARP packet is a request the proxy may answer (not a probe, not gratuitous). */
export function isProxiableArp(arp: ArpPacket): boolean {
  return arp.op === ARP_REQUEST && arp.senderIp !== 0 && arp.senderIp !== arp.targetIp;
}

/** Rewrites the ARP request at `arpOffset` into the reply from `ownerMac`. */
export function answerArp(buf: Uint8Array, frameOffset: number, arpOffset: number, arp: ArpPacket, ownerMac: number): void {
  writeMac(buf, frameOffset, arp.senderMac);
  writeMac(buf, frameOffset + 6, ownerMac);
  writeArp(buf, arpOffset, { op: ARP_REPLY, senderMac: ownerMac, senderIp: arp.targetIp, targetMac: arp.senderMac, targetIp: arp.senderIp });
}

/**
 * True when the NS can be answered in place: not DAD (source ::), no extension headers, and
 * exactly one source link-layer address option (so the NA fits the same bytes).
 */
export function isProxiableNs(buf: Uint8Array, ip: Ipv6Header, nd: NdMessage, ipOffset: number): boolean {
  return (
    nd.type === ICMPV6_NS &&
    nd.sourceLinkAddr >= 0 &&
    ip.payloadLength === NS_LEN &&
    buf[ipOffset + 6] === IPPROTO_ICMPV6 &&
    !isIpv6Unspecified(buf, ip.srcOffset)
  );
}

/** Rewrites the NS (Ethernet header at frameOffset, IPv6 at ipOffset) into the owner's NA. */
export function answerNs(buf: Uint8Array, frameOffset: number, ipOffset: number, eth: EthernetHeader, ownerMac: number): void {
  const icmp = ipOffset + 40;
  writeMac(buf, frameOffset, eth.src);
  writeMac(buf, frameOffset + 6, ownerMac);
  // IPv6: destination = the solicitor's address, source = the target.
  buf.copyWithin(ipOffset + 24, ipOffset + 8, ipOffset + 24);
  buf.copyWithin(ipOffset + 8, icmp + 8, icmp + 24);
  buf[ipOffset] = 0x60;
  buf[ipOffset + 1] = 0;
  buf[ipOffset + 2] = 0;
  buf[ipOffset + 3] = 0;
  buf[ipOffset + 7] = 255;
  buf[icmp] = ICMPV6_NA;
  buf[icmp + 1] = 0;
  buf[icmp + 2] = 0;
  buf[icmp + 3] = 0;
  buf[icmp + 4] = NA_FLAGS;
  buf[icmp + 5] = 0;
  buf[icmp + 6] = 0;
  buf[icmp + 7] = 0;
  buf[icmp + 24] = ND_OPT_TLLA;
  buf[icmp + 25] = 1;
  writeMac(buf, icmp + 26, ownerMac);
  const sum = icmpv6Checksum(buf, ipOffset, icmp, NS_LEN);
  buf[icmp + 2] = sum >>> 8;
  buf[icmp + 3] = sum & 0xff;
}
