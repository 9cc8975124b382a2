// Typed binding for the native addon (native/*.c, built to native/build/Release/ixfabric.node).
//
// The addon is context aware: it can be loaded in the main thread and in worker threads.
// Control calls throw a NativeError (code = errno name such as 'ENODEV', errno = positive errno
// number, syscall = the failing call, e.g. 'ioctl(TUNSETIFF)'). The hot path (Poller, send)
// never throws for I/O conditions: it reports counts.
//
// Address table format (ADDR_SIZE = 32 bytes per entry), used for receive source addresses
// (Poller opts.addrs) and transmit destinations (send addrs):
//
//   bytes 0-1    family, u16 little-endian: 2 = IPv4, 10 = IPv6
//                (receive only: 17 = AF_PACKET, 1 = AF_UNIX, 0 = unknown)
//   bytes 2-3    port, u16 big-endian (AF_PACKET: the frame's ethertype as reported by the kernel)
//   bytes 4-7    IPv4 address (network order)                      when family = 2
//   bytes 4-19   IPv6 address (network order)                      when family = 10
//   bytes 20-23  IPv6 scope id, u32 little-endian (AF_PACKET: ifindex)
//   bytes 24-27  IPv6 flow info, u32 little-endian (AF_PACKET: byte 24 = packet type)
//   bytes 28-31  zero
//
// Raw IP sockets report port 0. An IPv4 raw socket delivers the IPv4 header in front of the
// payload; an IPv6 raw socket does not.
//
// Offload metadata (META_STRIDE = 4 u16 per frame), written by a Poller with `offload` and read
// by send() and segment(). Offsets count from the frame's first byte as delivered:
//
//   [0] META_GSO_TYPE    0 = an ordinary frame (checksums complete); else the virtio GSO type of a
//                        super-packet: 1 TCP/IPv4, 4 TCP/IPv6, 5 UDP (L4), + 0x80 ECN
//   [1] META_GSO_SIZE    payload bytes per wire segment (the MSS)
//   [2] META_L4_OFFSET   TCP/UDP header (its checksum field holds the pseudo-header sum)
//   [3] META_HDR_END     first payload byte (Ethernet + IP + TCP/UDP headers)
//
// A super-packet (up to 64 KiB of IP packet) stands for ceil((length - hdrEnd) / gsoSize) wire
// segments of hdrEnd + gsoSize bytes at most, the headers repeated in each.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { GsoSplitter } from './frame-batch.js';
import { findRepoRoot } from './repo-root.js';

/** Offload metadata: u16 entries per frame (see above); defined with FrameBatch. */
export { META_GSO_SIZE, META_GSO_TYPE, META_HDR_END, META_L4_OFFSET, META_STRIDE } from './frame-batch.js';

export const ADDR_SIZE = 32;
/** send() descriptor stride: [frameOffset, frameLength, headerOffset, headerLength, addrIndex]. */
export const DESC_STRIDE = 5;
/** Largest maxBatch a Poller accepts. */
export const MAX_BATCH = 1024;
export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_PACKET = 17;
/** Smallest slot capacity (slotSize - headroom) for a Poller with `offload` on a vnet descriptor. */
export const OFFLOAD_FRAME_MIN = 65535 + 14 + 8;
/** Minimum Poller headroom for AF_PACKET sockets (room to re-insert one VLAN tag). */
export const VLAN_HEADROOM = 4;

/** 'stream': one read()/writev() per frame (TAP). 'dgram': recvmmsg/sendmmsg (sockets). */
export type IoKind = 'stream' | 'dgram';
/** send() also takes 'packet': a socket the caller knows is AF_PACKET with PACKET_VNET_HDR (every
 *  packetOpen socket), which 'dgram' would find out with one getsockopt per call. */
export type SendKind = IoKind | 'packet';

export interface NativeError extends Error {
  /** errno name, e.g. 'ENODEV', 'EPERM'. */
  code: string;
  /** Positive errno number. */
  errno: number;
  /** The failing call, e.g. 'ioctl(TUNSETIFF)', 'bind', 'if_nametoindex'. */
  syscall: string;
}

export interface TapOpenOptions {
  mtu?: number;
  /** Open with IFF_VNET_HDR and a 10-byte virtio_net_hdr before every frame read or written; only
   *  Poller and send() (with `meta`) may then use the fd, and they handle the header. */
  vnetHdr?: boolean;
  /** Needs vnetHdr. TUNSETOFFLOAD with checksum, TSO4/6 (+ECN) and, on Linux >= 6.2, USO4/6: the
   *  kernel hands over unchecksummed frames and 64 KiB super-packets; read them with a Poller
   *  with `offload` (completes and carries them). Without it the TAP's offloads are cleared. */
  offload?: boolean;
}

