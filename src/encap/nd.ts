// ICMPv6 neighbour discovery (RFC 4861): message types the guards act on, the target address
// of NS/NA/redirect, and the source/target link-layer address options.

import { readMac } from './mac.js';

export const ICMPV6_RS = 133;
export const ICMPV6_RA = 134;
export const ICMPV6_NS = 135;
export const ICMPV6_NA = 136;
export const ICMPV6_REDIRECT = 137;
export const ND_OPT_SLLA = 1;
export const ND_OPT_TLLA = 2;

export interface NdMessage {
  type: number;
  code: number;
  /** Offset of the 16-byte target address (NS, NA, redirect), else -1. */
  targetOffset: number;
  /** MAC from the source link-layer address option, or -1 when absent. */
  sourceLinkAddr: number;
  /** MAC from the target link-layer address option, or -1 when absent. */
  targetLinkAddr: number;
  /** NA flags byte (R=0x80, S=0x40, O=0x20). */
  flags: number;
}

export function newNdMessage(): NdMessage {
  return { type: 0, code: 0, targetOffset: -1, sourceLinkAddr: -1, targetLinkAddr: -1, flags: 0 };
}

/**
 * Parses the ICMPv6 message at `off`; `end` is the end of the IPv6 payload (not the frame:
 * Ethernet padding is not an option). Non-ND types parse to just type and code.
 * Returns false when the message or an option is truncated or has a zero option length.
 */
export function parseNd(buf: Uint8Array, off: number, end: number, out: NdMessage): boolean {
  if (off + 4 > end) return false;
  out.type = buf[off]!;
  out.code = buf[off + 1]!;
  out.targetOffset = -1;
  out.sourceLinkAddr = -1;
  out.targetLinkAddr = -1;
  out.flags = 0;
  let optStart: number;
  switch (out.type) {
    case ICMPV6_RS: optStart = off + 8; break;
    case ICMPV6_RA: optStart = off + 16; break;
    case ICMPV6_NS: optStart = off + 24; out.targetOffset = off + 8; break;
    case ICMPV6_NA: optStart = off + 24; out.targetOffset = off + 8; out.flags = buf[off + 4] ?? 0; break;
    case ICMPV6_REDIRECT: optStart = off + 40; out.targetOffset = off + 8; break;
    default: return true;
  }
  if (optStart > end) return false;
  let p = optStart;
  while (p + 2 <= end) {
    const type = buf[p]!;
    const len = buf[p + 1]! * 8;
    if (len === 0 || p + len > end) return false;
    if ((type === ND_OPT_SLLA || type === ND_OPT_TLLA) && len >= 8) {
      const mac = readMac(buf, p + 2);
      if (type === ND_OPT_SLLA) out.sourceLinkAddr = mac;
      else out.targetLinkAddr = mac;
    }
    p += len;
  }
  return p === end;
}
