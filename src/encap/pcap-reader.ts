// Reader for classic pcap and pcapng captures, over an in-memory byte array.
//
// Formats:
//  * classic pcap, either byte order, microsecond (0xa1b2c3d4) and nanosecond (0xa1b23c4d)
//    magic, plus the old "modified pcap" (0xa1b2cd34, 24-byte record headers);
//  * pcapng: SHB (either byte order, any number of sections, each with its own byte order and
//    interfaces), IDB (link type, snaplen, if_tsresol, if_tsoffset), EPB, SPB, the obsolete
//    Packet Block; every other block type (NRB, ISB, DSB, custom, systemd journal, ...) is
//    skipped using its length.
//
// Records are yielded lazily; `data` is a subarray view of the input (never a copy), so it stays
// valid only as long as the caller does not modify the input.
//
// Error policy. Everything the reader reports is a PcapError (message ends "at offset N"); any
// other exception would be a bug. Structure that is wrong (as opposed to merely cut short) always
// throws, in both modes:
//  * input shorter than 4 bytes, unknown magic, classic file header shorter than 24 bytes,
//    classic major version other than 2, pcapng major version other than 1;
//  * classic record with caplen > max(snaplen, maxCaplen option, default 262144): garbage length;
//  * pcapng block length < 12 or not a multiple of 4, trailing block length different from the
//    leading one, block too short for its fixed fields, SHB byte-order magic wrong, option
//    overrunning its block, EPB/OPB caplen larger than the block, EPB/OPB referencing an
//    interface not defined in the current section, SPB before any IDB or whose captured length
//    (min(origLen, snaplen of interface 0)) does not fit in the block.
// Truncation of the final record is reported differently depending on `lenient`:
//  * classic: fewer than 16 (24) bytes left for a record header, or fewer than caplen bytes left
//    for the packet data;
//  * pcapng: fewer than 12 bytes left for a block header, or a block length running past the end
//    of the input.
// Strict mode (default) throws PcapError("truncated ..."); lenient mode stops quietly after the
// last complete record and sets `truncated: true`.
// Tolerated anomalies (recorded in `warnings`, never thrown): caplen > snaplen (snaplen != 0),
// caplen > origLen, microsecond field >= 1e6 (tsNsec is reported as read, not normalised).
//
// Termination: every loop step consumes at least 12 bytes, so iteration is bounded by the input
// length whatever the content.

import { readFile } from 'node:fs/promises';
import {
  LinkType,
  MAX_PLAUSIBLE_CAPLEN,
  PCAPNG_BT_EPB,
  PCAPNG_BT_IDB,
  PCAPNG_BT_OPB,
  PCAPNG_BT_SHB,
  PCAPNG_BT_SPB,
  PCAPNG_BYTE_ORDER_MAGIC,
  PCAPNG_OPT_ENDOFOPT,
  PCAPNG_OPT_IF_FCSLEN,
  PCAPNG_OPT_IF_TSOFFSET,
  PCAPNG_OPT_IF_TSRESOL,
  PCAPNG_VERSION_MAJOR,
  PCAP_FILE_HEADER_LEN,
  PCAP_MAGIC_MODIFIED,
  PCAP_MAGIC_NS,
  PCAP_MAGIC_US,
  PCAP_VERSION_MAJOR,
  PcapError,
} from './pcap-format.js';

export {
  LinkType,
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
  PcapError,
} from './pcap-format.js';

/** One captured packet. */
export interface PcapRecord {
  /** LINKTYPE_* of the interface the packet was captured on. */
  linkType: number;
  /**
   * Seconds since the epoch (pcapng: after if_tsoffset). Values beyond 2^53 (only possible with
   * absurd pcapng timestamps) are approximate. SPB records carry no timestamp: 0.
   */
  tsSec: number;
  /** Nanoseconds within the second (classic microsecond files: usec * 1000, as stored). */
  tsNsec: number;
  /** Bytes captured (= data.length). */
  caplen: number;
  /** Length of the packet on the wire. */
  origLen: number;
  /** Captured bytes: a subarray view of the input, not a copy. */
  data: Uint8Array;
  /**
   * Index into the reader's `interfaces`. Classic pcap: always 0. pcapng: global across sections
   * (for a single-section file it equals the EPB interface id).
   */
  interfaceId: number;
}

export type PcapFormat = 'pcap' | 'pcapng';

