// Shared by the offload tests (packet-offload, gso-carry): checksums and parsing, a payload
// pattern, veth pairs into namespaces, TCP sources and sinks in them, and crafted offloaded
// packets (virtio header + frame) with the exact segments they stand for.
import type { Test } from 'tap';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';

export const run = (cmd: string, ...args: string[]): string =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
export const ip = (...args: string[]): string => run('ip', ...args);
export const nsRun = (ns: string, cmd: string, ...args: string[]): string => run('ip', 'netns', 'exec', ns, cmd, ...args);
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function until(pred: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) return false;
    await sleep(5);
  }
  return true;
}

export const hasPython = spawnSync('python3', ['-c', 'import socket'], { stdio: 'ignore' }).status === 0;
export const hasEthtool = spawnSync('ethtool', ['--version'], { stdio: 'ignore' }).status === 0;

/** Whether this kernel can create VLAN devices (CONFIG_VLAN_8021Q). */
export function vlanSupported(): boolean {
  const ns = `ixov${randomBytes(3).toString('hex')}`;
  if (spawnSync('ip', ['netns', 'add', ns]).status !== 0) return false;
  try {
    return (
      spawnSync('ip', ['-n', ns, 'link', 'add', 'link', 'lo', 'name', 'lo.5', 'type', 'vlan', 'id', '5']).status === 0
    );
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
}

export function quiet(name: string): void {
  try {
    writeFileSync(`/proc/sys/net/ipv6/conf/${name}/disable_ipv6`, '1'); // no autoconf noise
  } catch {
    /* no ipv6 */
  }
}

// ---------- checksums and parsing ----------

export function sum16(b: Uint8Array, off: number, len: number, init = 0): number {
  let s = init;
  let i = 0;
  for (; i + 1 < len; i += 2) s += ((b[off + i] as number) << 8) | (b[off + i + 1] as number);
  if (i < len) s += (b[off + i] as number) << 8;
  return s;
}

export function fold(s: number): number {
  while (s > 0xffff) s = (s % 0x10000) + Math.floor(s / 0x10000);
  return s;
}

export interface Parsed {
  tagged: boolean;
  l3: number;
  v6: boolean;
  proto: number;
  l4: number;
  l4len: number;
  /** IPv4 more-fragments or offset set. */
  fragment: boolean;
}

/** Ethernet (+ tags) + IPv4/IPv6 (no extension headers) frames; null for anything else. */
export function parse(f: Buffer): Parsed | null {
  let o = 12;
  let tagged = false;
  while (f.length >= o + 2 && (f.readUInt16BE(o) === 0x8100 || f.readUInt16BE(o) === 0x88a8)) {
    o += 4;
    tagged = true;
  }
  if (f.length < o + 2) return null;
  const et = f.readUInt16BE(o);
  const l3 = o + 2;
  if (et === 0x0800 && f.length >= l3 + 20) {
    const ihl = ((f[l3] as number) & 15) * 4;
    const tot = f.readUInt16BE(l3 + 2);
    return {
      tagged,
      l3,
      v6: false,
      proto: f[l3 + 9] as number,
      l4: l3 + ihl,
      l4len: tot - ihl,
      fragment: (f.readUInt16BE(l3 + 6) & 0x3fff) !== 0,
    };
  }
  if (et === 0x86dd && f.length >= l3 + 40) {
    return { tagged, l3, v6: true, proto: f[l3 + 6] as number, l4: l3 + 40, l4len: f.readUInt16BE(l3 + 4), fragment: false };
  }
  return null;
}

export function ipv4HeaderOk(f: Buffer, p: Parsed): boolean {
  return p.v6 || fold(sum16(f, p.l3, ((f[p.l3] as number) & 15) * 4)) === 0xffff;
}

export function l4ChecksumOk(f: Buffer, p: Parsed): boolean {
  let s = 0;
  if (p.proto === 17 && !p.v6 && f.readUInt16BE(p.l4 + 6) === 0) return true; // no UDP checksum
  if (p.v6) s = sum16(f, p.l3 + 8, 32) + p.l4len + p.proto;
  else s = sum16(f, p.l3 + 12, 8) + p.proto + p.l4len;
  return fold(sum16(f, p.l4, p.l4len, s)) === 0xffff;
}

/** Problems of one frame: IPv4 header and TCP/UDP checksums, also of a VXLAN-encapsulated frame. */
export function check(f: Buffer): string | null {
  const p = parse(f);
  if (p === null || p.fragment || (p.proto !== 6 && p.proto !== 17)) return null;
  if (!ipv4HeaderOk(f, p)) return 'IPv4 header checksum';
  if (!l4ChecksumOk(f, p)) return `${p.proto === 6 ? 'TCP' : 'UDP'} checksum`;
  if (p.proto === 17 && f.readUInt16BE(p.l4 + 2) === 4789) {
    const inner = check(f.subarray(p.l4 + 16, p.l4 + p.l4len));
    return inner === null ? null : `inner ${inner}`;
  }
  return null;
}

/** Deterministic payload pattern shared with the child processes. */
export const PATTERN_SRC = 'function pattern(n){const b=Buffer.alloc(n);for(let i=0;i<n;i++)b[i]=(i*131+(i>>>9)*7+(i>>>17))&255;return b}';
export const pattern = new Function(`${PATTERN_SRC}; return pattern;`)() as (n: number) => Buffer;

// ---------- topology ----------

export interface Pair {
  nsA: string;
  nsB: string;
  /** Interfaces inside A / B carrying the addresses (a VLAN subinterface when tagged). */
  devA: string;
  devB: string;
  /** veth ends in A and B. */
  vethA: string;
  vethB: string;
  /** veth ends in our namespace. */
  x: string;
  y: string;
  addrA: string;
  addrB: string;
}

export function uniq(): string {
  return 'ixo' + randomBytes(3).toString('hex').slice(0, 5);
}

export function makePair(t: Test, opts: { v6?: boolean; vlan?: number } = {}): Pair {
  const p = uniq();
  const nsA = `${p}A`;
  const nsB = `${p}B`;
  const x = `${p}x`;
  const y = `${p}y`;
  const vethA = `${p}a`;
  const vethB = `${p}b`;
  for (const ns of [nsA, nsB]) {
    ip('netns', 'add', ns);
    t.teardown(() => {
      try {
        ip('netns', 'del', ns); // takes the veth ends inside (and so their peers) with it
      } catch {
        /* gone */
      }
    });
    ip('-n', ns, 'link', 'set', 'lo', 'up');
  }
  ip('link', 'add', vethA, 'type', 'veth', 'peer', 'name', x);
  ip('link', 'add', vethB, 'type', 'veth', 'peer', 'name', y);
  t.teardown(() => {
    for (const n of [x, y]) {
      try {
        ip('link', 'del', n);
      } catch {
        /* gone with the namespace */
      }
    }
  });
  ip('link', 'set', vethA, 'netns', nsA);
  ip('link', 'set', vethB, 'netns', nsB);
  for (const n of [x, y]) {
    quiet(n);
    ip('link', 'set', n, 'up');
  }
  const addrA = opts.v6 ? 'fd00:1f::1' : '10.231.0.1';
  const addrB = opts.v6 ? 'fd00:1f::2' : '10.231.0.2';
  const pfx = opts.v6 ? '64' : '24';
  const devs: string[] = [];
  for (const [ns, veth, addr] of [
    [nsA, vethA, addrA],
    [nsB, vethB, addrB],
  ] as const) {
    ip('-n', ns, 'link', 'set', veth, 'up');
    let dev: string = veth;
    if (opts.vlan !== undefined) {
      // A VLAN device with tx-vlan offload (veth has it): the tag travels in skb metadata.
      dev = `${veth}.${opts.vlan}`;
      ip('-n', ns, 'link', 'add', 'link', veth, 'name', dev, 'type', 'vlan', 'id', String(opts.vlan));
      ip('-n', ns, 'link', 'set', dev, 'up');
    }
    ip('-n', ns, 'addr', 'add', `${addr}/${pfx}`, 'dev', dev, ...(opts.v6 ? ['nodad'] : []));
    devs.push(dev);
  }
  return { nsA, nsB, devA: devs[0] as string, devB: devs[1] as string, vethA, vethB, x, y, addrA, addrB };
}

/** Turn offloads on for A's veth and return `ethtool -k` for it. */
export function offloadsOn(pair: Pair): string {
  nsRun(pair.nsA, 'ethtool', '-K', pair.vethA, 'tx', 'on', 'tso', 'on', 'gso', 'on');
  return nsRun(pair.nsA, 'ethtool', '-k', pair.vethA);
}

/** Run `node -e code args...` in a namespace; resolves with stdout once it exits. */
export function nodeIn(
  ns: string,
  code: string,
  args: string[],
  onLine?: (line: string) => void,
  timeoutMs = 30_000,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', code, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let pending = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      pending += d.toString();
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        onLine?.(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (c) => {
      clearTimeout(timer);
      resolve({ code: c, out, err });
    });
  });
}

