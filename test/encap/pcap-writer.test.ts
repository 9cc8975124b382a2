import t from 'tap';
import { prng } from '../helpers/prng.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LinkType, readPcap, type PcapRecord } from '../../src/encap/pcap-reader.js';
import {
  DEFAULT_SNAPLEN,
  PcapWriter,
  encodePcapFileHeader,
  writePcap,
  writePcapFile,
  type PcapWriteRecord,
} from '../../src/encap/pcap-writer.js';


function randomRecords(seed: number, n: number, nsec: boolean): Required<Omit<PcapWriteRecord, 'linkType'>>[] {
  const rnd = prng(seed);
  const out: Required<Omit<PcapWriteRecord, 'linkType'>>[] = [];
  for (let i = 0; i < n; i++) {
    // lengths 0..1600, plus a few jumbo frames
    const len = i % 17 === 3 ? 9000 + Math.floor(rnd() * 100) : Math.floor(rnd() * 1600);
    const data = new Uint8Array(len);
    for (let j = 0; j < len; j++) data[j] = Math.floor(rnd() * 256);
    const tsSec = i === 0 ? 0 : i === 1 ? 0xffffffff : Math.floor(rnd() * 0x100000000);
    const frac = i === 2 ? 999_999 : Math.floor(rnd() * 1_000_000);
    const tsNsec = nsec ? frac * 1000 + (i === 2 ? 999 : Math.floor(rnd() * 1000)) : frac * 1000;
    out.push({ data, tsSec, tsNsec, origLen: len + (i % 5 === 0 ? 100 : 0) });
  }
  return out;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

t.test('file header', (t) => {
  t.equal(hex(encodePcapFileHeader()), 'd4c3b2a1' + '0200' + '0400' + '00000000' + '00000000' + '00000400' + '01000000');
  t.equal(
    hex(encodePcapFileHeader({ resolution: 'ns', linkType: LinkType.LINUX_SLL, snaplen: 65535 })),
    '4d3cb2a1' + '0200' + '0400' + '00000000' + '00000000' + 'ffff0000' + '71000000',
  );
  t.equal(DEFAULT_SNAPLEN, 262144);
  const w = new PcapWriter();
  t.equal(w.byteLength, 24);
  t.equal(w.recordCount, 0);
  t.equal(hex(w.toBytes()), hex(encodePcapFileHeader()));
  t.same(readPcap(w.toBytes()).records, []);
  t.end();
});

t.test('record encoding, byte for byte', (t) => {
  const us = writePcap([{ data: Uint8Array.of(0xaa, 0xbb, 0xcc), tsSec: 0x01020304, tsNsec: 5_006_999, origLen: 60 }]);
  t.equal(hex(us.subarray(24)), '04030201' + '8e130000' + '03000000' + '3c000000' + 'aabbcc', 'usec = floor(nsec / 1000)');
  const ns = writePcap([{ data: Uint8Array.of(1), tsSec: 1, tsNsec: 999_999_999 }], { resolution: 'ns' });
  t.equal(hex(ns.subarray(24)), '01000000' + 'ff c9 9a 3b'.replace(/ /g, '') + '01000000' + '01000000' + '01');
  t.end();
});

for (const resolution of ['us', 'ns'] as const) {
  t.test(`round trip writer -> reader (${resolution})`, (t) => {
    const input = randomRecords(resolution === 'us' ? 1 : 2, 300, resolution === 'ns');
    const w = new PcapWriter({ resolution });
    for (const r of input) w.write(r);
    t.equal(w.recordCount, input.length);
    const file = w.toBytes();
    t.equal(file.length, w.byteLength);
    t.equal(file.length, 24 + input.reduce((s, r) => s + 16 + r.data.length, 0));
    const out = readPcap(file);
    t.equal(out.format, 'pcap');
    t.equal(out.interfaces[0]?.tsresol, resolution === 'us' ? 6 : 9);
    t.equal(out.records.length, input.length);
    let bad = 0;
    out.records.forEach((r, i) => {
      const x = input[i]!;
      const ok =
        r.linkType === LinkType.ETHERNET &&
        r.tsSec === x.tsSec &&
        r.tsNsec === x.tsNsec &&
        r.caplen === x.data.length &&
        r.origLen === x.origLen &&
        r.interfaceId === 0 &&
        Buffer.compare(r.data, x.data) === 0;
      if (!ok) bad++;
    });
    t.equal(bad, 0, 'every record identical (data, timestamps, lengths)');
    // Re-encoding what was read gives the same bytes.
    t.equal(Buffer.compare(writePcap(out.records, { resolution }), file), 0, 'read -> write is byte-exact');
    t.end();
  });
}

t.test('snaplen truncation, link type, options', (t) => {
  const w = new PcapWriter({ snaplen: 10, linkType: LinkType.RAW });
  w.write({ data: new Uint8Array(25).fill(7), tsSec: 3 });
  w.write({ data: new Uint8Array(4).fill(8), origLen: 1500 });
  const r = readPcap(w.toBytes());
  t.equal(r.interfaces[0]?.snaplen, 10);
  t.match(r.records[0], { linkType: LinkType.RAW, caplen: 10, origLen: 25, tsSec: 3, tsNsec: 0 });
  t.match(r.records[1], { caplen: 4, origLen: 1500 });
  t.same(r.warnings, []);
  t.end();
});

t.test('writer copies data and can continue after toBytes', (t) => {
  const w = new PcapWriter();
  const buf = Uint8Array.of(1, 2, 3);
  w.write({ data: buf });
  buf[0] = 9;
  const first = w.toBytes();
  w.write({ data: Uint8Array.of(4) });
  const second = w.toBytes();
  t.equal(readPcap(first).records.length, 1);
  t.equal(readPcap(first).records[0]?.data[0], 1);
  t.equal(readPcap(second).records.length, 2);
  // Growing the internal buffer past its first 64 KiB.
  const big = new PcapWriter();
  for (let i = 0; i < 100; i++) big.write({ data: new Uint8Array(1500).fill(i), tsSec: i });
  const rb = readPcap(big.toBytes());
  t.equal(rb.records.length, 100);
  t.ok(rb.records.every((r, i) => r.tsSec === i && r.data.every((b) => b === i)));
  t.end();
});

t.test('invalid values are RangeErrors', (t) => {
  const w = new PcapWriter();
  const d = new Uint8Array(1);
  t.throws(() => w.write({ data: d, tsSec: -1 }), RangeError);
  t.throws(() => w.write({ data: d, tsSec: 2 ** 32 }), RangeError);
  t.throws(() => w.write({ data: d, tsSec: 1.5 }), RangeError);
  t.throws(() => w.write({ data: d, tsNsec: 1_000_000_000 }), RangeError);
  t.throws(() => w.write({ data: d, origLen: -1 }), RangeError);
  t.throws(() => w.write({ data: d, linkType: LinkType.LINUX_SLL }), RangeError, 'link type mismatch');
  t.throws(() => w.write({ data: 'x' as unknown as Uint8Array }), TypeError);
  t.throws(() => new PcapWriter({ snaplen: 0 }), RangeError);
  t.throws(() => new PcapWriter({ linkType: 0x10000 }), RangeError);
  t.throws(() => new PcapWriter({ resolution: 'ms' as 'us' }), RangeError);
  t.equal(w.recordCount, 0, 'nothing written by failed calls');
  t.equal(w.byteLength, 24);
  t.end();
});

t.test('writePcapFile streams the same bytes as PcapWriter', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ixfabric-pcapw-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const input = randomRecords(3, 200, true);
  // include one record bigger than the 64 KiB write chunk
  input.push({ data: new Uint8Array(70000).fill(0x5a), tsSec: 7, tsNsec: 8, origLen: 70000 });
  async function* gen(): AsyncGenerator<PcapWriteRecord> {
    for (const r of input) {
      await Promise.resolve();
      yield r;
    }
  }
  for (const resolution of ['us', 'ns'] as const) {
    const path = join(dir, `out-${resolution}.pcap`);
    const res = await writePcapFile(path, gen(), { resolution, snaplen: 100000 });
    const expected = writePcap(input, { resolution, snaplen: 100000 });
    const got = readFileSync(path);
    t.equal(res.records, input.length);
    t.equal(res.bytes, got.length);
    t.equal(Buffer.compare(got, expected), 0, `file bytes (${resolution})`);
    const back = readPcap(got);
    t.equal(back.records.length, input.length);
    t.equal(back.records.at(-1)?.caplen, 70000);
  }
  // A sync iterable works too, and records from the reader can be written as they are.
  const recs: PcapRecord[] = readPcap(writePcap(input.slice(0, 5))).records;
  const path = join(dir, 'sync.pcap');
  const res = await writePcapFile(path, recs);
  t.equal(res.records, 5);
  t.equal(readPcap(readFileSync(path)).records.length, 5);
  // Errors reject the promise (and close the file).
  await t.rejects(writePcapFile(join(dir, 'bad.pcap'), [{ data: new Uint8Array(1), tsNsec: -1 }]), RangeError);
});
