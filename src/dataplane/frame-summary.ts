// A readable summary of one frame for a drop log line: MACs, ethertype and tags, and the
// addresses a spoof or a guard is about (ARP sender/target, IP source/destination, ND
// target). Only called for rate-limited samples, so it may allocate.

import { newArpPacket, parseArp } from '../encap/arp.js';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, newEthernetHeader, parseEthernet } from '../encap/ethernet.js';
import { formatIpv4Address, formatIpv6Address, IPPROTO_ICMPV6, newIpv4Header, newIpv6Header, parseIpv4, parseIpv6 } from '../encap/ip.js';
import { macToString } from '../encap/mac.js';
import { newNdMessage, parseNd } from '../encap/nd.js';

export function summariseFrame(buf: Uint8Array, off: number, len: number): Record<string, string | number> {
  const eth = newEthernetHeader();
  if (!parseEthernet(buf, off, len, eth)) return { length: len };
  const out: Record<string, string | number> = {
    src_mac: macToString(eth.src),
    dst_mac: macToString(eth.dst),
    ethertype: `0x${eth.ethertype.toString(16).padStart(4, '0')}`,
    length: len,
  };
  if (eth.tags > 0) out.vlan = eth.tags === 1 ? eth.outerVid : `${eth.outerVid}.${eth.innerVid}`;
  const end = off + len;
  const p = eth.payloadOffset;
  if (eth.ethertype === ETHERTYPE_ARP) {
    const a = newArpPacket();
    if (parseArp(buf, p, end, a)) {
      out.arp_op = a.op === 1 ? 'request' : a.op === 2 ? 'reply' : a.op;
      out.arp_sender_mac = macToString(a.senderMac);
      out.arp_sender_ip = formatIpv4Address(a.senderIp);
      out.arp_target_ip = formatIpv4Address(a.targetIp);
    }
  } else if (eth.ethertype === ETHERTYPE_IPV4) {
    const ip = newIpv4Header();
    if (parseIpv4(buf, p, end, ip)) {
      out.src_ip = formatIpv4Address(ip.src);
      out.dst_ip = formatIpv4Address(ip.dst);
      out.protocol = ip.protocol;
      if ((ip.protocol === 6 || ip.protocol === 17) && !ip.laterFragment && ip.payloadOffset + 4 <= end) {
        out.src_port = (buf[ip.payloadOffset]! << 8) | buf[ip.payloadOffset + 1]!;
        out.dst_port = (buf[ip.payloadOffset + 2]! << 8) | buf[ip.payloadOffset + 3]!;
      }
    }
  } else if (eth.ethertype === ETHERTYPE_IPV6) {
    const ip = newIpv6Header();
    if (parseIpv6(buf, p, end, ip)) {
      out.src_ip = formatIpv6Address(buf, ip.srcOffset);
      out.dst_ip = formatIpv6Address(buf, ip.srcOffset + 16);
      out.protocol = ip.protocol;
      const nd = newNdMessage();
      if (ip.protocol === IPPROTO_ICMPV6 && parseNd(buf, ip.payloadOffset, Math.min(end, p + 40 + ip.payloadLength), nd)) {
        out.icmpv6_type = nd.type;
        if (nd.targetOffset >= 0) out.nd_target = formatIpv6Address(buf, nd.targetOffset);
      }
    }
  }
  return out;
}