export const TCP_SINK = `
const net = require('net');
const h = require('crypto').createHash('sha256');
let n = 0;
const srv = net.createServer((s) => {
  s.on('data', (d) => { h.update(d); n += d.length; });
  s.on('end', () => { console.log(JSON.stringify({ bytes: n, sha256: h.digest('hex') })); s.end(); srv.close(); });
});
srv.listen(Number(process.argv[2]), process.argv[1], () => console.log('ready'));
setTimeout(() => process.exit(3), 25000).unref();
`;

export const TCP_SOURCE = `${PATTERN_SRC}
const net = require('net');
const s = net.connect(Number(process.argv[2]), process.argv[1], () => { s.end(pattern(Number(process.argv[3]))); });
s.on('data', () => {});
s.on('close', (e) => process.exit(e ? 1 : 0));
s.on('error', (e) => { console.error(e.message); process.exit(2); });
`;

/** Reassemble one direction of a TCP connection from the frames by sequence number. */
export class Stream {
  isn: number | null = null;
  readonly data: Buffer;
  readonly have: Uint8Array;
  segments = 0;
  constructor(
    readonly port: number,
    size: number,
  ) {
    this.data = Buffer.alloc(size);
    this.have = new Uint8Array(size);
  }
  frame(f: Buffer): void {
    const p = parse(f);
    if (p === null || p.proto !== 6 || p.fragment) return;
    if (f.readUInt16BE(p.l4 + 2) !== this.port) return;
    const seq = f.readUInt32BE(p.l4 + 4);
    const flags = f[p.l4 + 13] as number;
    if (flags & 0x02) {
      this.isn = seq;
      return;
    }
    if (this.isn === null) return;
    const doff = ((f[p.l4 + 12] as number) >> 4) * 4;
    const payload = f.subarray(p.l4 + doff, p.l4 + p.l4len);
    if (payload.length === 0) return;
    const at = (seq - this.isn - 1) >>> 0;
    this.segments++;
    if (at + payload.length > this.data.length) return;
    payload.copy(this.data, at);
    this.have.fill(1, at, at + payload.length);
  }
  complete(): boolean {
    return this.have.every((b) => b === 1);
  }
}