export interface TapOpenResult {
  fd: number;
  /** The device name (the kernel's choice when a pattern like 'tap%d' was given). */
  name: string;
  /** TUN_F_* flags set with TUNSETOFFLOAD (0 without `offload`). */
  offloads: number;
}

export interface RawOpenOptions {
  /** IPv4 TTL of sent packets (IP_TTL); for IPv6 used as hop limit when hopLimit is absent. */
  ttl?: number;
  /** IPv6 hop limit of sent packets (IPV6_UNICAST_HOPS). */
  hopLimit?: number;
  /** IPv4: false clears DF (IP_PMTUDISC_DONT), true sets it (IP_PMTUDISC_DO); absent keeps the
   *  kernel default. IPv6: IPV6_DONTFRAG. */
  dontFragment?: boolean;
}

export interface PollerOptions {
  /** Bytes per slot in the slab; frame i of a batch is received at i*slotSize + headroom. */
  slotSize: number;
  /** Bytes kept free before each frame (>= 4 for AF_PACKET sockets; >= 10 lets the kernel put
   *  the virtio header of a packetOpen socket or a vnetHdr TAP there, which is cheaper than a
   *  separate buffer). */
  headroom: number;
  /** Frames per batch, 1..1024. The slab must hold maxBatch * slotSize bytes. */
  maxBatch: number;
  /** Written by native: offsets[j] is where delivered frame j starts in the slab. */
  offsets: Uint32Array;
  /** Written by native: lengths[j] is the length of delivered frame j. */
  lengths: Uint32Array;
  /** Optional: source address of delivered frame j at j*32 (dgram sockets only). */
  addrs?: Uint8Array | undefined;
  /**
   * Carry super-packets whole instead of segmenting them, on a descriptor with a virtio header
   * (a packetOpen socket, a TAP opened with vnetHdr): slots must then hold OFFLOAD_FRAME_MIN bytes
   * after the headroom, and frame j's offload metadata is written to meta[j*META_STRIDE ..].
   * Ordinary frames keep having their checksums completed. No effect on other descriptors
   * (their frames get meta type 0). Without it, a packet socket cuts super-packets into segments
   * and a vnet TAP drops them (it only gets them when opened with `offload`).
   */
  offload?: boolean | undefined;
  /** Required with `offload` (maxBatch * META_STRIDE entries); written by native when given. */
  meta?: Uint16Array | undefined;
  /** Batches per readiness event before yielding to the event loop (default 8). */
  maxBatchesPerEvent?: number | undefined;
}

export interface PollerStats {
  /** onBatch calls with a positive count. */
  batches: number;
  /** Frames delivered. */
  frames: number;
  /** Frames dropped because they did not fit in a slot (slotSize - headroom). */
  truncated: number;
  /** Receive errors (transient and fatal). */
  errors: number;
  /** AF_PACKET: CHECKSUM_PARTIAL frames whose TCP/UDP checksum was completed in software. */
  csumFixed: number;
  /** AF_PACKET: GSO/GRO super-packets cut into segments. */
  gsoSegmented: number;
  /** AF_PACKET: frames produced by segmentation (each also counts in `frames`). */
  gsoSegments: number;
  /** Super-packets dropped because they could not be segmented or carried (unknown GSO type,
   *  tunnel-encapsulated, malformed, a segment larger than the slot; a vnet TAP's super-packet
   *  without `offload`). */
  gsoDropped: number;
  /** With `offload`: super-packets delivered whole (each one frame in `frames`). */
  gsoCarried: number;
  /** With `offload`: wire segments the carried super-packets stand for. */
  gsoCarriedSegments: number;
}

/**
 * onBatch(count): count > 0 frames are ready in offsets/lengths(/addrs). count < 0 is -errno of
 * a fatal descriptor error (e.g. -ENETDOWN when an AF_PACKET interface went down or was deleted,
 * -EBADFD for a deleted TAP): polling has stopped; close the fd and re-attach.
 * It is safe to call stop() or close() from inside onBatch. A throw becomes an uncaught exception.
 */
export type OnBatch = (count: number) => void;

