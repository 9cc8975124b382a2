// VXLAN (RFC 7348) exactly as the Linux driver speaks it: header `08 00 00 00 | VNI | 00`.
// Linux drops a datagram whose I flag is clear or whose reserved bits are set, so we accept
// and send only that form. The outer UDP source port is a hash of the inner flow, as Linux
// does (same flow, same port), drawn from Linux's default ephemeral range.

import { ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from './ethernet.js';

export const VXLAN_HEADER_LEN = 8;
export const VXLAN_DEFAULT_PORT = 4789;
/** IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14). */
export const VXLAN_OVERHEAD_IPV4 = 50;
export const VXLAN_OVERHEAD_IPV6 = 70;
export const VXLAN_MAX_VNI = 0xffffff;
const SRC_PORT_MIN = 32768;
const SRC_PORT_MAX = 60999;

/**
 * Returns the VNI of the VXLAN header at buf[off], or -1 when the datagram is not one Linux
 * would accept (I flag clear, a reserved bit set) or is too short to carry an Ethernet header.
 */
export function decodeVxlan(buf: Uint8Array, off: number, len: number): number {
  if (len < VXLAN_HEADER_LEN + 14) return -1;
  if (buf[off] !== 0x08 || buf[off + 1] !== 0 || buf[off + 2] !== 0 || buf[off + 3] !== 0 || buf[off + 7] !== 0) return -1;
  return (buf[off + 4]! << 16) | (buf[off + 5]! << 8) | buf[off + 6]!;
}

export function writeVxlanHeader(buf: Uint8Array, off: number, vni: number): void {
  buf[off] = 0x08;
  buf[off + 1] = 0;
  buf[off + 2] = 0;
  buf[off + 3] = 0;
  buf[off + 4] = (vni >>> 16) & 0xff;
  buf[off + 5] = (vni >>> 8) & 0xff;
  buf[off + 6] = vni & 0xff;
  buf[off + 7] = 0;
}

function mix(h: number, bytes: Uint8Array, from: number, to: number): number {
  for (let i = from; i < to; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h;
}

/**
 * UDP source port for the inner frame at frame[off, off+len): a hash over the MACs, the
 * ethertype and, for IPv4/IPv6, the addresses, protocol and (first fragment only) ports.
 */
export function vxlanSourcePort(frame: Uint8Array, off: number, len: number): number {
  let h = 0x811c9dc5;
  const end = off + len;
  h = mix(h, frame, off, Math.min(off + 14, end));
  if (len >= 14) {
    const type = (frame[off + 12]! << 8) | frame[off + 13]!;
    const ip = off + 14;
    if (type === ETHERTYPE_IPV4 && ip + 20 <= end) {
      h = mix(h, frame, ip + 9, ip + 10); // protocol
      h = mix(h, frame, ip + 12, ip + 20); // addresses (not the checksum, which changes)
      const ihl = (frame[ip]! & 0x0f) * 4;
      const proto = frame[ip + 9];
      const firstFragment = (((frame[ip + 6]! << 8) | frame[ip + 7]!) & 0x1fff) === 0;
      if (firstFragment && (proto === 6 || proto === 17) && ip + ihl + 4 <= end) h = mix(h, frame, ip + ihl, ip + ihl + 4);
    } else if (type === ETHERTYPE_IPV6 && ip + 40 <= end) {
      h = mix(h, frame, ip + 6, ip + 7);
      h = mix(h, frame, ip + 8, ip + 40);
      const proto = frame[ip + 6];
      if ((proto === 6 || proto === 17) && ip + 44 <= end) h = mix(h, frame, ip + 40, ip + 44);
    }
  }
  h ^= h >>> 16;
  return SRC_PORT_MIN + ((h >>> 0) % (SRC_PORT_MAX - SRC_PORT_MIN + 1));
}