// ---------- crafted super-packets (exact segment contents) ----------

// Writes virtio_net_hdr + frame (hex, one pair per line on stdin) to an AF_PACKET socket with
// PACKET_VNET_HDR: the kernel turns them into GSO / CHECKSUM_PARTIAL skbs on the veth, and the
// peer's socket reads them back as offloaded packets.
export const INJECT = `
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
s.setsockopt(263, 15, 1)  # SOL_PACKET, PACKET_VNET_HDR
s.bind((sys.argv[1], 0))
for line in sys.stdin:
    if line.strip():
        s.send(bytes.fromhex(line.strip()))
`;

export function vnetHdr(flags: number, gsoType: number, hdrLen: number, gsoSize: number, csumStart: number, csumOffset: number): Buffer {
  const b = Buffer.alloc(10);
  b[0] = flags;
  b[1] = gsoType;
  b.writeUInt16LE(hdrLen, 2);
  b.writeUInt16LE(gsoSize, 4);
  b.writeUInt16LE(csumStart, 6);
  b.writeUInt16LE(csumOffset, 8);
  return b;
}

export const MAC = Buffer.from('02aabbccdd0202aabbccdd01', 'hex');
export const V4 = { src: Buffer.from([10, 9, 0, 1]), dst: Buffer.from([10, 9, 0, 2]) };
export const V6 = { src: Buffer.from('fd00000000000000000000000000000a', 'hex'), dst: Buffer.from('fd00000000000000000000000000000b', 'hex') };

