// Just enough IPv4 and IPv6 to apply the peering-LAN guards: addresses, the upper-layer
// protocol behind IPv6 extension headers, fragment position, UDP ports, and the Internet
// checksum for the frames the ARP/ND proxy writes. Addresses are numbers (IPv4) or four
// 32-bit words (IPv6) so guards compare them without allocating.

import { isIPv4, isIPv6 } from 'node:net';

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_GRE = 47;
export const IPPROTO_ETHERIP = 97;
const IPV6_HOPOPTS = 0;
const IPV6_ROUTING = 43;
const IPV6_FRAGMENT = 44;
const IPV6_DSTOPTS = 60;
const IPV6_NONE = 59;

export interface Ipv4Header {
  headerLength: number;
  totalLength: number;
  protocol: number;
  src: number;
  dst: number;
  ttl: number;
  /** True for any fragment but the first: it carries no upper-layer header. */
  laterFragment: boolean;
  payloadOffset: number;
}

export function newIpv4Header(): Ipv4Header {
  return { headerLength: 0, totalLength: 0, protocol: 0, src: 0, dst: 0, ttl: 0, laterFragment: false, payloadOffset: 0 };
}

function u32(buf: Uint8Array, p: number): number {
  return ((buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!) >>> 0;
}

/** Parses an IPv4 header at `off`; `end` is the end of the available bytes. */
export function parseIpv4(buf: Uint8Array, off: number, end: number, out: Ipv4Header): boolean {
  if (off + 20 > end) return false;
  const vihl = buf[off]!;
  if (vihl >> 4 !== 4) return false;
  const hl = (vihl & 0x0f) * 4;
  if (hl < 20 || off + hl > end) return false;
  const total = (buf[off + 2]! << 8) | buf[off + 3]!;
  if (total < hl) return false;
  out.headerLength = hl;
  out.totalLength = total;
  out.ttl = buf[off + 8]!;
  out.protocol = buf[off + 9]!;
  out.src = u32(buf, off + 12);
  out.dst = u32(buf, off + 16);
  out.laterFragment = (((buf[off + 6]! << 8) | buf[off + 7]!) & 0x1fff) !== 0;
  out.payloadOffset = off + hl;
  return true;
}

export interface Ipv6Header {
  /** Offset of the source address (16 bytes); the destination follows it. */
  srcOffset: number;
  hopLimit: number;
  payloadLength: number;
  /** Upper-layer protocol after the extension headers, or -1 when it cannot be found. */
  protocol: number;
  /** True for any fragment but the first. */
  laterFragment: boolean;
  payloadOffset: number;
}

export function newIpv6Header(): Ipv6Header {
  return { srcOffset: 0, hopLimit: 0, payloadLength: 0, protocol: -1, laterFragment: false, payloadOffset: 0 };
}

/**
 * Parses an IPv6 header and walks hop-by-hop, routing, fragment and destination-options
 * headers to the upper layer (RFC 7112: a first fragment must hold the whole chain).
 * Returns false when the header or the chain is truncated.
 */
export function parseIpv6(buf: Uint8Array, off: number, end: number, out: Ipv6Header): boolean {
  if (off + 40 > end) return false;
  if (buf[off]! >> 4 !== 6) return false;
  out.payloadLength = (buf[off + 4]! << 8) | buf[off + 5]!;
  out.hopLimit = buf[off + 7]!;
  out.srcOffset = off + 8;
  out.laterFragment = false;
  let next = buf[off + 6]!;
  let p = off + 40;
  for (let i = 0; i < 8; i++) {
    if (next === IPV6_HOPOPTS || next === IPV6_ROUTING || next === IPV6_DSTOPTS) {
      if (p + 8 > end) return false;
      const len = (buf[p + 1]! + 1) * 8;
      next = buf[p]!;
      p += len;
      if (p > end) return false;
    } else if (next === IPV6_FRAGMENT) {
      if (p + 8 > end) return false;
      const fragOffset = ((buf[p + 2]! << 8) | buf[p + 3]!) >> 3;
      next = buf[p]!;
      p += 8;
      if (fragOffset !== 0) {
        out.laterFragment = true;
        break;
      }
    } else break;
  }
  if (next === IPV6_HOPOPTS || next === IPV6_ROUTING || next === IPV6_DSTOPTS || next === IPV6_FRAGMENT) {
    if (!out.laterFragment) return false; // chain longer than we walk: treat as malformed
  }
  out.protocol = next === IPV6_NONE ? -1 : next;
  out.payloadOffset = p;
  return true;
}

/** Ones-complement sum of buf[off, off+len) added to `sum` (not folded). */
export function onesSum(buf: Uint8Array, off: number, len: number, sum: number): number {
  let i = 0;
  for (; i + 1 < len; i += 2) sum += (buf[off + i]! << 8) | buf[off + i + 1]!;
  if (i < len) sum += buf[off + i]! << 8;
  return sum;
}

export function foldChecksum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/** ICMPv6 checksum over the pseudo-header (addresses of the IPv6 header at `ipOff`). */
export function icmpv6Checksum(buf: Uint8Array, ipOff: number, icmpOff: number, icmpLen: number): number {
  let sum = onesSum(buf, ipOff + 8, 32, 0);
  sum += icmpLen + IPPROTO_ICMPV6;
  sum = onesSum(buf, icmpOff, icmpLen, sum);
  return foldChecksum(sum);
}

/** Dotted-quad to number; null when it is not an IPv4 address. */
export function parseIpv4Address(text: string): number | null {
  if (!isIPv4(text)) return null;
  return text.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

export function formatIpv4Address(n: number): string {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
}

/** IPv6 text to 16 bytes; null when it is not an IPv6 address. */
export function parseIpv6Address(text: string): Uint8Array | null {
  if (!isIPv6(text)) return null;
  let s = text;
  const out = new Uint8Array(16);
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const n = parseIpv4Address(v4[1]!);
    if (n === null) return null;
    s = s.slice(0, -v4[1]!.length) + ((n >>> 16).toString(16) + ':' + (n & 0xffff).toString(16));
  }
  const [head, tail] = s.includes('::') ? s.split('::') as [string, string] : [s, null];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === null ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) return null;
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

/** 16 bytes to RFC 5952 text. */
export function formatIpv6Address(b: Uint8Array, off = 0): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[off + i * 2]! << 8) | b[off + i * 2 + 1]!);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = g.map((v) => v.toString(16));
  if (bestStart < 0) return hex.join(':');
  return hex.slice(0, bestStart).join(':') + '::' + hex.slice(bestStart + bestLen).join(':');
}

/** Compares 16 bytes at buf[off] with address `addr`. */
export function ipv6Equals(buf: Uint8Array, off: number, addr: Uint8Array, addrOff = 0): boolean {
  for (let i = 0; i < 16; i++) if (buf[off + i] !== addr[addrOff + i]) return false;
  return true;
}

export function isIpv6LinkLocal(buf: Uint8Array, off: number): boolean {
  return buf[off] === 0xfe && (buf[off + 1]! & 0xc0) === 0x80;
}

export function isIpv6Unspecified(buf: Uint8Array, off: number): boolean {
  for (let i = 0; i < 16; i++) if (buf[off + i] !== 0) return false;
  return true;
}
