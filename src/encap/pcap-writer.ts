// Writer for classic pcap (little-endian, version 2.4), microsecond or nanosecond timestamps.
//
// PcapWriter accumulates records in memory and returns the whole file as one Uint8Array;
// writePcapFile streams records from an (async) iterable to a file in 64 KiB writes.
//
// Records longer than the snaplen are truncated to it (caplen = snaplen, origLen kept). With
// microsecond resolution the nanoseconds are truncated (floor) to microseconds. Values that the
// format cannot hold (tsSec outside 0..2^32-1, tsNsec outside 0..999999999, non-integers, a record
// whose linkType differs from the writer's) throw a RangeError: they are caller bugs, not
// capture errors.

import { open } from 'node:fs/promises';
import {
  DEFAULT_SNAPLEN,
  LinkType,
  PCAP_FILE_HEADER_LEN,
  PCAP_MAGIC_NS,
  PCAP_MAGIC_US,
  PCAP_RECORD_HEADER_LEN,
  PCAP_VERSION_MAJOR,
  PCAP_VERSION_MINOR,
} from './pcap-format.js';

export { DEFAULT_SNAPLEN, LinkType } from './pcap-format.js';

export type PcapResolution = 'us' | 'ns';

export interface PcapWriterOptions {
  /** Timestamp resolution: 'us' (magic 0xa1b2c3d4, default) or 'ns' (magic 0xa1b23c4d). */
  resolution?: PcapResolution;
  /** LINKTYPE_* of the file (default LinkType.ETHERNET). */
  linkType?: number;
  /** Snapshot length, 1..2^32-1 (default 262144). Longer records are truncated to it. */
  snaplen?: number;
}

/** What the writer needs from a record; a PcapRecord from the reader fits. */
export interface PcapWriteRecord {
  data: Uint8Array;
  /** Seconds since the epoch, 0..2^32-1 (default 0). */
  tsSec?: number;
  /** Nanoseconds, 0..999999999 (default 0). */
  tsNsec?: number;
  /** Length on the wire (default data.length). */
  origLen?: number;
  /** If present, must equal the writer's link type. */
  linkType?: number;
}

interface WriterConfig {
  resolution: PcapResolution;
  linkType: number;
  snaplen: number;
}

const U32_MAX = 0xffffffff;

function checkUint(name: string, value: number, max: number, min = 0): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in ${min}..${max}, got ${value}`);
  }
}

function resolveOptions(options: PcapWriterOptions): WriterConfig {
  const resolution = options.resolution ?? 'us';
  if (resolution !== 'us' && resolution !== 'ns') {
    throw new RangeError(`resolution must be 'us' or 'ns', got ${String(resolution)}`);
  }
  const linkType = options.linkType ?? LinkType.ETHERNET;
  checkUint('linkType', linkType, 0xffff);
  const snaplen = options.snaplen ?? DEFAULT_SNAPLEN;
  checkUint('snaplen', snaplen, U32_MAX, 1);
  return { resolution, linkType, snaplen };
}

/** The 24-byte classic pcap file header for these options. */
export function encodePcapFileHeader(options: PcapWriterOptions = {}): Uint8Array {
  const cfg = resolveOptions(options);
  const out = new Uint8Array(PCAP_FILE_HEADER_LEN);
  writeFileHeader(new DataView(out.buffer), cfg);
  return out;
}

function writeFileHeader(dv: DataView, cfg: WriterConfig): void {
  dv.setUint32(0, cfg.resolution === 'ns' ? PCAP_MAGIC_NS : PCAP_MAGIC_US, true);
  dv.setUint16(4, PCAP_VERSION_MAJOR, true);
  dv.setUint16(6, PCAP_VERSION_MINOR, true);
  dv.setInt32(8, 0, true); // thiszone
  dv.setUint32(12, 0, true); // sigfigs
  dv.setUint32(16, cfg.snaplen, true);
  dv.setUint32(20, cfg.linkType, true);
}

/** Validates a record; returns its caplen (data truncated to the snaplen). */
function checkRecord(rec: PcapWriteRecord, cfg: WriterConfig): number {
  if (!(rec.data instanceof Uint8Array)) throw new TypeError('record data must be a Uint8Array');
  if (rec.linkType !== undefined && rec.linkType !== cfg.linkType) {
    throw new RangeError(`record link type ${rec.linkType} differs from the file's ${cfg.linkType}`);
  }
  checkUint('tsSec', rec.tsSec ?? 0, U32_MAX);
  checkUint('tsNsec', rec.tsNsec ?? 0, 999_999_999);
  if (rec.origLen !== undefined) checkUint('origLen', rec.origLen, U32_MAX);
  return Math.min(rec.data.length, cfg.snaplen);
}