/** An interface (classic pcap: the file header; pcapng: one IDB). */
export interface PcapInterface {
  linkType: number;
  /** 0 means "no limit" in pcapng. */
  snaplen: number;
  /** pcapng section index (0 for classic pcap). */
  section: number;
  /** Interface id inside its section (what EPBs reference). */
  localId: number;
  /** Raw if_tsresol byte (classic: 6 for microsecond, 9 for nanosecond files). */
  tsresol: number;
  /** if_tsoffset in seconds (0 when absent). */
  tsOffset: number;
  /** if_fcslen when present (classic: from the FCS bits of the link-type field), else null. */
  fcsLen: number | null;
  /** 'le' or 'be': byte order of the file (classic) or of the section (pcapng). */
  byteOrder: 'le' | 'be';
}

export interface PcapReadOptions {
  /** Stop quietly (and set `truncated`) instead of throwing on a truncated final record/block. */
  lenient?: boolean;
  /**
   * Classic pcap: the largest caplen accepted when above the file's snaplen (default 262144).
   * Larger lengths are taken as corruption.
   */
  maxCaplen?: number;
}

export interface PcapReadResult {
  format: PcapFormat;
  records: PcapRecord[];
  /** Only ever true in lenient mode: the input ended inside a record or block. */
  truncated: boolean;
  interfaces: PcapInterface[];
  /** Tolerated anomalies, each with its byte offset (at most MAX_WARNINGS are kept). */
  warnings: string[];
  /** Number of pcapng blocks skipped because they carry no packet (NRB, ISB, custom, ...). */
  skippedBlocks: number;
}

/** How many warning strings a reader keeps (the rest are only counted in warningCount). */
export const MAX_WARNINGS = 100;

/** Identify a capture by its first four bytes; null when it is neither pcap nor pcapng. */
export function detectPcapFormat(bytes: Uint8Array): PcapFormat | null {
  if (bytes.length < 4) return null;
  const be = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  const le = ((bytes[3]! << 24) | (bytes[2]! << 16) | (bytes[1]! << 8) | bytes[0]!) >>> 0;
  if (be === PCAPNG_BT_SHB) return 'pcapng';
  for (const m of [PCAP_MAGIC_US, PCAP_MAGIC_NS, PCAP_MAGIC_MODIFIED]) {
    if (be === m || le === m) return 'pcap';
  }
  return null;
}

/**
 * Converts 64-bit pcapng timestamps (hi, lo in units of 1/10^n or 1/2^n s) to seconds and
 * nanoseconds exactly. Decimal resolutions up to nanoseconds take a Number-only fast path that
 * caches the conversion of the high word (it changes every ~4.3 s at nanosecond resolution).
 */
class TsConverter {
  sec = 0;
  nsec = 0;
  private readonly fast: boolean;
  private readonly units: number;
  private readonly nsMul: number;
  private readonly unitsBig: bigint;
  private readonly binary: boolean;
  private readonly exp: number;
  private lastHi = -1;
  private baseSec = 0;
  private baseRem = 0;

  constructor(
    tsresol: number,
    private readonly offset: number,
  ) {
    this.binary = (tsresol & 0x80) !== 0;
    this.exp = tsresol & 0x7f;
    this.fast = !this.binary && this.exp <= 9;
    this.units = this.fast ? 10 ** this.exp : 0;
    this.nsMul = this.fast ? 10 ** (9 - this.exp) : 0;
    this.unitsBig = this.binary ? 1n << BigInt(this.exp) : 10n ** BigInt(this.exp);
  }

  convert(hi: number, lo: number): void {
    if (this.fast) {
      if (hi !== this.lastHi) {
        const t = BigInt(hi) << 32n;
        this.baseSec = Number(t / this.unitsBig);
        this.baseRem = Number(t % this.unitsBig);
        this.lastHi = hi;
      }
      // baseRem < 1e9 and lo < 2^32: the sum is far below 2^53, so this is exact.
      const s = this.baseRem + lo;
      const q = Math.floor(s / this.units);
      this.sec = this.baseSec + q + this.offset;
      this.nsec = (s - q * this.units) * this.nsMul;
      return;
    }
    const t = (BigInt(hi) << 32n) | BigInt(lo);
    const rem = t % this.unitsBig;
    this.sec = Number(t / this.unitsBig) + this.offset;
    if (this.binary) this.nsec = Number((rem * 1_000_000_000n) / this.unitsBig);
    else this.nsec = Number(rem / 10n ** BigInt(this.exp - 9));
  }
}

interface NgInterface {
  info: PcapInterface;
  globalId: number;
  ts: TsConverter;
}

