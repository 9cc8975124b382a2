import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
  LinkType,
  PcapError,
  PcapReader,
  detectPcapFormat,
  iteratePcap,
  readPcap,
  readPcapFile,
  toEthernet,
  type PcapRecord,
} from '../../src/encap/pcap-reader.js';

// ------------------------------------------------------------------------------------------------
// Byte helpers for hand-built vectors.

const hex = (s: string): number[] => {
  const clean = s.replace(/\s+/g, '');
  const out: number[] = [];
  for (let i = 0; i < clean.length; i += 2) out.push(parseInt(clean.slice(i, i + 2), 16));
  return out;
};
const u16 = (v: number, le: boolean): number[] => (le ? [v & 0xff, v >>> 8] : [v >>> 8, v & 0xff]);
const u32 = (v: number, le: boolean): number[] => {
  const b = [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
  return le ? b.reverse() : b;
};
const u64 = (v: bigint, le: boolean): number[] => {
  const hi = Number((v >> 32n) & 0xffffffffn);
  const lo = Number(v & 0xffffffffn);
  return le ? [...u32(lo, le), ...u32(hi, le)] : [...u32(hi, le), ...u32(lo, le)];
};
const ascii = (s: string): number[] => Array.from(Buffer.from(s, 'latin1'));
const pad4 = (b: number[]): number[] => [...b, ...new Array<number>((4 - (b.length % 4)) % 4).fill(0)];
const bytes = (...parts: number[][]): Uint8Array => Uint8Array.from(parts.flat());
const seq = (n: number, start = 0): number[] => Array.from({ length: n }, (_, i) => (start + i) & 0xff);

/** A pcapng block: type, total length, padded body, total length. */
const block = (type: number, body: number[], le: boolean): number[] => {
  const b = pad4(body);
  const total = b.length + 12;
  return [...u32(type, le), ...u32(total, le), ...b, ...u32(total, le)];
};
const opt = (code: number, value: number[], le: boolean): number[] => [
  ...u16(code, le),
  ...u16(value.length, le),
  ...pad4(value),
];
const endOpt = (le: boolean): number[] => opt(0, [], le);
const shb = (le: boolean, options: number[] = []): number[] =>
  block(0x0a0d0d0a, [...u32(0x1a2b3c4d, le), ...u16(1, le), ...u16(0, le), ...u64(-1n & 0xffffffffffffffffn, le), ...options], le);
const idb = (le: boolean, linkType: number, snaplen: number, options: number[] = []): number[] =>
  block(1, [...u16(linkType, le), ...u16(0, le), ...u32(snaplen, le), ...options], le);
const epb = (le: boolean, ifId: number, ticks: bigint, data: number[], origLen = data.length, options: number[] = []): number[] =>
  block(
    6,
    [
      ...u32(ifId, le),
      ...u32(Number(ticks >> 32n), le),
      ...u32(Number(ticks & 0xffffffffn), le),
      ...u32(data.length, le),
      ...u32(origLen, le),
      ...pad4(data),
      ...options,
    ],
    le,
  );
const spb = (le: boolean, origLen: number, data: number[]): number[] => block(3, [...u32(origLen, le), ...data], le);

const same = (a: Uint8Array, b: ArrayLike<number>): boolean =>
  a.length === b.length && a.every((v, i) => v === b[i]);

type TestT = Parameters<Parameters<typeof t.test>[0]>[0];

function expectPcapError(t: TestT, fn: () => unknown, offset: number, pattern: RegExp, what: string): void {
  try {
    fn();
    t.fail(`${what}: expected PcapError`);
  } catch (e) {
    t.ok(e instanceof PcapError, `${what}: PcapError`);
    if (e instanceof PcapError) {
      t.equal(e.offset, offset, `${what}: offset`);
      t.match(e.message, pattern, `${what}: message`);
      t.match(e.message, new RegExp(`at offset ${offset}$`), `${what}: message has the offset`);
    } else {
      t.fail(String(e));
    }
  }
}

// ------------------------------------------------------------------------------------------------
// Classic pcap

// Big-endian, microsecond, Ethernet, snaplen 65535; written out byte by byte.
const BE_US = bytes(
  hex('a1b2c3d4 0002 0004 00000000 00000000 0000ffff 00000001'),
  // record 1: ts 1600000000.499999, caplen 14, origLen 60
  hex('5f5e1000 0007a11f 0000000e 0000003c'),
  hex('ffffffffffff 001122334455 0806'),
  // record 2: ts 1600000001.000000, caplen 3, origLen 3 (odd length: no padding in classic pcap)
  hex('5f5e1001 00000000 00000003 00000003'),
  hex('010203'),
);

t.test('big-endian microsecond classic pcap', (t) => {
  t.equal(detectPcapFormat(BE_US), 'pcap');
  const r = readPcap(BE_US);
  t.equal(r.format, 'pcap');
  t.equal(r.truncated, false);
  t.equal(r.records.length, 2);
  t.same(r.interfaces, [
    { linkType: 1, snaplen: 65535, section: 0, localId: 0, tsresol: 6, tsOffset: 0, fcsLen: null, byteOrder: 'be' },
  ]);
  const [a, b] = r.records as [PcapRecord, PcapRecord];
  t.match(a, { linkType: 1, tsSec: 1600000000, tsNsec: 499999000, caplen: 14, origLen: 60, interfaceId: 0 });
  t.ok(same(a.data, hex('ffffffffffff 001122334455 0806')));
  t.match(b, { tsSec: 1600000001, tsNsec: 0, caplen: 3, origLen: 3 });
  t.ok(same(b.data, [1, 2, 3]));
  // data is a view into the input, not a copy
  t.equal(a.data.buffer, BE_US.buffer);
  t.equal(a.data.byteOffset, 40);
  t.equal(b.data.byteOffset, 70);
  t.same(r.warnings, []);
  t.end();
});

// Little-endian nanosecond, raw IP (101).
const IPV4_HDR = hex('45000014 00010000 4001 0000 c0000201 e0000005'); // 192.0.2.1 -> 224.0.0.5
const LE_NS = bytes(
  hex('4d3cb2a1 0200 0400 00000000 00000000 ffff0000 65000000'),
  [...u32(1700000000, true), ...u32(123456789, true), ...u32(20, true), ...u32(20, true)],
  IPV4_HDR,
  [...u32(1700000001, true), ...u32(999999999, true), ...u32(0, true), ...u32(0, true)],
);

t.test('little-endian nanosecond classic pcap', (t) => {
  const r = readPcap(LE_NS);
  t.equal(r.records.length, 2);
  t.equal(r.interfaces[0]?.tsresol, 9);
  t.equal(r.interfaces[0]?.byteOrder, 'le');
  const [a, b] = r.records as [PcapRecord, PcapRecord];
  t.match(a, { linkType: LINKTYPE_RAW, tsSec: 1700000000, tsNsec: 123456789, caplen: 20, origLen: 20 });
  t.ok(same(a.data, IPV4_HDR));
  t.match(b, { tsSec: 1700000001, tsNsec: 999999999, caplen: 0, origLen: 0 });
  t.equal(b.data.length, 0);
  t.end();
});

t.test('big-endian nanosecond and modified pcap', (t) => {
  const beNs = bytes(
    hex('a1b23c4d 0002 0004 00000000 00000000 00040000 000000e4'), // link type 228
    hex('00000001 3b9ac9ff 00000002 00000010 4500'),
  );
  const r = readPcap(beNs);
  t.match(r.records[0], { linkType: LINKTYPE_IPV4, tsSec: 1, tsNsec: 999999999, caplen: 2, origLen: 16 });
  // Kuznetsov's modified pcap: 24-byte record headers (ifindex, protocol, pkt_type, pad).
  const modified = bytes(
    hex('34cdb2a1 0200 0400 00000000 00000000 ffff0000 01000000'),
    hex('0a000000 05000000 02000000 02000000 07000000 0008 00 00 abcd'),
  );
  const m = readPcap(modified);
  t.equal(m.records.length, 1);
  t.match(m.records[0], { tsSec: 10, tsNsec: 5000, caplen: 2, origLen: 2 });
  t.ok(same(m.records[0]!.data, [0xab, 0xcd]));
  t.end();
});

t.test('FCS bits of the classic link-type field', (t) => {
  const f = bytes(hex('d4c3b2a1 0200 0400 00000000 00000000 ffff0000 01000024')); // F bit, 2 words
  const r = readPcap(f);
  t.equal(r.interfaces[0]?.linkType, 1);
  t.equal(r.interfaces[0]?.fcsLen, 4);
  t.equal(r.records.length, 0);
  t.end();
});

t.test('classic pcap malformed input', (t) => {
  expectPcapError(t, () => readPcap(new Uint8Array(0)), 0, /too short/, 'empty');
  expectPcapError(t, () => readPcap(Uint8Array.of(0xd4, 0xc3, 0xb2)), 0, /too short/, '3 bytes');
  expectPcapError(t, () => readPcap(bytes(hex('deadbeef'), seq(40))), 0, /unknown capture magic 0xdeadbeef/, 'magic');
  expectPcapError(t, () => readPcap(BE_US.subarray(0, 20)), 0, /file header truncated/, 'short header');
  expectPcapError(t, () => readPcap(BE_US.subarray(0, 20), { lenient: true }), 0, /file header truncated/, 'short header, lenient');
  const v1 = BE_US.slice();
  v1[5] = 1;
  expectPcapError(t, () => readPcap(v1), 4, /unsupported pcap version 1\.4/, 'version');

  // Truncated record header: strict throws, lenient stops after record 1.
  const cutHeader = BE_US.subarray(0, 24 + 16 + 14 + 10);
  expectPcapError(t, () => readPcap(cutHeader), 54, /truncated record header \(10 of 16 bytes\)/, 'cut header');
  const lh = readPcap(cutHeader, { lenient: true });
  t.equal(lh.truncated, true);
  t.equal(lh.records.length, 1);
  // Truncated record data.
  const cutData = BE_US.subarray(0, BE_US.length - 1);
  expectPcapError(t, () => readPcap(cutData), 54, /truncated record data \(caplen 3, 2 bytes left\)/, 'cut data');
  const ld = readPcap(cutData, { lenient: true });
  t.equal(ld.truncated, true);
  t.equal(ld.records.length, 1);
  // Lenient mode on a complete file: not truncated.
  t.equal(readPcap(BE_US, { lenient: true }).truncated, false);

  // Implausible caplen (corruption, not truncation): throws in both modes.
  const huge = BE_US.slice();
  new DataView(huge.buffer).setUint32(24 + 8, 0x00400001, false);
  expectPcapError(t, () => readPcap(huge), 32, /implausible record caplen 4194305/, 'huge caplen');
  expectPcapError(t, () => readPcap(huge, { lenient: true }), 32, /implausible/, 'huge caplen, lenient');
  // ... unless the caller raises the limit: then it is a truncation.
  t.equal(readPcap(huge, { lenient: true, maxCaplen: 1 << 30 }).truncated, true);

  // Tolerated: caplen > snaplen and caplen > origLen (warnings).
  const small = BE_US.slice();
  const dv = new DataView(small.buffer);
  dv.setUint32(16, 10, false); // snaplen 10 < caplen 14
  dv.setUint32(24 + 12, 4, false); // origLen 4 < caplen 14
  const w = readPcap(small);
  t.equal(w.records.length, 2);
  t.same(w.warnings, ['caplen 14 > snaplen 10 at offset 32', 'caplen 14 > origLen 4 at offset 32']);
  t.end();
});

t.test('iteration is lazy and restartable', (t) => {
  const cut = BE_US.subarray(0, BE_US.length - 1);
  const it = iteratePcap(cut);
  const first = it.next();
  t.equal(first.done, false);
  t.throws(() => it.next(), PcapError);
  const reader = new PcapReader(cut, { lenient: true });
  t.equal(reader.format, 'pcap');
  t.equal([...reader].length, 1);
  t.equal(reader.truncated, true);
  t.equal([...reader].length, 1, 'second pass starts again');
  t.equal(reader.interfaces.length, 1);
  t.throws(() => new PcapReader(Uint8Array.of(1, 2, 3, 4)), PcapError, 'constructor checks the magic');
  t.end();
});

// ------------------------------------------------------------------------------------------------
// pcapng

const SLL_FRAME = [
  ...hex('0000 0001 0006 020000aabbcc 0000 0800'), // to us, ARPHRD_ETHER, 6-byte address, IPv4
  ...IPV4_HDR,
];
const NS_TICKS = 1700000000987654321n;
const US_TICKS = 1700000000123456n;

function buildNg(): { file: Uint8Array; section2: number } {
  const L = true;
  const s1 = [
    ...shb(L, [...opt(4, ascii('ixfabric test'), L), ...endOpt(L)]),
    ...idb(L, LINKTYPE_ETHERNET, 96), // interface 0: Ethernet, default microsecond, snaplen 96
    ...idb(L, LINKTYPE_LINUX_SLL, 0, [...opt(2, ascii('any'), L), ...opt(9, [9], L), ...endOpt(L)]), // ns
    // EPB on interface 0, 5 data bytes (3 padding bytes), with an epb_flags option after the data
    ...epb(L, 0, US_TICKS, [1, 2, 3, 4, 5], 64, [...opt(2, u32(1, L), L), ...endOpt(L)]),
    // Name Resolution Block: skipped
    ...block(4, [...u16(1, L), ...u16(13, L), ...pad4([192, 0, 2, 1, ...ascii('host\0'), 0, 0, 0, 0]), ...u32(0, L)], L),
    ...epb(L, 1, NS_TICKS, SLL_FRAME),
    // SPB: origLen 100 but interface 0 has snaplen 96, so 96 bytes are captured
    ...spb(L, 100, seq(96, 0x10)),
    // SPB of 7 bytes + 1 byte of padding
    ...spb(L, 7, seq(7, 0xa0)),
    // Custom block (non-copyable), odd payload length: skipped
    ...block(0x40000bad, [...u32(32473, L), ...ascii('hello')], L),
    // Interface Statistics Block: skipped
    ...block(5, [...u32(0, L), ...u32(0, L), ...u32(0, L), ...endOpt(L)], L),
    // A block type nobody knows: skipped
    ...block(0x12345678, seq(9), L),
  ];
  const B = false;
  const s2 = [
    ...shb(B),
    // raw IP, timestamps in 1/1024 s, +1000 s offset
    ...idb(B, LINKTYPE_RAW, 65535, [...opt(9, [0x8a], B), ...opt(14, u64(1000n, B), B), ...endOpt(B)]),
    ...epb(B, 0, (5n << 10n) + 512n, IPV4_HDR),
  ];
  return { file: bytes(s1, s2), section2: s1.length };
}

t.test('pcapng with two IDBs, SPBs, unknown blocks and a second big-endian section', (t) => {
  const { file } = buildNg();
  t.equal(detectPcapFormat(file), 'pcapng');
  const r = readPcap(file);
  t.equal(r.format, 'pcapng');
  t.equal(r.truncated, false);
  t.equal(r.skippedBlocks, 4);
  t.same(r.warnings, []);
  t.equal(r.interfaces.length, 3);
  t.match(r.interfaces[0], { linkType: 1, snaplen: 96, section: 0, localId: 0, tsresol: 6, byteOrder: 'le' });
  t.match(r.interfaces[1], { linkType: 113, snaplen: 0, section: 0, localId: 1, tsresol: 9 });
  t.match(r.interfaces[2], { linkType: 101, section: 1, localId: 0, tsresol: 0x8a, tsOffset: 1000, byteOrder: 'be' });
  t.equal(r.records.length, 5);
  const [e0, e1, s0, s1, b0] = r.records as [PcapRecord, PcapRecord, PcapRecord, PcapRecord, PcapRecord];
  t.match(e0, { linkType: 1, tsSec: 1700000000, tsNsec: 123456000, caplen: 5, origLen: 64, interfaceId: 0 });
  t.ok(same(e0.data, [1, 2, 3, 4, 5]));
  t.match(e1, { linkType: 113, tsSec: 1700000000, tsNsec: 987654321, caplen: 36, origLen: 36, interfaceId: 1 });
  t.ok(same(e1.data, SLL_FRAME));
  t.match(s0, { linkType: 1, tsSec: 0, tsNsec: 0, caplen: 96, origLen: 100, interfaceId: 0 });
  t.ok(same(s0.data, seq(96, 0x10)));
  t.match(s1, { caplen: 7, origLen: 7, interfaceId: 0 });
  t.ok(same(s1.data, seq(7, 0xa0)));
  t.match(b0, { linkType: 101, tsSec: 1005, tsNsec: 500000000, caplen: 20, interfaceId: 2 });
  t.ok(same(b0.data, IPV4_HDR));
  t.equal(e0.data.buffer, file.buffer, 'views, not copies');
  t.end();
});

t.test('pcapng timestamp resolutions', (t) => {
  const L = true;
  const mk = (tsresol: number | null, ticks: bigint, tsOffset?: bigint): PcapRecord => {
    const options = [
      ...(tsresol === null ? [] : opt(9, [tsresol], L)),
      ...(tsOffset === undefined ? [] : opt(14, u64(tsOffset & 0xffffffffffffffffn, L), L)),
      ...endOpt(L),
    ];
    const r = readPcap(bytes(shb(L), idb(L, 1, 0, options), epb(L, 0, ticks, [0])));
    return r.records[0]!;
  };
  t.match(mk(null, 1n), { tsSec: 0, tsNsec: 1000 });
  t.match(mk(null, 0xffffffffn), { tsSec: 4294, tsNsec: 967295000 }, 'carry from the low word');
  t.match(mk(9, 0x1_0000_0000n), { tsSec: 4, tsNsec: 294967296 });
  t.match(mk(9, 18446744073709551615n), { tsSec: 18446744073, tsNsec: 709551615 }, 'max ns ticks');
  t.match(mk(3, 1234567n), { tsSec: 1234, tsNsec: 567000000 }, 'milliseconds');
  t.match(mk(0, 42n), { tsSec: 42, tsNsec: 0 }, 'seconds');
  t.match(mk(12, 1234567890123456789n), { tsSec: 1234567, tsNsec: 890123456 }, 'picoseconds, truncated');
  t.match(mk(0x80 | 20, (3n << 20n) + (1n << 19n)), { tsSec: 3, tsNsec: 500000000 }, '2^-20');
  t.match(mk(0x80 | 127, 1n << 63n), { tsSec: 0, tsNsec: 0 }, '2^-127');
  t.match(mk(null, 5_000_000n, -3n), { tsSec: 2, tsNsec: 0 }, 'negative if_tsoffset');
  // Consecutive packets whose high word changes (fast-path cache invalidation).
  const L2 = true;
  const f = bytes(
    shb(L2),
    idb(L2, 1, 0, [...opt(9, [9], L2), ...endOpt(L2)]),
    epb(L2, 0, 0xffffffffn, [0]),
    epb(L2, 0, 0x1_0000_0000n, [0]),
    epb(L2, 0, 0xffffffffn, [0]),
  );
  t.same(
    readPcap(f).records.map((r) => [r.tsSec, r.tsNsec]),
    [
      [4, 294967295],
      [4, 294967296],
      [4, 294967295],
    ],
  );
  t.end();
});

t.test('pcapng obsolete packet block', (t) => {
  const L = true;
  const opb = block(2, [...u16(0, L), ...u16(0, L), ...u32(0, L), ...u32(2_000_000, L), ...u32(3, L), ...u32(9, L), ...pad4([7, 8, 9])], L);
  const r = readPcap(bytes(shb(L), idb(L, 1, 0), opb));
  t.match(r.records, [{ tsSec: 2, tsNsec: 0, caplen: 3, origLen: 9, interfaceId: 0 }]);
  t.end();
});

t.test('pcapng malformed input', (t) => {
  const L = true;
  const head = bytes(shb(L), idb(L, 1, 0));
  const hl = head.length; // 28 + 20 = 48
  t.equal(hl, 48);
  const withBlock = (b: number[]): Uint8Array => bytes(Array.from(head), b);
  const setU32 = (a: Uint8Array, off: number, v: number): Uint8Array => {
    const c = a.slice();
    new DataView(c.buffer).setUint32(off, v, true);
    return c;
  };
  const good = withBlock(epb(L, 0, 0n, [1, 2, 3, 4]));
  t.equal(readPcap(good).records.length, 1);

  expectPcapError(t, () => readPcap(setU32(good, hl + 4, 0)), hl + 4, /block length 0 < 12/, 'zero length');
  expectPcapError(t, () => readPcap(setU32(good, hl + 4, 8)), hl + 4, /block length 8 < 12/, 'length 8');
  expectPcapError(t, () => readPcap(setU32(good, hl + 4, 38)), hl + 4, /not a multiple of 4/, 'length 38');
  expectPcapError(t, () => readPcap(setU32(good, hl + 4, 32)), hl + 28, /trailing block length 67305985 != 32/, 'shorter');
  expectPcapError(t, () => readPcap(setU32(good, good.length - 4, 40)), good.length - 4, /trailing block length 40 != 36/, 'trailer');
  // Length past the end: truncation.
  const past = setU32(good, hl + 4, 400);
  expectPcapError(t, () => readPcap(past), hl, /truncated block \(type 0x6, length 400, 36 bytes left\)/, 'past end');
  const lp = readPcap(past, { lenient: true });
  t.equal(lp.truncated, true);
  t.equal(lp.records.length, 0);
  // Cut inside the block header and inside the block.
  expectPcapError(t, () => readPcap(good.subarray(0, hl + 8)), hl, /truncated block header \(8 of 12 bytes\)/, 'cut header');
  t.equal(readPcap(good.subarray(0, hl + 8), { lenient: true }).truncated, true);
  const twice = bytes(Array.from(good), epb(L, 0, 0n, [5, 6]));
  const cut = twice.subarray(0, twice.length - 2);
  expectPcapError(t, () => readPcap(cut), good.length, /truncated block/, 'cut block');
  const lc = readPcap(cut, { lenient: true });
  t.equal(lc.truncated, true);
  t.equal(lc.records.length, 1);

  // EPB structure.
  expectPcapError(t, () => readPcap(withBlock(epb(L, 1, 0n, [1]))), hl + 8, /references interface 1, section 0 has 1/, 'bad interface');
  expectPcapError(t, () => readPcap(setU32(good, hl + 20, 5)), hl + 20, /caplen 5 larger than its block \(4\)/, 'caplen > block');
  expectPcapError(t, () => readPcap(withBlock(block(6, seq(16), L))), hl + 4, /EPB block length 28 < 32/, 'short EPB');
  // SPB before any IDB, SPB too long for its block.
  const noIdb = bytes(shb(L), spb(L, 4, [1, 2, 3, 4]));
  expectPcapError(t, () => readPcap(noIdb), 28, /SPB before any IDB in section 0/, 'SPB without IDB');
  expectPcapError(t, () => readPcap(withBlock(spb(L, 9, [1, 2, 3, 4]))), hl + 8, /SPB captured length 9 larger than its block \(4\)/, 'SPB length');
  // SHB problems.
  const badBom = setU32(good, 8, 0x11223344);
  expectPcapError(t, () => readPcap(badBom), 8, /bad SHB byte-order magic 0x11223344/, 'BOM');
  const v2 = good.slice();
  v2[12] = 2;
  expectPcapError(t, () => readPcap(v2), 12, /unsupported pcapng version 2\.0/, 'version');
  const shortShb = bytes(block(0x0a0d0d0a, u32(0x1a2b3c4d, L), L));
  expectPcapError(t, () => readPcap(shortShb), 4, /SHB block length 16 < 28/, 'short SHB');
  // IDB option running past the block.
  const badOpt = bytes(shb(L), block(1, [...u16(1, L), 0, 0, ...u32(0, L), ...u16(9, L), ...u16(40, L), 6, 0, 0, 0], L));
  expectPcapError(t, () => readPcap(badOpt), 28 + 16, /IDB option 9 \(length 40\) overruns its block/, 'option');
  // A later section's EPB cannot use the first section's interfaces.
  const sect = bytes(Array.from(good), shb(L), epb(L, 0, 0n, [1]));
  expectPcapError(t, () => readPcap(sect), good.length + 28 + 8, /references interface 0, section 1 has 0/, 'section reset');
  // Warnings only: caplen > snaplen, caplen > origLen.
  const w = readPcap(bytes(shb(L), idb(L, 1, 2), epb(L, 0, 0n, [1, 2, 3], 1)));
  t.equal(w.records.length, 1);
  t.same(w.warnings, ['caplen 3 > snaplen 2 at offset 68', 'caplen 3 > origLen 1 at offset 68']);
  t.end();
});

// ------------------------------------------------------------------------------------------------
// toEthernet

const rec = (linkType: number, data: number[]): PcapRecord => ({
  linkType,
  tsSec: 0,
  tsNsec: 0,
  caplen: data.length,
  origLen: data.length,
  data: Uint8Array.from(data),
  interfaceId: 0,
});
const ethHeader = (f: Uint8Array | null): string | null =>
  f === null ? null : Buffer.from(f.subarray(0, 14)).toString('hex');

t.test('toEthernet', (t) => {
  const eth = rec(LINKTYPE_ETHERNET, seq(60));
  t.equal(toEthernet(eth), eth.data, 'Ethernet: the record data itself');
  t.equal(toEthernet(rec(LINKTYPE_ETHERNET, seq(13))), null, 'runt');

  const ipv4Unicast = hex('45000014 00010000 4001 0000 c0000201 c0000202');
  for (const lt of [LINKTYPE_RAW, LINKTYPE_IPV4]) {
    const f = toEthernet(rec(lt, ipv4Unicast));
    t.equal(ethHeader(f), '000000000000' + '000000000000' + '0800', `raw IPv4 (${lt})`);
    t.ok(f && same(f.subarray(14), ipv4Unicast));
  }
  t.equal(ethHeader(toEthernet(rec(LINKTYPE_RAW, IPV4_HDR))), '01005e000005' + '000000000000' + '0800', 'IPv4 multicast');
  const bcast = hex('45000014 00010000 4011 0000 00000000 ffffffff');
  t.equal(ethHeader(toEthernet(rec(LINKTYPE_RAW, bcast))), 'ffffffffffff' + '000000000000' + '0800', 'IPv4 broadcast');
  const ipv6 = hex('60000000 0000 3a ff fe800000000000000000000000000001 ff0200000000000000000001ff000002');
  for (const lt of [LINKTYPE_RAW, LINKTYPE_IPV6]) {
    t.equal(ethHeader(toEthernet(rec(lt, ipv6))), '3333ff000002' + '000000000000' + '86dd', `raw IPv6 (${lt})`);
  }
  t.equal(toEthernet(rec(LINKTYPE_IPV4, ipv6)), null, 'IPv6 in a 228 record');
  t.equal(toEthernet(rec(LINKTYPE_IPV6, ipv4Unicast)), null, 'IPv4 in a 229 record');
  t.equal(toEthernet(rec(LINKTYPE_RAW, [0x20, 0])), null, 'not IP');
  t.equal(toEthernet(rec(LINKTYPE_RAW, [])), null, 'empty');
  t.equal(ethHeader(toEthernet(rec(LINKTYPE_NULL, [2, 0, 0, 0, ...ipv4Unicast]))), '0'.repeat(24) + '0800', 'BSD loopback');

  // SLL: address as source, protocol as ethertype.
  t.equal(ethHeader(toEthernet(rec(LINKTYPE_LINUX_SLL, SLL_FRAME))), '01005e000005' + '020000aabbcc' + '0800', 'SLL');
  const sllBcast = [...hex('0001 0001 0006 020000aabbcc 0000 0806'), ...seq(28)];
  const fb = toEthernet(rec(LINKTYPE_LINUX_SLL, sllBcast));
  t.equal(ethHeader(fb), 'ffffffffffff' + '020000aabbcc' + '0806', 'SLL broadcast ARP');
  t.equal(fb?.length, 14 + 28);
  const sllNoAddr = [...hex('0004 0300 0000 0000000000000000 86dd'), ...ipv6];
  t.equal(ethHeader(toEthernet(rec(LINKTYPE_LINUX_SLL, sllNoAddr))), '3333ff000002' + '0'.repeat(12) + '86dd', 'SLL without address');
  const sllLlc = [...hex('0003 0001 0006 020000aabbcc 0000 0004'), ...hex('424203 0000')];
  t.equal(ethHeader(toEthernet(rec(LINKTYPE_LINUX_SLL, sllLlc))), '0'.repeat(12) + '020000aabbcc' + '0005', 'SLL 802.2 LLC');
  const netlink = [...hex('0004 0338 0000 0000000000000000 0800'), ...seq(20)];
  t.equal(toEthernet(rec(LINKTYPE_LINUX_SLL, netlink)), null, 'SLL netlink');
  t.equal(toEthernet(rec(LINKTYPE_LINUX_SLL, hex('0004 0001 0006 020000aabbcc 0000 000c 00'))), null, 'SLL CAN');
  t.equal(toEthernet(rec(LINKTYPE_LINUX_SLL, seq(15))), null, 'SLL runt');

  // SLL2: protocol, reserved, ifindex, hatype, pkttype, halen, address.
  const sll2 = [...hex('0800 0000 00000002 0001 04 06 0200000000ff 0000'), ...ipv4Unicast];
  t.equal(ethHeader(toEthernet(rec(LINKTYPE_LINUX_SLL2, sll2))), '0'.repeat(12) + '0200000000ff' + '0800', 'SLL2');
  t.equal(toEthernet(rec(LINKTYPE_LINUX_SLL2, seq(19))), null, 'SLL2 runt');

  t.equal(toEthernet(rec(105, seq(40))), null, '802.11: cannot');
  t.equal(LinkType.LINUX_SLL2, 276);
  t.end();
});

t.test('readPcapFile', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ixfabric-pcap-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'be.cap');
  writeFileSync(path, BE_US);
  const r = await readPcapFile(path);
  t.equal(r.format, 'pcap');
  t.equal(r.records.length, 2);
  t.ok(same(r.records[1]!.data, [1, 2, 3]));
});