export function l2(tag: number | null, et: number): Buffer {
  const b = Buffer.alloc(tag === null ? 14 : 18);
  MAC.copy(b, 0);
  if (tag !== null) {
    b.writeUInt16BE(0x8100, 12);
    b.writeUInt16BE(tag, 14);
  }
  b.writeUInt16BE(et, b.length - 2);
  return b;
}

export function ipv4(l4len: number, proto: number, id: number, options = 0): Buffer {
  const ihl = 20 + options;
  const h = Buffer.alloc(ihl);
  h[0] = 0x40 | (ihl / 4);
  h.writeUInt16BE(ihl + l4len, 2);
  h.writeUInt16BE(id, 4);
  h.writeUInt16BE(0x4000, 6); // DF
  h[8] = 64;
  h[9] = proto;
  V4.src.copy(h, 12);
  V4.dst.copy(h, 16);
  h.fill(1, 20); // NOP options
  h.writeUInt16BE(0xffff - fold(sum16(h, 0, ihl)), 10);
  return h;
}

export function ipv6(l4len: number, proto: number): Buffer {
  const h = Buffer.alloc(40);
  h.writeUInt32BE(0x60000000, 0);
  h.writeUInt16BE(l4len, 4);
  h[6] = proto;
  h[7] = 64;
  V6.src.copy(h, 8);
  V6.dst.copy(h, 24);
  return h;
}

export function pseudoSum(v6: boolean, proto: number, l4len: number): number {
  return v6 ? sum16(V6.src, 0, 16) + sum16(V6.dst, 0, 16) + l4len + proto : sum16(V4.src, 0, 4) + sum16(V4.dst, 0, 4) + proto + l4len;
}

export function tcp(seq: number, flags: number, optLen: number): Buffer {
  const h = Buffer.alloc(20 + optLen);
  h.writeUInt16BE(40000, 0);
  h.writeUInt16BE(179, 2);
  h.writeUInt32BE(seq, 4);
  h.writeUInt32BE(0x01020304, 8);
  h[12] = ((20 + optLen) / 4) << 4;
  h[13] = flags;
  h.writeUInt16BE(65000, 14);
  if (optLen) {
    h.fill(1, 20); // NOPs, then a timestamp option
    if (optLen >= 12) Buffer.from([1, 1, 8, 10, 0, 0, 0, 7, 0, 0, 0, 9]).copy(h, 20 + optLen - 12);
  }
  return h;
}

export function udp(len: number): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(4000, 0);
  h.writeUInt16BE(4001, 2);
  h.writeUInt16BE(len, 4);
  return h;
}

/** Set the L4 checksum field to the pseudo-header sum, as CHECKSUM_PARTIAL senders do. */
export function partial(l4: Buffer, field: number, v6: boolean, proto: number, l4len: number): void {
  l4.writeUInt16BE(fold(pseudoSum(v6, proto, l4len)), field);
}

