// Builds whole frames for tests, benchmarks, lab tools and the fabric's own control traffic
// (never on the forwarding path: every call allocates). Addresses are given as text.

import { writeArp } from './arp.js';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from './ethernet.js';
import { foldChecksum, icmpv6Checksum, IPPROTO_ICMPV6, IPPROTO_UDP, onesSum, parseIpv4Address, parseIpv6Address } from './ip.js';
import { parseMac, writeMac } from './mac.js';
import { ICMPV6_NA, ICMPV6_NS, ND_OPT_SLLA, ND_OPT_TLLA } from './nd.js';

function mac(text: string): number {
  const m = parseMac(text);
  if (m === null) throw new Error(`bad MAC ${text}`);
  return m;
}

function v4(text: string): number {
  const a = parseIpv4Address(text);
  if (a === null) throw new Error(`bad IPv4 address ${text}`);
  return a;
}

function v6(text: string): Uint8Array {
  const a = parseIpv6Address(text);
  if (a === null) throw new Error(`bad IPv6 address ${text}`);
  return a;
}

export interface EthernetOptions {
  dst: string;
  src: string;
  ethertype: number;
  /** VLAN tags, outermost first: [tpid, vid]. */
  tags?: [number, number][];
  /** Pad to 60 bytes as an Ethernet NIC would (default true). */
  pad?: boolean;
}

export function ethernetFrame(o: EthernetOptions, payload: Uint8Array): Buffer {
  const tags = o.tags ?? [];
  const hdr = 14 + tags.length * 4;
  const len = Math.max(hdr + payload.length, o.pad === false ? 0 : 60);
  const f = Buffer.alloc(len);
  writeMac(f, 0, mac(o.dst));
  writeMac(f, 6, mac(o.src));
  let p = 12;
  for (const [tpid, vid] of tags) {
    f.writeUInt16BE(tpid, p);
    f.writeUInt16BE(vid & 0x0fff, p + 2);
    p += 4;
  }
  f.writeUInt16BE(o.ethertype, p);
  f.set(payload, hdr);
  return f;
}

export interface ArpOptions {
  op: 1 | 2;
  senderMac: string;
  senderIp: string;
  targetMac?: string;
  targetIp: string;
  /** Ethernet addresses, default: source = senderMac, destination broadcast (request) or targetMac. */
  ethSrc?: string;
  ethDst?: string;
  tags?: [number, number][];
}

export function arpFrame(o: ArpOptions): Buffer {
  const p = Buffer.alloc(28);
  const targetMac = o.targetMac ?? '00:00:00:00:00:00';
  writeArp(p, 0, { op: o.op, senderMac: mac(o.senderMac), senderIp: v4(o.senderIp), targetMac: mac(targetMac), targetIp: v4(o.targetIp) });
  const dst = o.ethDst ?? (o.op === 1 ? 'ff:ff:ff:ff:ff:ff' : targetMac);
  return ethernetFrame({ dst, src: o.ethSrc ?? o.senderMac, ethertype: ETHERTYPE_ARP, tags: o.tags }, p);
}

export function ipv4Packet(src: string, dst: string, protocol: number, payload: Uint8Array, ttl = 64, id = 0): Buffer {
  const p = Buffer.alloc(20 + payload.length);
  p[0] = 0x45;
  p.writeUInt16BE(p.length, 2);
  p.writeUInt16BE(id, 4);
  p[8] = ttl;
  p[9] = protocol;
  p.writeUInt32BE(v4(src), 12);
  p.writeUInt32BE(v4(dst), 16);
  p.writeUInt16BE(foldChecksum(onesSum(p, 0, 20, 0)), 10);
  p.set(payload, 20);
  return p;
}

export function udpDatagram(sport: number, dport: number, payload: Uint8Array): Buffer {
  const u = Buffer.alloc(8 + payload.length);
  u.writeUInt16BE(sport, 0);
  u.writeUInt16BE(dport, 2);
  u.writeUInt16BE(u.length, 4);
  u.set(payload, 8);
  return u; // checksum 0: allowed for IPv4
}