t.test('hand-built vectors survive random mutations', (t) => {
  // The corpus test mutates real captures; these vectors also exercise big-endian sections,
  // IDB options, SPBs and skipped blocks. Deterministic xorshift32.
  let x = 0x2545f491;
  const rnd = (n: number): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
  const vectors = { BE_US, LE_NS, ng: buildNg().file };
  for (const [name, vec] of Object.entries(vectors)) {
    const unexpected: string[] = [];
    for (let i = 0; i < 3000; i++) {
      let m = vec.slice();
      for (let k = 1 + rnd(3); k > 0; k--) {
        const op = rnd(4);
        if (op === 0) m[rnd(m.length)] = rnd(256);
        else if (op === 1) m = m.slice(0, rnd(m.length + 1));
        else if (m.length >= 4) {
          const p = rnd(m.length - 3) & ~3;
          const v = [0, 1, 3, 12, 13, 16, 28, 32, 0xffffffff, 0x80000000, rnd(4096)][rnd(11)]!;
          new DataView(m.buffer).setUint32(p, v >>> 0, op === 2);
        }
      }
      for (const lenient of [false, true]) {
        try {
          let n = 0;
          for (const r of iteratePcap(m, { lenient })) {
            if (++n > m.length) throw new Error('no progress');
            if (r.data.length !== r.caplen) throw new Error('bad view');
            toEthernet(r);
          }
        } catch (e) {
          if (!(e instanceof PcapError) && unexpected.length < 5) unexpected.push(`${name} #${i}: ${String(e)}`);
        }
      }
    }
    t.same(unexpected, [], `${name}: 3000 mutations, only PcapError`);
  }
  t.end();
});