export interface Poller {
  /** Start polling (idempotent). While started the poller is kept alive by the event loop. */
  start(): void;
  /** Stop polling; can be started again. */
  stop(): void;
  /** Stop polling for good and release the uv handle. Does not close the fd. */
  close(): void;
  stats(): PollerStats;
  readonly fd: number;
  /** True while started and not closed (false after a fatal error was delivered). */
  readonly active: boolean;
  /** Super-packets are delivered whole (opts.offload on a descriptor with a virtio header). */
  readonly offload: boolean;
}

/**
 * One Poller per fd per thread (a second one for the same fd throws EEXIST until the first is
 * closed). Native keeps raw pointers into slab/offsets/lengths/addrs (and references to them):
 * never transfer or detach their ArrayBuffers while the poller exists. close() the poller before
 * closing its fd.
 */
export interface PollerConstructor {
  new (fd: number, kind: IoKind, slab: Uint8Array, opts: PollerOptions, onBatch: OnBatch): Poller;
}

export interface LocalAddress {
  family: number;
  address: string;
  port: number;
}

export interface NativeAddon {
  readonly ADDR_SIZE: number;
  readonly DESC_STRIDE: number;
  readonly MAX_BATCH: number;

  /** Create or attach TAP `name` (IFF_TAP|IFF_NO_PI), non-blocking, link up, MTU if given.
   *  With vnetHdr (+ offload) see TapOpenOptions: a Poller on the fd strips the virtio header
   *  (detected with TUNGETIFF), send() needs `meta` to write it. */
  tapOpen(name: string, opts?: TapOpenOptions): TapOpenResult;
  /**
   * Whether TAP reads and writes in this thread are submitted in batches through io_uring (one
   * system call per batch instead of one per frame); set up on first use. With an argument it is
   * turned on (where the kernel allows io_uring) or off (readv/writev per frame) first.
   */
  tapUring(enable?: boolean): boolean;
  /** 10 when every frame on `fd` carries a virtio_net_hdr (a packetOpen socket, a TAP opened with
   *  vnetHdr): such a descriptor takes super-packets on send() with `meta`. Else 0. */
  vnetHdrLen(fd: number): number;
  /**
   * AF_PACKET SOCK_RAW ETH_P_ALL bound to `ifname`, promiscuous, PACKET_IGNORE_OUTGOING,
   * PACKET_AUXDATA (VLAN tags re-inserted on receive), non-blocking. Works on a down interface
   * (frames flow once it is up).
   * Also PACKET_VNET_HDR: a Poller on this socket completes CHECKSUM_PARTIAL checksums and cuts
   * GSO/GRO super-packets (TCPv4/v6, UDP L4, up to 64 KiB) into MSS-sized frames in native code
   * (or, with `offload`, delivers them whole with metadata), and send() prepends the virtio header
   * (zeroed, or from `meta`); JS never sees it (see PollerStats).
   * Do not read or write this fd other than through Poller and send().
   */
  packetOpen(ifname: string): number;
  /** Non-blocking UDP socket bound to address:port ('' = wildcard; IPv6 sets IPV6_V6ONLY). */
  udpOpen(family: 4 | 6, address: string, port: number): number;
  /** Non-blocking raw IP socket for `protocol` (47 GRE/EoIP over IPv4, 97 EtherIP over IPv6). */
  rawOpen(family: 4 | 6, protocol: number, bindAddress?: string | null, opts?: RawOpenOptions): number;
  /** Non-blocking unix datagram socket bound to `path` ('@name' = abstract). For tests/tools. */
  unixDgramOpen(path: string): number;
  close(fd: number): void;
  /** getsockname(): family 2/10 with address and port; 17 (AF_PACKET) with port = protocol. */
  localAddress(fd: number): LocalAddress;

  /** Interface index, 0 when the interface does not exist (never throws for that). */
  ifIndex(name: string): number;
  ifSetUp(name: string): void;
  ifSetMtu(name: string, mtu: number): void;
  ifGetMtu(name: string): number;
  /** Lowercase 'xx:xx:xx:xx:xx:xx'. */
  ifGetMac(name: string): string;

  /** Send `state` to $NOTIFY_SOCKET ('@' = abstract). False when NOTIFY_SOCKET is unset. */
  sdNotify(state: string): boolean;
  /** The calling thread: SCHED_FIFO at `priority` 1..99, or ordinary scheduling for 0.
   *  Raising it needs CAP_SYS_NICE (throws EPERM, message says so). */
  setThreadPriority(priority: number): void;

