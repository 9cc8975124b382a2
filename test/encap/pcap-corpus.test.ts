// Every capture under ../shared/pcaps (relative to the repository root) must parse completely,
// with the same record count (and per-record lengths and timestamps) as Wireshark's tools, and
// must survive seeded random mutations without throwing anything but PcapError or hanging.
//
// Needs tshark/capinfos (`DEBIAN_FRONTEND=noninteractive apt-get install -y tshark`); fails, does
// not skip, when they or the pcaps directory are missing.

import t from 'tap';
import { prng } from '../helpers/prng.js';
import { pcapsDir, repoRoot } from '../helpers/paths.js';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  LinkType,
  PcapError,
  PcapReader,
  detectPcapFormat,
  readPcap,
  toEthernet,
  type PcapFormat,
} from '../../src/encap/pcap-reader.js';

type TestT = Parameters<Parameters<typeof t.test>[0]>[0];

const MUTATIONS_PER_FILE = 2000;
const CAPTURE_EXTENSIONS = /\.(pcap|pcapng|cap|ntar|dmp)(\.gz)?$/i;

/** Counts checked by hand (walking the record headers with xxd / an independent script). */
const HAND_VERIFIED: Record<string, { count: number; format: PcapFormat }> = {
  'eoip-rs/mk-mk-arp.pcap': { count: 4, format: 'pcap' }, // caplens 84, 84, 112, 112 -> 480 bytes
  'eoip-rs/mk-mk-idle.pcap': { count: 24, format: 'pcap' },
  'eoip-rs/mk-mk-mtu.pcap': { count: 35, format: 'pcap' },
  'eoip-rs/mk-mk-multi.pcap': { count: 41, format: 'pcap' },
  'eoip-rs/mk-mk-ping.pcap': { count: 14, format: 'pcap' },
  'eoip-rs/mk-mk-updown.pcap': { count: 51, format: 'pcap' },
  'ndpi/openvpn.pcap': { count: 706, format: 'pcapng' }, // pcapng despite its name
  'ndpi/openvpn_nohmac_tcp.pcapng': { count: 195, format: 'pcapng' },
  'tcpreplay/test.pcap': { count: 179, format: 'pcap' },
  'arkime/ospf.pcap': { count: 394, format: 'pcap' },
};


function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...walk(p));
    else if (st.isFile()) out.push(p);
  }
  return out;
}

/** File contents, gunzipped when gzip-compressed (tshark reads those transparently too). */
function load(path: string): Uint8Array {
  const raw = readFileSync(path);
  const plain = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
  return new Uint8Array(plain); // a private copy, byteOffset 0
}

function run(cmd: string, args: string[]): { ok: boolean; stdout: string; error: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.error) return { ok: false, stdout: '', error: r.error.message };
  return { ok: r.status === 0, stdout: r.stdout, error: r.stderr };
}

const haveCapinfos = run('capinfos', ['-v']).ok || run('capinfos', ['-h']).ok;
const haveTshark = run('tshark', ['-v']).ok;

/** Run a tool asynchronously; stdout even on a non-zero exit status. */
function runAsync(cmd: string, args: string[]): Promise<{ ok: boolean; stdout: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }, (err, stdout) => {
      resolve({ ok: err === null, stdout: typeof stdout === 'string' ? stdout : '' });
    });
  });
}

/** Map with at most `limit` promises in flight (tshark start-up dominates: overlap it). */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Record count according to Wireshark: `capinfos -M -c -T`, else tshark. */
async function expectedCount(path: string): Promise<number> {
  if (haveCapinfos) {
    const r = await runAsync('capinfos', ['-M', '-c', '-T', path]);
    const last = r.stdout.trim().split('\n').at(-1) ?? '';
    const n = Number(last.split('\t').at(-1));
    if (r.ok && Number.isInteger(n)) return n;
  }
  const r = await runAsync('tshark', ['-n', '-r', path, '-T', 'fields', '-e', 'frame.number']);
  return r.stdout.split('\n').filter((l) => l.trim() !== '').length;
}

interface TsharkFrame {
  caplen: number;
  len: number;
  ts: [number, number] | null;
  iface: number | null;
}