/**
 * Lazily iterates over the packets of a pcap or pcapng capture. The constructor only identifies
 * the format (PcapError on unknown magic); iteration does the parsing. Each new iteration starts
 * from the beginning and resets `truncated`, `interfaces`, `warnings` and `skippedBlocks`.
 */
export class PcapReader implements Iterable<PcapRecord> {
  readonly format: PcapFormat;
  /** Set in lenient mode when the input ended inside a record or block. */
  truncated = false;
  /** Interfaces seen so far (classic: one, from the file header). */
  interfaces: PcapInterface[] = [];
  warnings: string[] = [];
  warningCount = 0;
  skippedBlocks = 0;

  private readonly bytes: Uint8Array;
  private readonly dv: DataView;
  private readonly lenient: boolean;
  private readonly maxCaplen: number;

  constructor(bytes: Uint8Array, options: PcapReadOptions = {}) {
    this.bytes = bytes;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.lenient = options.lenient === true;
    this.maxCaplen = options.maxCaplen ?? MAX_PLAUSIBLE_CAPLEN;
    if (bytes.length < 4) {
      throw new PcapError(`input too short for a capture (${bytes.length} bytes)`, 0);
    }
    const format = detectPcapFormat(bytes);
    if (format === null) {
      const hex = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join('');
      throw new PcapError(`unknown capture magic 0x${hex}`, 0);
    }
    this.format = format;
  }

  [Symbol.iterator](): Generator<PcapRecord, void, undefined> {
    this.truncated = false;
    this.interfaces = [];
    this.warnings = [];
    this.warningCount = 0;
    this.skippedBlocks = 0;
    return this.format === 'pcap' ? this.readClassic() : this.readNg();
  }

  private warn(message: string, offset: number): void {
    this.warningCount++;
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push(`${message} at offset ${offset}`);
  }

  /** Strict: throw. Lenient: remember and let the caller stop. */
  private truncate(what: string, offset: number): void {
    if (!this.lenient) throw new PcapError(`truncated ${what}`, offset);
    this.truncated = true;
  }

  private *readClassic(): Generator<PcapRecord, void, undefined> {
    const { bytes, dv } = this;
    const len = bytes.length;
    if (len < PCAP_FILE_HEADER_LEN) {
      throw new PcapError(`pcap file header truncated (${len} of ${PCAP_FILE_HEADER_LEN} bytes)`, 0);
    }
    const le = [PCAP_MAGIC_US, PCAP_MAGIC_NS, PCAP_MAGIC_MODIFIED].includes(dv.getUint32(0, true));
    const magic = dv.getUint32(0, le);
    const nano = magic === PCAP_MAGIC_NS;
    const hdrLen = magic === PCAP_MAGIC_MODIFIED ? 24 : 16;
    const major = dv.getUint16(4, le);
    if (major !== PCAP_VERSION_MAJOR) {
      throw new PcapError(`unsupported pcap version ${major}.${dv.getUint16(6, le)}`, 4);
    }
    const snaplen = dv.getUint32(16, le);
    const network = dv.getUint32(20, le);
    const linkType = network & 0xffff;
    // Bit 26 (F) set: bits 28-31 give the FCS length in 16-bit words.
    const fcsLen = (network & 0x04000000) !== 0 ? (network >>> 28) * 2 : null;
    this.interfaces.push({
      linkType,
      snaplen,
      section: 0,
      localId: 0,
      tsresol: nano ? 9 : 6,
      tsOffset: 0,
      fcsLen,
      byteOrder: le ? 'le' : 'be',
    });
    const limit = Math.max(snaplen, this.maxCaplen);
    const fracMul = nano ? 1 : 1000;
    const fracMax = nano ? 1_000_000_000 : 1_000_000;

    let off = PCAP_FILE_HEADER_LEN;
    while (off < len) {
      if (len - off < hdrLen) {
        this.truncate(`record header (${len - off} of ${hdrLen} bytes)`, off);
        return;
      }
      const sec = dv.getUint32(off, le);
      const frac = dv.getUint32(off + 4, le);
      const caplen = dv.getUint32(off + 8, le);
      const origLen = dv.getUint32(off + 12, le);
      if (caplen > limit) {
        throw new PcapError(
          `implausible record caplen ${caplen} (snaplen ${snaplen}, limit ${limit})`,
          off + 8,
        );
      }
      const dataStart = off + hdrLen;
      if (caplen > len - dataStart) {
        this.truncate(`record data (caplen ${caplen}, ${len - dataStart} bytes left)`, off);
        return;
      }
      if (snaplen !== 0 && caplen > snaplen) this.warn(`caplen ${caplen} > snaplen ${snaplen}`, off + 8);
      if (caplen > origLen) this.warn(`caplen ${caplen} > origLen ${origLen}`, off + 8);
      if (frac >= fracMax) this.warn(`fractional timestamp ${frac} out of range`, off + 4);
      yield {
        linkType,
        tsSec: sec,
        tsNsec: frac * fracMul,
        caplen,
        origLen,
        data: bytes.subarray(dataStart, dataStart + caplen),
        interfaceId: 0,
      };
      off = dataStart + caplen;
    }
  }