/** Writes header + data at `pos`; the caller has checked the record and made room. */
function putRecord(
  target: Uint8Array,
  dv: DataView,
  pos: number,
  rec: PcapWriteRecord,
  caplen: number,
  cfg: WriterConfig,
): number {
  const nsec = rec.tsNsec ?? 0;
  dv.setUint32(pos, rec.tsSec ?? 0, true);
  dv.setUint32(pos + 4, cfg.resolution === 'ns' ? nsec : Math.floor(nsec / 1000), true);
  dv.setUint32(pos + 8, caplen, true);
  dv.setUint32(pos + 12, rec.origLen ?? rec.data.length, true);
  target.set(caplen === rec.data.length ? rec.data : rec.data.subarray(0, caplen), pos + PCAP_RECORD_HEADER_LEN);
  return pos + PCAP_RECORD_HEADER_LEN + caplen;
}

/** Accumulates records in memory; toBytes() returns the complete classic pcap file. */
export class PcapWriter {
  readonly resolution: PcapResolution;
  readonly linkType: number;
  readonly snaplen: number;
  private readonly cfg: WriterConfig;
  private buf: Uint8Array;
  private dv: DataView;
  private len: number;
  private count = 0;

  constructor(options: PcapWriterOptions = {}) {
    this.cfg = resolveOptions(options);
    this.resolution = this.cfg.resolution;
    this.linkType = this.cfg.linkType;
    this.snaplen = this.cfg.snaplen;
    this.buf = new Uint8Array(64 * 1024);
    this.dv = new DataView(this.buf.buffer);
    writeFileHeader(this.dv, this.cfg);
    this.len = PCAP_FILE_HEADER_LEN;
  }

  /** Number of records written so far. */
  get recordCount(): number {
    return this.count;
  }

  /** Size of the file so far, header included. */
  get byteLength(): number {
    return this.len;
  }

  /** Append one record (data is copied, so the caller may reuse its buffer). */
  write(record: PcapWriteRecord): this {
    const caplen = checkRecord(record, this.cfg);
    const need = this.len + PCAP_RECORD_HEADER_LEN + caplen;
    if (need > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < need) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
      this.dv = new DataView(next.buffer);
    }
    this.len = putRecord(this.buf, this.dv, this.len, record, caplen, this.cfg);
    this.count++;
    return this;
  }

  /** Append several records. */
  writeAll(records: Iterable<PcapWriteRecord>): this {
    for (const r of records) this.write(r);
    return this;
  }

  /** The file so far, as a new exactly-sized array (the writer can keep accepting records). */
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** Encode a list of records as one classic pcap file. */
export function writePcap(records: Iterable<PcapWriteRecord>, options: PcapWriterOptions = {}): Uint8Array {
  return new PcapWriter(options).writeAll(records).toBytes();
}

const CHUNK = 64 * 1024;

/**
 * Stream records to a classic pcap file (created or truncated), writing in ~64 KiB chunks so
 * memory stays bounded whatever the number of records. Resolves to the counts written. On error
 * the file is closed and left as written so far, and the error is rethrown.
 */
export async function writePcapFile(
  path: string,
  records: Iterable<PcapWriteRecord> | AsyncIterable<PcapWriteRecord>,
  options: PcapWriterOptions = {},
): Promise<{ records: number; bytes: number }> {
  const cfg = resolveOptions(options);
  const fh = await open(path, 'w');
  let chunk = new Uint8Array(CHUNK);
  let dv = new DataView(chunk.buffer);
  let pos = 0;
  let total = 0;
  let count = 0;
  const flush = async (): Promise<void> => {
    let done = 0;
    while (done < pos) {
      const { bytesWritten } = await fh.write(chunk, done, pos - done);
      done += bytesWritten;
    }
    total += pos;
    pos = 0;
  };
  try {
    writeFileHeader(dv, cfg);
    pos = PCAP_FILE_HEADER_LEN;
    for await (const rec of records) {
      const caplen = checkRecord(rec, cfg);
      const size = PCAP_RECORD_HEADER_LEN + caplen;
      if (pos + size > chunk.length) {
        await flush();
        if (size > chunk.length) {
          chunk = new Uint8Array(size);
          dv = new DataView(chunk.buffer);
        }
      }
      pos = putRecord(chunk, dv, pos, rec, caplen, cfg);
      count++;
    }
    await flush();
  } finally {
    await fh.close();
  }
  return { records: count, bytes: total };
}