  /**
   * Send a batch without blocking. desc holds DESC_STRIDE u32 per message: [frameOffset,
   * frameLength, headerOffset, headerLength, addrIndex]; header (if headerLength > 0) and frame
   * go out as one message. addrs (dgram IP sockets only; ignored for AF_PACKET and TAP) is the
   * destination table. Returns the number of messages accepted. Stops at EAGAIN/ENOBUFS; other
   * per-message errors skip the message and are counted in result = [errorCount, lastErrno].
   * Messages not attempted (tx full) = count - accepted - errorCount.
   * `meta` (optional, META_STRIDE entries per message, message i at i*META_STRIDE): offload
   * metadata. On a packetOpen socket a super-packet then goes out whole (the kernel segments it,
   * or hands it on as one); for 'stream' a non-null meta means the fd is a TAP opened with
   * vnetHdr (required for such a TAP, also for ordinary frames: type 0). A super-packet for a
   * descriptor without a virtio header throws: segment() it first.
   * Throws only for bad arguments (e.g. a descriptor outside the slab).
   */
  send(
    fd: number,
    kind: SendKind,
    slab: Uint8Array,
    desc: Uint32Array,
    count: number,
    addrs: Uint8Array | null,
    result: Int32Array | null,
    meta?: Uint16Array | null,
  ): number;

  /**
   * Cuts the super-packet src[off, off+len) (metadata meta[metaIndex*META_STRIDE ..]) into its
   * wire segments, every checksum complete, for descriptors that cannot take it (UDP, raw, a TAP
   * without virtio header): segment first+j goes to dst at j*slotSize + headroom, with
   * offsets[j]/lengths[j]. Stops when dst (dst.length / slotSize slots), offsets or lengths are
   * full. Returns how many were written (0 once first is past the last one), or -1 when the frame
   * cannot be segmented (its metadata does not describe it, or a segment does not fit a slot).
   */
  segment(
    src: Uint8Array,
    off: number,
    len: number,
    meta: Uint16Array,
    metaIndex: number,
    dst: Uint8Array,
    offsets: Uint32Array,
    lengths: Uint32Array,
    slotSize: number,
    headroom: number,
    first: number,
  ): number;

  Poller: PollerConstructor;
}

export const addonPath: string = join(findRepoRoot(import.meta.url), 'native', 'build', 'Release', 'ixfabric.node');

function load(): NativeAddon {
  const require = createRequire(import.meta.url);
  try {
    return require(addonPath) as NativeAddon;
  } catch (err) {
    if (!existsSync(addonPath)) {
      throw new Error(`ixfabric native addon not built (${addonPath}): run 'npm run build:native'`, {
        cause: err,
      });
    }
    throw err;
  }
}

export const native: NativeAddon = load();
export const Poller: PollerConstructor = native.Poller;

let splitter: GsoSplitter | undefined;

/** This thread's GsoSplitter over native.segment (created on first use: ~600 KB of scratch). */
export function gsoSplitter(): GsoSplitter {
  return (splitter ??= new GsoSplitter(native.segment)); // a plain function: no receiver needed
}

export function isNativeError(err: unknown): err is NativeError {
  return (
    err instanceof Error &&
    typeof (err as Partial<NativeError>).code === 'string' &&
    typeof (err as Partial<NativeError>).errno === 'number'
  );
}

// ---------- address table helpers ----------

export interface SockAddr {
  /** 2 (IPv4), 10 (IPv6), 17 (AF_PACKET), 1 (AF_UNIX) or 0. */
  family: number;
  /** Dotted IPv4 or RFC 5952 IPv6 text; '' for other families. */
  address: string;
  /** UDP port (0 for raw sockets); the ethertype for AF_PACKET. */
  port: number;
  /** IPv6 scope id; the ifindex for AF_PACKET. */
  scopeId: number;
}

/** Parse dotted-quad IPv4 into out[off..off+4]; false if not valid. */
export function parseIPv4(text: string, out: Uint8Array, off = 0): boolean {
  const parts = text.split('.');
  if (parts.length !== 4) return false;
  for (let i = 0; i < 4; i++) {
    const p = parts[i] as string;
    if (!/^\d{1,3}$/.test(p)) return false;
    const v = Number(p);
    if (v > 255) return false;
    out[off + i] = v;
  }
  return true;
}