  private *readNg(): Generator<PcapRecord, void, undefined> {
    const { bytes, dv } = this;
    const len = bytes.length;
    let le = true;
    let section = -1;
    let ifaces: NgInterface[] = [];

    let off = 0;
    while (off < len) {
      if (len - off < 12) {
        this.truncate(`block header (${len - off} of 12 bytes)`, off);
        return;
      }
      if (dv.getUint32(off, true) === PCAPNG_BT_SHB) {
        const bom = dv.getUint32(off + 8, true);
        if (bom === PCAPNG_BYTE_ORDER_MAGIC) le = true;
        else if (bom === 0x4d3c2b1a) le = false;
        else throw new PcapError(`bad SHB byte-order magic 0x${bom.toString(16)}`, off + 8);
      }
      const type = dv.getUint32(off, le);
      const blockLen = dv.getUint32(off + 4, le);
      if (blockLen < 12) throw new PcapError(`block length ${blockLen} < 12`, off + 4);
      if (blockLen % 4 !== 0) throw new PcapError(`block length ${blockLen} not a multiple of 4`, off + 4);
      if (blockLen > len - off) {
        this.truncate(`block (type 0x${type.toString(16)}, length ${blockLen}, ${len - off} bytes left)`, off);
        return;
      }
      const trailer = dv.getUint32(off + blockLen - 4, le);
      if (trailer !== blockLen) {
        throw new PcapError(`trailing block length ${trailer} != ${blockLen}`, off + blockLen - 4);
      }
      const body = off + 8;
      const bodyEnd = off + blockLen - 4;
      const need = (min: number, name: string): void => {
        if (blockLen < min) throw new PcapError(`${name} block length ${blockLen} < ${min}`, off + 4);
      };

      switch (type) {
        case PCAPNG_BT_SHB: {
          need(28, 'SHB');
          const major = dv.getUint16(body + 4, le);
          if (major !== PCAPNG_VERSION_MAJOR) {
            throw new PcapError(`unsupported pcapng version ${major}.${dv.getUint16(body + 6, le)}`, body + 4);
          }
          section++;
          ifaces = [];
          break;
        }
        case PCAPNG_BT_IDB: {
          need(20, 'IDB');
          const info: PcapInterface = {
            linkType: dv.getUint16(body, le),
            snaplen: dv.getUint32(body + 4, le),
            section,
            localId: ifaces.length,
            tsresol: 6,
            tsOffset: 0,
            fcsLen: null,
            byteOrder: le ? 'le' : 'be',
          };
          let o = body + 8;
          while (bodyEnd - o >= 4) {
            const code = dv.getUint16(o, le);
            const optLen = dv.getUint16(o + 2, le);
            if (code === PCAPNG_OPT_ENDOFOPT) break;
            if (optLen > bodyEnd - o - 4) {
              throw new PcapError(`IDB option ${code} (length ${optLen}) overruns its block`, o);
            }
            if (code === PCAPNG_OPT_IF_TSRESOL && optLen >= 1) info.tsresol = bytes[o + 4]!;
            else if (code === PCAPNG_OPT_IF_TSOFFSET && optLen === 8) {
              info.tsOffset = Number(dv.getBigInt64(o + 4, le));
            } else if (code === PCAPNG_OPT_IF_FCSLEN && optLen >= 1) info.fcsLen = bytes[o + 4]!;
            o += 4 + ((optLen + 3) & ~3);
          }
          ifaces.push({
            info,
            globalId: this.interfaces.length,
            ts: new TsConverter(info.tsresol, info.tsOffset),
          });
          this.interfaces.push(info);
          break;
        }
        case PCAPNG_BT_EPB:
        case PCAPNG_BT_OPB: {
          const epb = type === PCAPNG_BT_EPB;
          need(32, epb ? 'EPB' : 'OPB');
          const id = epb ? dv.getUint32(body, le) : dv.getUint16(body, le);
          const iface = ifaces[id];
          if (iface === undefined) {
            throw new PcapError(
              `${epb ? 'EPB' : 'OPB'} references interface ${id}, section ${section} has ${ifaces.length}`,
              body,
            );
          }
          const caplen = dv.getUint32(body + 12, le);
          const origLen = dv.getUint32(body + 16, le);
          const dataStart = body + 20;
          if (caplen > bodyEnd - dataStart) {
            throw new PcapError(`packet caplen ${caplen} larger than its block (${bodyEnd - dataStart})`, body + 12);
          }
          const { snaplen } = iface.info;
          if (snaplen !== 0 && caplen > snaplen) this.warn(`caplen ${caplen} > snaplen ${snaplen}`, body + 12);
          if (caplen > origLen) this.warn(`caplen ${caplen} > origLen ${origLen}`, body + 12);
          iface.ts.convert(dv.getUint32(body + 4, le), dv.getUint32(body + 8, le));
          yield {
            linkType: iface.info.linkType,
            tsSec: iface.ts.sec,
            tsNsec: iface.ts.nsec,
            caplen,
            origLen,
            data: bytes.subarray(dataStart, dataStart + caplen),
            interfaceId: iface.globalId,
          };
          break;
        }
        case PCAPNG_BT_SPB: {
          need(16, 'SPB');
          const iface = ifaces[0];
          if (iface === undefined) throw new PcapError(`SPB before any IDB in section ${section}`, off);
          const origLen = dv.getUint32(body, le);
          const { snaplen } = iface.info;
          const caplen = snaplen !== 0 && origLen > snaplen ? snaplen : origLen;
          const dataStart = body + 4;
          if (caplen > bodyEnd - dataStart) {
            throw new PcapError(`SPB captured length ${caplen} larger than its block (${bodyEnd - dataStart})`, body);
          }
          yield {
            linkType: iface.info.linkType,
            tsSec: 0,
            tsNsec: 0,
            caplen,
            origLen,
            data: bytes.subarray(dataStart, dataStart + caplen),
            interfaceId: iface.globalId,
          };
          break;
        }
        default:
          this.skippedBlocks++;
      }
      off += blockLen;
    }
  }
}