/** Per-frame caplen, length, epoch time and interface id from tshark (empty without tshark). */
async function tsharkFrames(path: string): Promise<TsharkFrame[]> {
  if (!haveTshark) return [];
  const r = await runAsync('tshark', [
    '-n', '-r', path, '-T', 'fields', '-E', 'separator=,',
    '-e', 'frame.cap_len', '-e', 'frame.len', '-e', 'frame.time_epoch', '-e', 'frame.interface_id',
  ]);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line) => {
      const [cap = '', len = '', epoch = '', iface = ''] = line.split(',');
      const m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(epoch.trim());
      return {
        caplen: Number(cap),
        len: Number(len),
        ts: m ? [Number(m[1]), Number((m[2] ?? '').padEnd(9, '0'))] : null,
        iface: iface.trim() === '' ? null : Number(iface),
      };
    });
}

// ------------------------------------------------------------------------------------------------
// Mutation testing


function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Offsets of the file header and of every record header / block (from a clean walk). */
function structureOffsets(bytes: Uint8Array): number[] {
  const offsets = [0];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (detectPcapFormat(bytes) === 'pcapng') {
    let le = true;
    for (let off = 0; off + 12 <= bytes.length; ) {
      if (dv.getUint32(off, true) === 0x0a0d0d0a) le = dv.getUint32(off + 8, true) === 0x1a2b3c4d;
      const len = dv.getUint32(off + 4, le);
      if (len < 12) break;
      offsets.push(off);
      off += len;
    }
  } else {
    for (const r of new PcapReader(bytes, { lenient: true })) offsets.push(r.data.byteOffset - 16);
  }
  return offsets;
}

const INTERESTING_U32 = [
  0, 1, 2, 3, 4, 8, 11, 12, 13, 14, 16, 20, 24, 28, 31, 32, 60, 1514, 65535, 65536, 262144, 262145,
  0x7fffffff, 0x80000000, 0xfffffff0, 0xfffffffc, 0xffffffff, 0x0a0d0d0a, 0x1a2b3c4d, 0xa1b2c3d4, 6, 3, 5,
];

interface Outcome {
  records: number;
  truncated: boolean;
  error: PcapError | null;
  problem: string | null;
}

/** Parse with every invariant checked; never throws. */
function parseChecked(bytes: Uint8Array, lenient: boolean): Outcome {
  const maxRecords = Math.floor(bytes.length / 12) + 2; // every record consumes >= 12 bytes
  const started = performance.now();
  let records = 0;
  let reader: PcapReader | null = null;
  try {
    reader = new PcapReader(bytes, { lenient });
    for (const r of reader) {
      if (++records > maxRecords) return { records, truncated: false, error: null, problem: 'no progress (record bound exceeded)' };
      if (
        r.data.length !== r.caplen ||
        r.data.buffer !== bytes.buffer ||
        r.data.byteOffset < bytes.byteOffset ||
        r.data.byteOffset + r.data.length > bytes.byteOffset + bytes.length ||
        !Number.isInteger(r.caplen) ||
        !Number.isInteger(r.origLen) ||
        !Number.isFinite(r.tsSec) ||
        !Number.isInteger(r.tsNsec) ||
        r.tsNsec < 0 ||
        !Number.isInteger(r.interfaceId) ||
        r.interfaceId < 0 ||
        r.interfaceId >= reader.interfaces.length
      ) {
        return { records, truncated: false, error: null, problem: `bad record ${JSON.stringify({ ...r, data: r.data.length })}` };
      }
      const eth = toEthernet(r);
      if (eth !== null && eth.length < 14) return { records, truncated: false, error: null, problem: 'runt toEthernet frame' };
    }
  } catch (e) {
    if (!(e instanceof PcapError)) {
      return { records, truncated: false, error: null, problem: `unexpected ${(e as Error)?.name}: ${(e as Error)?.message}` };
    }
    if (!Number.isInteger(e.offset) || e.offset < 0 || e.offset > bytes.length || !e.message.endsWith(`at offset ${e.offset}`)) {
      return { records, truncated: false, error: e, problem: `bad PcapError offset: ${e.message}` };
    }
    if (lenient && e.message.startsWith('truncated')) {
      return { records, truncated: false, error: e, problem: `lenient mode threw: ${e.message}` };
    }
    return { records, truncated: false, error: e, problem: null };
  }
  const ms = performance.now() - started;
  if (ms > 2000) return { records, truncated: false, error: null, problem: `parse took ${ms.toFixed(0)} ms` };
  return { records, truncated: reader.truncated, error: null, problem: null };
}