function parseGroups(part: string, allowV4: boolean): number[] | null {
  if (part === '') return [];
  const groups = part.split(':');
  const words: number[] = [];
  const v4 = new Uint8Array(4);
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i] as string;
    if (allowV4 && i === groups.length - 1 && g.includes('.')) {
      if (!parseIPv4(g, v4)) return null;
      words.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      words.push(parseInt(g, 16));
    }
  }
  return words;
}

/** Parse IPv6 text (without scope) into out[off..off+16]; false if not valid. */
export function parseIPv6(text: string, out: Uint8Array, off = 0): boolean {
  const dbl = text.indexOf('::');
  if (dbl !== text.lastIndexOf('::')) return false;
  const head = parseGroups(dbl >= 0 ? text.slice(0, dbl) : text, dbl < 0);
  const tail = dbl >= 0 ? parseGroups(text.slice(dbl + 2), true) : [];
  if (head === null || tail === null) return false;
  if (dbl < 0 ? head.length !== 8 : head.length + tail.length > 7) return false;
  const words = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  for (let i = 0; i < 8; i++) {
    const w = words[i] as number;
    out[off + 2 * i] = w >> 8;
    out[off + 2 * i + 1] = w & 0xff;
  }
  return true;
}

/** Format 16 bytes as RFC 5952 text (IPv4-mapped as ::ffff:a.b.c.d). */
export function formatIPv6(b: Uint8Array, off = 0): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push(((b[off + 2 * i] as number) << 8) | (b[off + 2 * i + 1] as number));
  if (w[0] === 0 && w[1] === 0 && w[2] === 0 && w[3] === 0 && w[4] === 0 && w[5] === 0xffff) {
    return `::ffff:${b[off + 12]}.${b[off + 13]}.${b[off + 14]}.${b[off + 15]}`;
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]): string => a.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(w);
  return `${hex(w.slice(0, bestStart))}::${hex(w.slice(bestStart + bestLen))}`;
}

/**
 * Write an address table entry. `address` is IPv4 or IPv6 text; an IPv6 scope may be given as
 * 'fe80::1%eth0' or 'fe80::1%3' (or with the scopeId argument).
 */
export function encodeAddr(table: Uint8Array, index: number, address: string, port: number, scopeId = 0): void {
  const o = index * ADDR_SIZE;
  if (o < 0 || o + ADDR_SIZE > table.length) throw new RangeError(`address index ${index} outside the table`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`bad port ${port}`);
  table.fill(0, o, o + ADDR_SIZE);
  let family: number;
  if (parseIPv4(address, table, o + 4)) {
    family = AF_INET;
  } else {
    let text = address;
    const pct = text.indexOf('%');
    if (pct >= 0) {
      const scope = text.slice(pct + 1);
      text = text.slice(0, pct);
      scopeId = /^\d+$/.test(scope) ? Number(scope) : native.ifIndex(scope);
      if (scopeId === 0) throw new TypeError(`unknown IPv6 scope in ${address}`);
    }
    if (!parseIPv6(text, table, o + 4)) throw new TypeError(`not an IPv4 or IPv6 address: ${address}`);
    family = AF_INET6;
    table[o + 20] = scopeId & 0xff;
    table[o + 21] = (scopeId >>> 8) & 0xff;
    table[o + 22] = (scopeId >>> 16) & 0xff;
    table[o + 23] = (scopeId >>> 24) & 0xff;
  }
  table[o] = family;
  table[o + 1] = 0;
  table[o + 2] = port >> 8;
  table[o + 3] = port & 0xff;
}

/** Read an address table entry. */
export function decodeAddr(table: Uint8Array, index: number): SockAddr {
  const o = index * ADDR_SIZE;
  if (o < 0 || o + ADDR_SIZE > table.length) throw new RangeError(`address index ${index} outside the table`);
  const t = table;
  const family = (t[o] as number) | ((t[o + 1] as number) << 8);
  const port = ((t[o + 2] as number) << 8) | (t[o + 3] as number);
  const scopeId =
    ((t[o + 20] as number) | ((t[o + 21] as number) << 8) | ((t[o + 22] as number) << 16) | ((t[o + 23] as number) << 24)) >>> 0;
  let address = '';
  if (family === AF_INET) address = `${t[o + 4]}.${t[o + 5]}.${t[o + 6]}.${t[o + 7]}`;
  else if (family === AF_INET6) address = formatIPv6(t, o + 4);
  return { family, address, port, scopeId: family === AF_INET ? 0 : scopeId };
}