export function ipv6Packet(src: string, dst: string, nextHeader: number, payload: Uint8Array, hopLimit = 64): Buffer {
  const p = Buffer.alloc(40 + payload.length);
  p[0] = 0x60;
  p.writeUInt16BE(payload.length, 4);
  p[6] = nextHeader;
  p[7] = hopLimit;
  p.set(v6(src), 8);
  p.set(v6(dst), 24);
  p.set(payload, 40);
  return p;
}

/** An IPv6 packet carrying ICMPv6 with a correct checksum. */
export function icmpv6Packet(src: string, dst: string, icmp: Uint8Array, hopLimit = 255): Buffer {
  const p = ipv6Packet(src, dst, IPPROTO_ICMPV6, icmp, hopLimit);
  p.writeUInt16BE(0, 42);
  p.writeUInt16BE(icmpv6Checksum(p, 0, 40, icmp.length), 42);
  return p;
}

/** Solicited-node multicast address of `addr`. */
export function solicitedNode(addr: string): string {
  const a = v6(addr);
  return `ff02::1:ff${a[13]!.toString(16).padStart(2, '0')}:${((a[14]! << 8) | a[15]!).toString(16)}`;
}

/** IPv6 multicast address to its 33:33:xx:xx:xx:xx MAC. */
export function multicastMac6(addr: string): string {
  const a = v6(addr);
  return ['33', '33', ...[12, 13, 14, 15].map((i) => a[i]!.toString(16).padStart(2, '0'))].join(':');
}

export interface NdOptions {
  type: typeof ICMPV6_NS | typeof ICMPV6_NA;
  srcMac: string;
  srcIp: string;
  target: string;
  /** Default: solicited-node of target (NS) or ff02::1 (NA). */
  dstIp?: string;
  dstMac?: string;
  /** Link-layer address option (SLLA for NS, TLLA for NA); default srcMac; null = none. */
  linkAddr?: string | null;
  flags?: number;
  tags?: [number, number][];
}

export function ndFrame(o: NdOptions): Buffer {
  const withOpt = o.linkAddr !== null;
  const icmp = Buffer.alloc(24 + (withOpt ? 8 : 0));
  icmp[0] = o.type;
  if (o.type === ICMPV6_NA) icmp[4] = o.flags ?? 0x60;
  icmp.set(v6(o.target), 8);
  if (withOpt) {
    icmp[24] = o.type === ICMPV6_NS ? ND_OPT_SLLA : ND_OPT_TLLA;
    icmp[25] = 1;
    writeMac(icmp, 26, mac(o.linkAddr ?? o.srcMac));
  }
  const dstIp = o.dstIp ?? (o.type === ICMPV6_NS ? solicitedNode(o.target) : 'ff02::1');
  const ip = icmpv6Packet(o.srcIp, dstIp, icmp);
  return ethernetFrame({ dst: o.dstMac ?? multicastMac6(dstIp), src: o.srcMac, ethertype: ETHERTYPE_IPV6, tags: o.tags }, ip);
}

/** An IPv4 UDP frame. */
export function udp4Frame(o: { dst: string; src: string; srcIp: string; dstIp: string; sport: number; dport: number; payload?: Uint8Array; tags?: [number, number][] }): Buffer {
  const ip = ipv4Packet(o.srcIp, o.dstIp, IPPROTO_UDP, udpDatagram(o.sport, o.dport, o.payload ?? Buffer.alloc(0)));
  return ethernetFrame({ dst: o.dst, src: o.src, ethertype: ETHERTYPE_IPV4, tags: o.tags }, ip);
}

/** An IPv4 ICMP echo request frame of exactly `size` bytes (at least 42). */
export function icmpEchoFrame(o: { dst: string; src: string; srcIp: string; dstIp: string; size?: number; tags?: [number, number][] }): Buffer {
  const size = Math.max(o.size ?? 98, 42);
  const icmp = Buffer.alloc(size - 14 - 20 - (o.tags?.length ?? 0) * 4);
  icmp[0] = 8;
  icmp.writeUInt16BE(foldChecksum(onesSum(icmp, 0, icmp.length, 0)), 2);
  return ethernetFrame({ dst: o.dst, src: o.src, ethertype: ETHERTYPE_IPV4, tags: o.tags, pad: false }, ipv4Packet(o.srcIp, o.dstIp, 1, icmp));
}