function mutate(src: Uint8Array, rnd: () => number, structure: number[], donors: Uint8Array[]): Uint8Array {
  const ri = (n: number): number => Math.floor(rnd() * n);
  const near = (): number => (structure[ri(structure.length)] ?? 0) + ri(32);
  let b: Uint8Array = src.slice();
  const ops = 1 + ri(3);
  for (let k = 0; k < ops; k++) {
    const len = b.length;
    switch (ri(10)) {
      case 0: // bit flips anywhere
        for (let i = 1 + ri(4); i > 0 && len > 0; i--) {
          const p = ri(len);
          b[p]! ^= 1 << ri(8);
        }
        break;
      case 1: // random bytes in a header
        for (let i = 1 + ri(4); i > 0; i--) {
          const p = near();
          if (p < len) b[p] = ri(256);
        }
        break;
      case 2: // an interesting 32-bit value in a header field, either byte order
      case 3: {
        const p = (structure[ri(structure.length)] ?? 0) + 4 * ri(8);
        if (p + 4 <= len) {
          const v = rnd() < 0.15 ? ri(0x100000000) : INTERESTING_U32[ri(INTERESTING_U32.length)]!;
          new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(p, v >>> 0, rnd() < 0.7);
        }
        break;
      }
      case 4: // truncate anywhere
        b = b.subarray(0, ri(len + 1));
        break;
      case 5: // truncate around a header
        b = b.subarray(0, Math.max(0, Math.min(len, near() - 8)));
        break;
      case 6: {
        // splice: replace a range by a range of another (or the same) capture
        const donor = rnd() < 0.5 ? b : donors[ri(donors.length)]!;
        const a = ri(len + 1);
        const n = ri(Math.min(64, len - a) + 1);
        const c = ri(donor.length + 1);
        const m = ri(Math.min(64, donor.length - c) + 1);
        b = concat(b.subarray(0, a), donor.slice(c, c + m), b.subarray(a + n));
        break;
      }
      case 7: {
        // delete a range
        const a = ri(len + 1);
        b = concat(b.subarray(0, a), b.subarray(Math.min(len, a + 1 + ri(40))));
        break;
      }
      case 8: {
        // duplicate a range (often a whole header) somewhere else
        const c = ri(len + 1);
        const piece = b.slice(c, c + 1 + ri(48));
        const a = rnd() < 0.5 ? Math.min(len, near()) : ri(len + 1);
        b = concat(b.subarray(0, a), piece, b.subarray(a));
        break;
      }
      default: {
        // swap in the start of another capture (pcap header on a pcapng body and vice versa)
        const donor = donors[ri(donors.length)]!;
        const n = 4 + ri(60);
        b = concat(donor.subarray(0, n), b.subarray(Math.min(len, n)));
      }
    }
  }
  return b.byteOffset === 0 && b.length === b.buffer.byteLength ? b : b.slice();
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function mutationRun(t: TestT, rel: string, bytes: Uint8Array, all: { bytes: Uint8Array }[]): void {
  const seed = fnv1a(rel);
  const rnd = prng(seed);
  const structure = structureOffsets(bytes);
  const donors = all.map((c) => c.bytes).filter((d) => d.length > 0);
  const problems: string[] = [];
  const stats = { clean: 0, pcapError: 0, truncated: 0 };
  for (let i = 0; i < MUTATIONS_PER_FILE; i++) {
    const m = mutate(bytes, rnd, structure, donors);
    const strict = parseChecked(m, false);
    const lenient = parseChecked(m, true);
    let problem = strict.problem ?? lenient.problem;
    if (problem === null) {
      // Lenient mode differs from strict mode only at a truncated final record/block.
      if (strict.error === null) {
        if (lenient.error !== null || lenient.truncated || lenient.records !== strict.records) problem = 'lenient differs on a good input';
      } else if (strict.error.message.startsWith('truncated')) {
        if (lenient.error !== null || !lenient.truncated || lenient.records !== strict.records) problem = 'lenient did not stop at the truncation';
      } else if (lenient.error?.message !== strict.error.message || lenient.records !== strict.records) {
        problem = 'lenient differs on a structural error';
      }
    }
    if (problem !== null) {
      if (problems.length < 5) problems.push(`seed ${seed} mutation #${i} (${m.length} bytes): ${problem}`);
      continue;
    }
    if (strict.error === null) stats.clean++;
    else if (lenient.truncated) stats.truncated++;
    else stats.pcapError++;
  }
  t.same(
    problems,
    [],
    `${MUTATIONS_PER_FILE} mutations: ${stats.clean} parsed, ${stats.truncated} truncated, ` +
      `${stats.pcapError} PcapError, nothing else thrown, no hang`,
  );
  // The untouched file still parses (the mutator worked on copies).
  t.equal(readPcap(bytes).truncated, false);
}

// ------------------------------------------------------------------------------------------------

function main(): void {
  if (!existsSync(pcapsDir)) {
    t.fail(
      `capture corpus not found at ${pcapsDir} (expected ../shared/pcaps next to the repository ` +
        `root ${repoRoot}); clone the project next to the shared/ directory`,
    );
  } else if (!haveCapinfos && !haveTshark) {
    t.fail('neither capinfos nor tshark found: run `DEBIAN_FRONTEND=noninteractive apt-get install -y tshark`');
  } else {
    const captures: { rel: string; path: string; bytes: Uint8Array }[] = [];
    for (const path of walk(pcapsDir)) {
      const rel = relative(pcapsDir, path).split('\\').join('/');
      let bytes: Uint8Array;
      try {
        bytes = load(path);
      } catch {
        bytes = new Uint8Array(0);
      }
      if (CAPTURE_EXTENSIONS.test(rel) || detectPcapFormat(bytes) !== null) captures.push({ rel, path, bytes });
    }

    t.test('corpus inventory', (t) => {
      t.ok(captures.length >= 40, `found ${captures.length} captures under ${pcapsDir}`);
      const names = new Set(captures.map((c) => c.rel));
      for (const rel of Object.keys(HAND_VERIFIED)) t.ok(names.has(rel), `${rel} present`);
      t.end();
    });

    t.test('every corpus capture parses completely, counts match Wireshark', async (t) => {
      const tools = await mapLimit(captures, 4, async (c) => ({
        count: await expectedCount(c.path),
        frames: await tsharkFrames(c.path),
      }));
      captures.forEach(({ rel, bytes }, index) => {
        const tool = tools[index]!;
        t.test(rel, (t) => {
          const format = detectPcapFormat(bytes);
          t.not(format, null, 'recognised as pcap or pcapng');
          let result: ReturnType<typeof readPcap>;
          try {
            result = readPcap(bytes);
          } catch (e) {
            t.fail(`strict parse failed: ${String(e)}`);
            t.end();
            return;
          }
          t.equal(result.format, format, 'format');
          t.equal(result.truncated, false, 'not truncated');
          const expected = tool.count;
          t.equal(result.records.length, expected, `record count = ${expected} (Wireshark)`);
          const hand = HAND_VERIFIED[rel];
          if (hand) {
            t.equal(result.records.length, hand.count, `hand-verified count ${hand.count}`);
            t.equal(result.format, hand.format, `hand-verified format ${hand.format}`);
          }
          // Lengths, timestamps and interface ids against tshark, record by record.
          if (haveTshark) {
            const frames = tool.frames;
            let mismatches = 0;
            let firstMismatch = '';
            result.records.forEach((r, i) => {
              const f = frames[i];
              const ok =
                f !== undefined &&
                f.caplen === r.caplen &&
                f.len === r.origLen &&
                (f.ts === null || (f.ts[0] === r.tsSec && f.ts[1] === r.tsNsec)) &&
                (f.iface === null || f.iface === r.interfaceId);
              if (!ok && mismatches++ === 0) {
                firstMismatch = `#${i + 1}: ours ${JSON.stringify({ ...r, data: undefined })} tshark ${JSON.stringify(f)}`;
              }
            });
            if (frames.length > 0 && frames.every((f) => f.ts === null)) {
              t.comment(`${rel}: tshark time format not understood, timestamps not compared`);
            }
            t.equal(frames.length, result.records.length, 'tshark frame count');
            t.equal(mismatches, 0, `caplen/len/timestamp/interface match tshark ${firstMismatch}`);
          }
          // Views, lengths, conversion to Ethernet.
          const badViews = result.records.filter(
            (r) =>
              r.data.length !== r.caplen ||
              r.data.buffer !== bytes.buffer ||
              r.data.byteOffset + r.data.length > bytes.length,
          ).length;
          t.equal(badViews, 0, 'data is a caplen-long view into the input');
          const notEthernet = result.records.filter((r) => {
            const eth = toEthernet(r);
            return r.linkType === LinkType.ETHERNET ? eth !== r.data && r.caplen >= 14 : eth === null;
          }).length;
          t.equal(notEthernet, 0, 'toEthernet gives a frame for every record');
          t.end();
        });
      });
    });

    t.test(`mutation robustness (${MUTATIONS_PER_FILE} seeded mutations per capture)`, (t) => {
      for (const cap of captures) {
        t.test(cap.rel, (t) => {
          mutationRun(t, cap.rel, cap.bytes, captures);
          t.end();
        });
      }
      t.end();
    });
  }
}

main();