/** Full checksum of an L4 header + payload into the header's checksum field. */
export function complete(l4: Buffer, field: number, payload: Buffer, v6: boolean, proto: number): void {
  l4.writeUInt16BE(0, field);
  const len = l4.length + payload.length;
  let c = 0xffff - fold(sum16(payload, 0, payload.length, sum16(l4, 0, l4.length, pseudoSum(v6, proto, len))));
  if (c === 0 && proto === 17) c = 0xffff;
  l4.writeUInt16BE(c, field);
}

export interface Crafted {
  name: string;
  wire: Buffer; // virtio header + frame as injected
  expect: Buffer[]; // frames JS must see
}

export function tcpGso(opts: { v6: boolean; tag: number | null; payload: number; mss: number; flags: number; ecn: boolean; ipopt?: number; tcpopt?: number }): Crafted {
  const { v6, tag, mss } = opts;
  const payload = pattern(opts.payload + 11).subarray(11);
  const seq0 = 0xfffff000; // wraps during the stream
  const id0 = 0xfffe; // wraps too
  const th = tcp(seq0, opts.flags, opts.tcpopt ?? 0);
  const e = l2(tag, v6 ? 0x86dd : 0x0800);
  const iph = v6 ? ipv6(th.length + payload.length, 6) : ipv4(th.length + payload.length, 6, id0, opts.ipopt ?? 0);
  partial(th, 16, v6, 6, th.length + payload.length);
  const l4 = e.length + iph.length;
  const vh = vnetHdr(1, (v6 ? 4 : 1) | (opts.ecn ? 0x80 : 0), l4 + th.length, mss, l4, 16);
  const wire = Buffer.concat([vh, e, iph, th, payload]);
  const expect: Buffer[] = [];
  const n = Math.ceil(payload.length / mss);
  for (let k = 0; k < n; k++) {
    const seg = payload.subarray(k * mss, Math.min(payload.length, (k + 1) * mss));
    const t2 = Buffer.from(th);
    t2.writeUInt32BE((seq0 + k * mss) >>> 0, 4);
    let f = opts.flags;
    if (k > 0) f &= ~0x80;
    if (k < n - 1) f &= ~0x09;
    t2[13] = f;
    complete(t2, 16, seg, v6, 6);
    const i2 = v6 ? ipv6(t2.length + seg.length, 6) : ipv4(t2.length + seg.length, 6, (id0 + k) & 0xffff, opts.ipopt ?? 0);
    expect.push(Buffer.concat([e, i2, t2, seg]));
  }
  return { name: `TCP/IPv${v6 ? 6 : 4}${tag !== null ? ' tagged' : ''} ${payload.length}B mss ${mss}`, wire, expect };
}

export function udpGso(v6: boolean, tag: number | null, total: number, size: number): Crafted {
  const payload = pattern(total + 3).subarray(3);
  const e = l2(tag, v6 ? 0x86dd : 0x0800);
  const uh = udp(8 + total);
  const iph = v6 ? ipv6(8 + total, 17) : ipv4(8 + total, 17, 100);
  partial(uh, 6, v6, 17, 8 + total);
  const l4 = e.length + iph.length;
  const wire = Buffer.concat([vnetHdr(1, 5, l4 + 8, size, l4, 6), e, iph, uh, payload]);
  const expect: Buffer[] = [];
  for (let o = 0, k = 0; o < total; o += size, k++) {
    const seg = payload.subarray(o, Math.min(total, o + size));
    const u2 = udp(8 + seg.length);
    complete(u2, 6, seg, v6, 17);
    expect.push(Buffer.concat([e, v6 ? ipv6(8 + seg.length, 17) : ipv4(8 + seg.length, 17, 100 + k), u2, seg]));
  }
  return { name: `UDP GSO IPv${v6 ? 6 : 4}${tag !== null ? ' tagged' : ''}`, wire, expect };
}

