// Address → MAC bindings for the ARP/ND proxy: configured (a member with one MAC) or learned
// from ARP and NS/NA that passed the member's guards. Lookups allocate nothing; IPv6
// addresses are bucketed by a hash of their 16 bytes and compared byte by byte.

import { ipv6Equals } from '../encap/ip.js';

interface V6Binding {
  addr: Uint8Array;
  mac: number;
  fixed: boolean;
}

function hash6(buf: Uint8Array, off: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < 16; i++) h = Math.imul(h ^ buf[off + i]!, 0x01000193);
  return h >>> 0;
}

export class NeighborTable {
  private readonly v4 = new Map<number, number>();
  private readonly v4Fixed = new Set<number>();
  private readonly v6 = new Map<number, V6Binding[]>();

  /** A configured binding: learning never overrides it. */
  setFixed4(ip: number, mac: number): void {
    this.v4.set(ip, mac);
    this.v4Fixed.add(ip);
  }

  setFixed6(addr: Uint8Array, mac: number): void {
    this.put6(addr, 0, mac, true);
  }

  learn4(ip: number, mac: number): void {
    if (ip === 0 || this.v4Fixed.has(ip)) return;
    if (this.v4.get(ip) !== mac) this.v4.set(ip, mac);
  }

  learn6(buf: Uint8Array, off: number, mac: number): void {
    this.put6(buf, off, mac, false);
  }

  lookup4(ip: number): number {
    return this.v4.get(ip) ?? -1;
  }

  lookup6(buf: Uint8Array, off: number): number {
    const bucket = this.v6.get(hash6(buf, off));
    if (bucket === undefined) return -1;
    for (const b of bucket) if (ipv6Equals(buf, off, b.addr)) return b.mac;
    return -1;
  }

  clear(): void {
    this.v4.clear();
    this.v4Fixed.clear();
    this.v6.clear();
  }

  get size(): number {
    let n = this.v4.size;
    for (const b of this.v6.values()) n += b.length;
    return n;
  }

  private put6(buf: Uint8Array, off: number, mac: number, fixed: boolean): void {
    const h = hash6(buf, off);
    let bucket = this.v6.get(h);
    if (bucket === undefined) this.v6.set(h, (bucket = []));
    for (const b of bucket) {
      if (!ipv6Equals(buf, off, b.addr)) continue;
      if (fixed || !b.fixed) {
        b.mac = mac;
        b.fixed ||= fixed;
      }
      return;
    }
    bucket.push({ addr: buf.slice(off, off + 16), mac, fixed });
  }
}
