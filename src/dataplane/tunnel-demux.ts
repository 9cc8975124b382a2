// Maps a received tunnel packet to its port by (remote address, tunnel key): the VNI for
// VXLAN, the tunnel id for EoIP. Remote addresses come from the native address table entry
// (family at +0, address at +4). IPv4 remotes key by their 32-bit address; IPv6 remotes by a
// hash of the 16 bytes, verified byte for byte. The last hit is cached, because a receive
// batch usually holds many packets of one flow. Lookups allocate nothing.

import { parseIpv4Address, parseIpv6Address, ipv6Equals } from '../encap/ip.js';

const AF_INET = 2;
const AF_INET6 = 10;
const TWO_32 = 4294967296;

interface Remote {
  /** 16-byte IPv6 address, null for IPv4. */
  v6: Uint8Array | null;
  ports: Map<number, number>;
}

function u32(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}

function hash16(b: Uint8Array, p: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < 16; i++) h = Math.imul(h ^ b[p + i]!, 0x01000193);
  return h >>> 0;
}

export class TunnelDemux {
  private readonly remotes = new Map<number, Remote[]>();
  private lastRemote = -1;
  private lastKey = -1;
  private lastPort = -1;
  private lastV6: Uint8Array | null = null;

  /** Registers `port` for (remote, key). Throws if the pair is taken or the address is bad. */
  add(remote: string, key: number, port: number): void {
    const r = this.remoteFor(remote, true)!;
    if (r.ports.has(key)) throw new Error(`tunnel ${remote} key ${key} is already in use`);
    r.ports.set(key, port);
    this.lastRemote = -1;
  }

  remove(remote: string, key: number): boolean {
    const r = this.remoteFor(remote, false);
    this.lastRemote = -1;
    return r?.ports.delete(key) ?? false;
  }

  get size(): number {
    let n = 0;
    for (const list of this.remotes.values()) for (const r of list) n += r.ports.size;
    return n;
  }

  /** Port for the source address at addrs[off] and `key`, or -1 when unknown. */
  lookup(addrs: Uint8Array, off: number, key: number): number {
    const family = addrs[off]! | (addrs[off + 1]! << 8);
    let rk: number;
    if (family === AF_INET) rk = u32(addrs, off + 4);
    else if (family === AF_INET6) rk = TWO_32 + hash16(addrs, off + 4);
    else return -1;
    if (rk === this.lastRemote && key === this.lastKey && (this.lastV6 === null || ipv6Equals(addrs, off + 4, this.lastV6))) return this.lastPort;
    const list = this.remotes.get(rk);
    if (list === undefined) return -1;
    for (const r of list) {
      if (r.v6 !== null && !ipv6Equals(addrs, off + 4, r.v6)) continue;
      const port = r.ports.get(key);
      if (port === undefined) return -1;
      this.lastRemote = rk;
      this.lastKey = key;
      this.lastPort = port;
      this.lastV6 = r.v6;
      return port;
    }
    return -1;
  }

  private remoteFor(remote: string, create: boolean): Remote | undefined {
    const v4 = parseIpv4Address(remote);
    const v6 = v4 === null ? parseIpv6Address(remote) : null;
    if (v4 === null && v6 === null) throw new Error(`not an IP address: ${remote}`);
    const rk = v4 !== null ? v4 : TWO_32 + hash16(v6!, 0);
    let list = this.remotes.get(rk);
    if (list === undefined) {
      if (!create) return undefined;
      this.remotes.set(rk, (list = []));
    }
    let r = list.find((x) => (v6 === null ? x.v6 === null : x.v6 !== null && ipv6Equals(v6, 0, x.v6)));
    if (r === undefined && create) list.push((r = { v6, ports: new Map() }));
    return r;
  }
}