/** Generator over the records of a capture (see PcapReader for errors and options). */
export function iteratePcap(
  bytes: Uint8Array,
  options?: PcapReadOptions,
): Generator<PcapRecord, void, undefined> {
  return new PcapReader(bytes, options)[Symbol.iterator]();
}

/** Parse a whole capture. Records are views into `bytes`. */
export function readPcap(bytes: Uint8Array, options?: PcapReadOptions): PcapReadResult {
  const reader = new PcapReader(bytes, options);
  const records: PcapRecord[] = [];
  for (const r of reader) records.push(r);
  return {
    format: reader.format,
    records,
    truncated: reader.truncated,
    interfaces: reader.interfaces,
    warnings: reader.warnings,
    skippedBlocks: reader.skippedBlocks,
  };
}

/** Convenience: read a file into memory and parse it. */
export async function readPcapFile(path: string, options?: PcapReadOptions): Promise<PcapReadResult> {
  const buf = await readFile(path);
  return readPcap(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), options);
}

// ---------------------------------------------------------------------------------------------
// Conversion to Ethernet

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ARPHRD_NETLINK = 824;
const SLL_PACKET_BROADCAST = 1;
/** Linux "protocol" values below 0x0600 that mean an 802.2 LLC (or Novell raw 802.3) payload. */
const ETH_P_802_3 = 0x0001;
const ETH_P_802_2 = 0x0004;

function ipVersionEthertype(payload: Uint8Array): number | null {
  const v = (payload[0] ?? 0) >> 4;
  if (v === 4) return ETHERTYPE_IPV4;
  if (v === 6) return ETHERTYPE_IPV6;
  return null;
}

/** Destination MAC implied by an IP destination (broadcast / multicast mapping), else null. */
function ipGroupMac(ethertype: number, payload: Uint8Array): Uint8Array | null {
  if (ethertype === ETHERTYPE_IPV4 && payload.length >= 20) {
    const d0 = payload[16]!;
    if (d0 >= 224 && d0 <= 239) {
      return Uint8Array.of(0x01, 0x00, 0x5e, payload[17]! & 0x7f, payload[18]!, payload[19]!);
    }
    if (d0 === 255 && payload[17] === 255 && payload[18] === 255 && payload[19] === 255) {
      return Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
    }
  } else if (ethertype === ETHERTYPE_IPV6 && payload.length >= 40 && payload[24] === 0xff) {
    return Uint8Array.of(0x33, 0x33, payload[36]!, payload[37]!, payload[38]!, payload[39]!);
  }
  return null;
}