export function tcpPartial(tag: number | null): Crafted {
  const payload = pattern(333);
  const th = tcp(1000, 0x18, 0);
  const e = l2(tag, 0x0800);
  const iph = ipv4(th.length + payload.length, 6, 7);
  partial(th, 16, false, 6, th.length + payload.length);
  const wire = Buffer.concat([vnetHdr(1, 0, 0, 0, e.length + 20, 16), e, iph, th, payload]);
  const t2 = Buffer.from(th);
  complete(t2, 16, payload, false, 6);
  return { name: `CHECKSUM_PARTIAL TCP${tag !== null ? ' tagged' : ''}`, wire, expect: [Buffer.concat([e, iph, t2, payload])] };
}

/** A veth pair: one end in a fresh namespace where crafted packets are injected, the other here. */
export function injector(t: Test): { rxIf: string; inject(wires: Buffer[]): void } {
  const p = uniq();
  const ns = `${p}I`;
  const inj = `${p}i`;
  const rxIf = `${p}j`;
  ip('netns', 'add', ns);
  t.teardown(() => ip('netns', 'del', ns));
  ip('link', 'add', inj, 'type', 'veth', 'peer', 'name', rxIf);
  t.teardown(() => {
    try {
      ip('link', 'del', rxIf);
    } catch {
      /* gone with the namespace */
    }
  });
  ip('link', 'set', inj, 'netns', ns);
  ip('-n', ns, 'link', 'set', inj, 'up');
  quiet(rxIf);
  ip('link', 'set', rxIf, 'up');
  try {
    nsRun(ns, 'sysctl', '-qw', `net.ipv6.conf.${inj}.disable_ipv6=1`);
  } catch {
    /* no ipv6 */
  }
  return {
    rxIf,
    inject(wires) {
      const r = spawnSync('ip', ['netns', 'exec', ns, 'python3', '-c', INJECT, inj], {
        input: wires.map((w) => w.toString('hex')).join('\n') + '\n',
      });
      if (r.status !== 0) throw new Error(`inject failed: ${r.stderr?.toString()}`);
    },
  };
}

export function sameFrames(t: Test, name: string, got: Buffer[], expect: Buffer[]): void {
  t.equal(got.length, expect.length, `${name}: exactly ${expect.length} frames`);
  let exact = 0;
  for (let k = 0; k < expect.length; k++) {
    if (got[k]?.equals(expect[k] as Buffer)) exact++;
    else t.fail(`${name}: frame ${k} differs\n got ${got[k]?.toString('hex')}\nwant ${expect[k]?.toString('hex')}`);
  }
  t.equal(exact, expect.length, `${name}: every frame byte-exact, in order`);
}

// (Order matters for the burst below: with 4 slots, plain + the 3-segment packet fill the first
// batch exactly, so the plain frame after it must wait for the next batch.)
export const craftedCases = (): Crafted[] => [
  tcpGso({ v6: true, tag: null, payload: 3001, mss: 1200, flags: 0x18, ecn: false, tcpopt: 12 }),
  tcpGso({ v6: false, tag: 100, payload: 5000, mss: 1000, flags: 0x80 | 0x10 | 0x08 | 0x01, ecn: true, ipopt: 4 }),
  tcpGso({ v6: false, tag: null, payload: 1448 * 44, mss: 1448, flags: 0x10, ecn: false, tcpopt: 12 }),
  udpGso(true, 0x2005, 2500, 1000),
  udpGso(false, null, 1000, 1000),
  tcpPartial(null),
  tcpPartial(42),
];

/** A plain frame nobody offloads (local experimental ethertype). */
export function plain(marker: number, size = 100): Crafted {
  const f = pattern(size + marker).subarray(marker);
  MAC.copy(f, 0);
  f.writeUInt16BE(0x88b5, 12);
  return { name: `plain ${marker}`, wire: Buffer.concat([Buffer.alloc(10), f]), expect: [Buffer.from(f)] };
}

// headroom 64: the virtio header lands in the slot headroom; headroom 4: it gets an iovec of its own.
