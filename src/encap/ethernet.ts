// Ethernet II header with up to two VLAN tags (802.1Q 0x8100, 802.1ad 0x88a8, and the
// pre-standard 0x9100 S-tag). The parser fills a caller-owned result object so the forwarding
// path allocates nothing per frame.

import { readMac, writeMac } from './mac.js';

export const ETH_HEADER_LEN = 14;
export const ETH_MIN_FRAME = 60; // without FCS
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_QINQ = 0x88a8;
export const ETHERTYPE_QINQ_OLD = 0x9100;
export const ETHERTYPE_LLDP = 0x88cc;
export const ETHERTYPE_SLOW = 0x8809; // LACP

export function isVlanTpid(t: number): boolean {
  return t === ETHERTYPE_VLAN || t === ETHERTYPE_QINQ || t === ETHERTYPE_QINQ_OLD;
}

export interface EthernetHeader {
  dst: number;
  src: number;
  /** The innermost ethertype (after the tags), or the 802.3 length field when < 0x0600. */
  ethertype: number;
  /** Number of VLAN tags parsed (0, 1 or 2). */
  tags: number;
  outerTpid: number;
  outerVid: number;
  innerVid: number;
  /** Offset of the payload (after the last tag) relative to the buffer. */
  payloadOffset: number;
}

export function newEthernetHeader(): EthernetHeader {
  return { dst: 0, src: 0, ethertype: 0, tags: 0, outerTpid: 0, outerVid: 0, innerVid: 0, payloadOffset: 0 };
}

/**
 * Parses the frame at buf[off, off+len). Returns false when it is too short for its header
 * (or has more than two tags); `out` is then unspecified.
 */
export function parseEthernet(buf: Uint8Array, off: number, len: number, out: EthernetHeader): boolean {
  if (len < ETH_HEADER_LEN) return false;
  out.dst = readMac(buf, off);
  out.src = readMac(buf, off + 6);
  let p = off + 12;
  const end = off + len;
  let type = (buf[p]! << 8) | buf[p + 1]!;
  out.tags = 0;
  out.outerTpid = 0;
  out.outerVid = 0;
  out.innerVid = 0;
  while (isVlanTpid(type)) {
    if (out.tags === 2 || p + 6 > end) return false;
    const vid = ((buf[p + 2]! << 8) | buf[p + 3]!) & 0x0fff;
    if (out.tags === 0) {
      out.outerTpid = type;
      out.outerVid = vid;
    } else out.innerVid = vid;
    out.tags++;
    p += 4;
    type = (buf[p]! << 8) | buf[p + 1]!;
  }
  out.ethertype = type;
  out.payloadOffset = p + 2;
  return true;
}

/** Writes a 14-byte untagged header. */
export function writeEthernetHeader(buf: Uint8Array, off: number, dst: number, src: number, ethertype: number): void {
  writeMac(buf, off, dst);
  writeMac(buf, off + 6, src);
  buf[off + 12] = ethertype >>> 8;
  buf[off + 13] = ethertype & 0xff;
}