function buildEthernet(
  dst: Uint8Array | null,
  src: Uint8Array | null,
  typeOrLength: number,
  payload: Uint8Array,
): Uint8Array {
  const frame = new Uint8Array(14 + payload.length);
  if (dst) frame.set(dst.subarray(0, 6), 0);
  if (src) frame.set(src.subarray(0, 6), 6);
  frame[12] = typeOrLength >> 8;
  frame[13] = typeOrLength & 0xff;
  frame.set(payload, 14);
  return frame;
}

function fromCooked(
  protocol: number,
  hatype: number,
  pkttype: number,
  addr: Uint8Array | null,
  payload: Uint8Array,
): Uint8Array | null {
  if (hatype === ARPHRD_NETLINK) return null;
  let typeOrLength: number;
  if (protocol >= 0x0600) typeOrLength = protocol;
  else if ((protocol === ETH_P_802_2 || protocol === ETH_P_802_3) && payload.length <= 1500) {
    typeOrLength = payload.length; // 802.3 length field, LLC (or raw IPX) payload follows
  } else return null;
  const dst =
    pkttype === SLL_PACKET_BROADCAST
      ? Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
      : ipGroupMac(typeOrLength, payload);
  return buildEthernet(dst, addr, typeOrLength, payload);
}

/**
 * The record as an Ethernet frame, or null when that is not possible.
 *  * Ethernet: the record's own data (a view, no copy), if at least 14 bytes.
 *  * Raw IP (101, 228, 229) and BSD/OpenBSD loopback (0, 108): a new frame with zero MACs and
 *    the IPv4/IPv6 ethertype; the destination is ff:ff:ff:ff:ff:ff or the mapped multicast MAC
 *    when the IP destination is a broadcast / multicast address. Non-IP payloads give null.
 *  * Linux SLL (113) and SLL2 (276): a new frame whose source MAC is the link-layer address (when
 *    it is 6 bytes long, else zero), whose ethertype is the SLL protocol (802.2 LLC / raw 802.3
 *    payloads become an 802.3 length field), and whose destination is broadcast for
 *    PACKET_BROADCAST, the mapped multicast MAC for IP multicast, else zero. Netlink captures
 *    and other non-Ethernet protocols give null.
 *  * Anything else: null.
 */
export function toEthernet(record: PcapRecord): Uint8Array | null {
  const d = record.data;
  switch (record.linkType) {
    case LinkType.ETHERNET:
      return d.length >= 14 ? d : null;
    case LinkType.RAW:
    case LinkType.IPV4:
    case LinkType.IPV6: {
      const et = ipVersionEthertype(d);
      if (et === null) return null;
      if (record.linkType === LinkType.IPV4 && et !== ETHERTYPE_IPV4) return null;
      if (record.linkType === LinkType.IPV6 && et !== ETHERTYPE_IPV6) return null;
      return buildEthernet(ipGroupMac(et, d), null, et, d);
    }
    case LinkType.NULL:
    case LinkType.LOOP: {
      if (d.length < 5) return null;
      const payload = d.subarray(4);
      const et = ipVersionEthertype(payload);
      if (et === null) return null;
      return buildEthernet(ipGroupMac(et, payload), null, et, payload);
    }
    case LinkType.LINUX_SLL: {
      if (d.length < 16) return null;
      const pkttype = (d[0]! << 8) | d[1]!;
      const hatype = (d[2]! << 8) | d[3]!;
      const halen = (d[4]! << 8) | d[5]!;
      const protocol = (d[14]! << 8) | d[15]!;
      return fromCooked(protocol, hatype, pkttype, halen === 6 ? d.subarray(6, 12) : null, d.subarray(16));
    }
    case LinkType.LINUX_SLL2: {
      if (d.length < 20) return null;
      const protocol = (d[0]! << 8) | d[1]!;
      const hatype = (d[8]! << 8) | d[9]!;
      const pkttype = d[10]!;
      const halen = d[11]!;
      return fromCooked(protocol, hatype, pkttype, halen === 6 ? d.subarray(12, 18) : null, d.subarray(20));
    }
    default:
      return null;
  }
}
