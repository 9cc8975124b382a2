// ARP for IPv4 over Ethernet (RFC 826): the fields the ARP guard and the ARP proxy need.

import { readMac, writeMac } from './mac.js';

export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
export const ARP_LEN = 28;

export interface ArpPacket {
  op: number;
  senderMac: number;
  senderIp: number;
  targetMac: number;
  targetIp: number;
}

export function newArpPacket(): ArpPacket {
  return { op: 0, senderMac: 0, senderIp: 0, targetMac: 0, targetIp: 0 };
}

function u32(buf: Uint8Array, p: number): number {
  return ((buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!) >>> 0;
}

/** Parses an Ethernet/IPv4 ARP packet at `off`; false for anything else or when truncated. */
export function parseArp(buf: Uint8Array, off: number, end: number, out: ArpPacket): boolean {
  if (off + ARP_LEN > end) return false;
  // htype 1 (Ethernet), ptype 0x0800, hlen 6, plen 4
  if (buf[off] !== 0 || buf[off + 1] !== 1 || buf[off + 2] !== 0x08 || buf[off + 3] !== 0x00) return false;
  if (buf[off + 4] !== 6 || buf[off + 5] !== 4) return false;
  out.op = (buf[off + 6]! << 8) | buf[off + 7]!;
  out.senderMac = readMac(buf, off + 8);
  out.senderIp = u32(buf, off + 14);
  out.targetMac = readMac(buf, off + 18);
  out.targetIp = u32(buf, off + 24);
  return true;
}

function writeU32(buf: Uint8Array, p: number, v: number): void {
  buf[p] = v >>> 24;
  buf[p + 1] = (v >>> 16) & 0xff;
  buf[p + 2] = (v >>> 8) & 0xff;
  buf[p + 3] = v & 0xff;
}

/** Writes a 28-byte ARP packet at `off`. */
export function writeArp(buf: Uint8Array, off: number, p: ArpPacket): void {
  buf[off] = 0; buf[off + 1] = 1; buf[off + 2] = 0x08; buf[off + 3] = 0;
  buf[off + 4] = 6; buf[off + 5] = 4;
  buf[off + 6] = p.op >>> 8; buf[off + 7] = p.op & 0xff;
  writeMac(buf, off + 8, p.senderMac);
  writeU32(buf, off + 14, p.senderIp);
  writeMac(buf, off + 18, p.targetMac);
  writeU32(buf, off + 24, p.targetIp);
}
