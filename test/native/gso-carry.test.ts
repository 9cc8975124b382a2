// Offloaded super-packets carried whole: a Poller with `offload` on a descriptor with a virtio
// header (a packetOpen socket, a TAP opened with vnetHdr) delivers a TSO/GSO/GRO super-packet
// as one frame with its offload metadata, send() with that metadata hands it to the next kernel
// whole, and segment() cuts it exactly like the segmenting receive path for descriptors that
// cannot take it.
//
// The TCP tests join two member namespaces A and B through this process exactly as the daemon
// does (veth ends or TAPs, Pollers with offload, send() with metadata, or segment() towards a
// TAP without virtio header): B's kernel verifies every checksum, so a byte stream that arrives
// intact proves the super-packets and their headers were right; the pollers' stats prove they
// went through whole.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  native,
  Poller,
  DESC_STRIDE,
  META_STRIDE,
  OFFLOAD_FRAME_MIN,
  type IoKind,
  type PollerStats,
} from '../../src/dataplane/native.js';
import { GsoSplitter, FrameBatch } from '../../src/dataplane/frame-batch.js';
import {
  check,
  craftedCases,
  fold,
  hasEthtool,
  hasPython,
  INJECT,
  injector,
  ip,
  makePair,
  nodeIn,
  nsRun,
  offloadsOn,
  pattern,
  plain,
  quiet,
  sameFrames,
  sleep,
  Stream,
  sum16,
  TCP_SINK,
  TCP_SOURCE,
  uniq,
  until,
  type Crafted,
  type Pair,
} from './offload-helpers.js';

const slotFor = (headroom: number): number => Math.ceil((headroom + OFFLOAD_FRAME_MIN) / 64) * 64;

/** The metadata a crafted super-packet's virtio header stands for: [type, size, l4, hdrEnd]. */
function metaOf(c: Crafted): number[] {
  const w = c.wire;
  return [w[1] as number, w.readUInt16LE(4), w.readUInt16LE(6), w.readUInt16LE(2)];
}

/** The frame of a crafted packet as injected (without its virtio header). */
const frameOf = (c: Crafted): Buffer => c.wire.subarray(10);

// ---------- segment() ----------

t.test('segment(): crafted super-packets cut into exact segments, in chunks, or refused', async (t) => {
  const cases = craftedCases().filter((c) => c.wire[1] !== 0);
  t.ok(cases.length >= 5);
  for (const c of cases) {
    const f = frameOf(c);
    const src = Buffer.alloc(f.length + 100);
    f.copy(src, 100);
    const meta = new Uint16Array([0, 0, 0, 0, ...metaOf(c)]); // metaIndex 1
    const dst = Buffer.alloc(64 * 2048);
    const offs = new Uint32Array(64);
    const lens = new Uint32Array(64);
    const n = native.segment(src, 100, f.length, meta, 1, dst, offs, lens, 2048, 64, 0);
    const got = [...Array(Math.max(n, 0)).keys()].map((k) => Buffer.from(dst.subarray(offs[k]!, offs[k]! + lens[k]!)));
    sameFrames(t, `${c.name}`, got, c.expect);
    t.same([...offs.subarray(0, n)], [...Array(n).keys()].map((k) => k * 2048 + 64), 'segment k at k*slotSize + headroom');

    // two slots at a time, continuing with `first`
    const small = Buffer.alloc(2 * 2048);
    const chunks: Buffer[] = [];
    for (let first = 0; ; ) {
      const m = native.segment(src, 100, f.length, meta, 1, small, offs, lens, 2048, 64, first);
      if (m <= 0) {
        t.equal(m, 0, `${c.name}: 0 once past the last segment`);
        break;
      }
      for (let k = 0; k < m; k++) chunks.push(Buffer.from(small.subarray(offs[k]!, offs[k]! + lens[k]!)));
      first += m;
    }
    t.ok(
      chunks.length === c.expect.length && chunks.every((b, k) => b.equals(c.expect[k]!)),
      `${c.name}: the same segments two at a time`,
    );
    t.same([...f], [...src.subarray(100)], `${c.name}: the super-packet itself is untouched`);
  }
  const c = cases[0]!;
  const f = frameOf(c);
  const m = metaOf(c);
  const dst = Buffer.alloc(8 * 1024);
  const offs = new Uint32Array(8);
  const lens = new Uint32Array(8);
  t.equal(native.segment(f, 0, f.length, new Uint16Array(m), 0, dst, offs, lens, 1024, 64, 0), -1, 'a segment larger than a slot: -1');
  t.equal(native.segment(f, 0, f.length, new Uint16Array([m[0]!, m[1]!, m[2]! + 4, m[3]!]), 0, Buffer.alloc(64 * 2048), new Uint32Array(64), new Uint32Array(64), 2048, 64, 0), -1, 'metadata pointing elsewhere: -1');
  t.equal(native.segment(f, 0, f.length, new Uint16Array([m[0] === 4 ? 1 : 4, m[1]!, m[2]!, m[3]!]), 0, Buffer.alloc(64 * 2048), new Uint32Array(64), new Uint32Array(64), 2048, 64, 0), -1, 'the wrong IP version: -1');
});

// ---------- crafted packets through a packet socket with offload, and on with send() ----------

interface Got {
  frame: Buffer;
  meta: number[];
}

/** An offload Poller on fd keeping copies of what it delivers; `onBatch` sees the live batch. */
function wholeReader(
  t: Test,
  fd: number,
  kind: IoKind,
  opts: { headroom?: number; maxBatch?: number; start?: boolean } = {},
  onBatch?: (slab: Buffer, offsets: Uint32Array, lengths: Uint32Array, meta: Uint16Array, n: number) => void,
): { poller: InstanceType<typeof Poller>; got: Got[] } {
  const headroom = opts.headroom ?? 64;
  const maxBatch = opts.maxBatch ?? 16;
  const slotSize = slotFor(headroom);
  const slab = Buffer.alloc(slotSize * maxBatch);
  const offsets = new Uint32Array(maxBatch);
  const lengths = new Uint32Array(maxBatch);
  const meta = new Uint16Array(maxBatch * META_STRIDE);
  const got: Got[] = [];
  const poller = new Poller(fd, kind, slab, { slotSize, headroom, maxBatch, offsets, lengths, offload: true, meta }, (n) => {
    for (let i = 0; i < n; i++) {
      got.push({ frame: Buffer.from(slab.subarray(offsets[i]!, offsets[i]! + lengths[i]!)), meta: [...meta.subarray(i * META_STRIDE, (i + 1) * META_STRIDE)] });
    }
    onBatch?.(slab, offsets, lengths, meta, n);
  });
  if (opts.start !== false) poller.start();
  t.teardown(() => poller.close());
  return { poller, got };
}

/** A segmenting (non-offload) Poller on fd keeping copies of what it delivers. */
function segReader(t: Test, fd: number): Buffer[] {
  const slab = Buffer.alloc(2048 * 64);
  const offsets = new Uint32Array(64);
  const lengths = new Uint32Array(64);
  const frames: Buffer[] = [];
  const p = new Poller(fd, 'dgram', slab, { slotSize: 2048, headroom: 64, maxBatch: 64, offsets, lengths }, (n) => {
    for (let i = 0; i < n; i++) frames.push(Buffer.from(slab.subarray(offsets[i]!, offsets[i]! + lengths[i]!)));
  });
  p.start();
  t.teardown(() => p.close());
  return frames;
}

/** What an offload reader must deliver for crafted packet c: the frame whole, or its one frame. */
function expectWhole(c: Crafted): Got {
  if (c.wire[1] !== 0 && c.expect.length > 1) return { frame: Buffer.from(frameOf(c)), meta: metaOf(c) };
  return { frame: c.expect[0]!, meta: [0, 0, 0, 0] };
}

function sameGot(t: Test, name: string, got: Got[], expect: Got[]): void {
  t.equal(got.length, expect.length, `${name}: ${expect.length} frames`);
  let ok = 0;
  for (let k = 0; k < expect.length; k++) {
    const g = got[k];
    const e = expect[k]!;
    // (A single-segment GSO packet may come as a plain CHECKSUM_PARTIAL frame; its metadata then
    // only says type 0.)
    if (g !== undefined && g.frame.equals(e.frame) && (g.meta[0] === 0 ? e.meta[0] === 0 : g.meta.join() === e.meta.join())) ok++;
    else t.fail(`${name}: frame ${k} differs\n got ${g?.frame.toString('hex')} ${JSON.stringify(g?.meta)}\nwant ${e.frame.toString('hex')} ${JSON.stringify(e.meta)}`);
  }
  t.equal(ok, expect.length, `${name}: every frame byte-exact with its metadata, in order`);
}

for (const headroom of [64, 4]) {
  t.test(`offload (headroom ${headroom}): crafted super-packets arrive whole with metadata; send() hands them on whole`, { skip: !hasPython && 'python3 not installed' }, async (t) => {
    const { rxIf, inject } = injector(t);
    const p = uniq();
    const o0 = `${p}o`;
    const o1 = `${p}p`;
    ip('link', 'add', o0, 'type', 'veth', 'peer', 'name', o1);
    t.teardown(() => {
      try {
        ip('link', 'del', o0);
      } catch {
        /* gone */
      }
    });
    for (const n of [o0, o1]) {
      quiet(n);
      ip('link', 'set', n, 'up');
    }
    const fin = native.packetOpen(rxIf);
    const fout = native.packetOpen(o0);
    const fwhole = native.packetOpen(o1);
    const fseg = native.packetOpen(o1);
    t.teardown(() => [fin, fout, fwhole, fseg].forEach((fd) => native.close(fd)));
    t.equal(native.vnetHdrLen(fin), 10, 'a packet socket has a virtio header');

    const result = new Int32Array(2);
    const sendErrors: number[] = [];
    const desc = new Uint32Array(16 * DESC_STRIDE);
    // maxBatch 4 with one batch per event: a burst takes several batches
    const inbound = wholeReader(t, fin, 'dgram', { headroom, maxBatch: 4, start: false }, (slab, offsets, lengths, meta, n) => {
      for (let i = 0; i < n; i++) desc.set([offsets[i]!, lengths[i]!, 0, 0, 0], i * DESC_STRIDE);
      const sent = native.send(fout, 'dgram', slab, desc, n, null, result, meta);
      if (sent !== n || result[0] !== 0) sendErrors.push(n - sent, result[0]!, result[1]!);
    });
    t.equal(inbound.poller.offload, true, 'offload is on');
    const outbound = wholeReader(t, fwhole, 'dgram', { headroom });
    const segments = segReader(t, fseg);

    const burst: Crafted[] = [];
    craftedCases().forEach((c, i) => burst.push(plain(i + 1), c));
    burst.push(plain(99, 1514));
    inject(burst.map((c) => c.wire));
    await sleep(100);
    inbound.poller.start();
    const want = burst.map(expectWhole);
    const wantSegs = burst.flatMap((c) => c.expect);
    t.ok(await until(() => outbound.got.length >= want.length && segments.length >= wantSegs.length, 3000), 'everything arrived on both sides');
    await sleep(50);
    sameGot(t, 'received', inbound.got, want);
    t.same(sendErrors, [], 'send() accepted every frame');
    sameGot(t, 'sent on whole, received again', outbound.got, want);
    sameFrames(t, "sent on whole, cut by the receiving socket's segmenting poller", segments, wantSegs);

    const st: PollerStats = inbound.poller.stats();
    const multi = burst.filter((c) => c.wire[1] !== 0 && c.expect.length > 1);
    t.equal(st.gsoCarried, multi.length, `gsoCarried = ${multi.length}`);
    t.equal(st.gsoCarriedSegments, multi.reduce((a, c) => a + c.expect.length, 0), 'gsoCarriedSegments = their segments');
    t.equal(st.gsoSegmented, 0, 'nothing segmented');
    t.equal(st.gsoDropped, 0);
    t.equal(st.truncated, 0);
    t.equal(st.frames, burst.length, 'one frame per packet');
    t.equal(outbound.poller.stats().gsoCarried, multi.length, 'the next kernel handed them on whole too');
  });
}

// uring: the TAP is read through io_uring (the default) or with one readv per frame
for (const [headroom, uring] of [[64, true], [4, true], [4, false]] as const) {
  t.test(`offload TAP (headroom ${headroom}, ${uring ? 'io_uring' : 'readv'}): crafted super-packets the kernel transmits on it arrive whole with metadata`, { skip: !hasPython && 'python3 not installed' }, async (t) => {
    t.equal(native.tapUring(uring), uring, 'TAP I/O mode');
    t.teardown(() => void native.tapUring(true));
    const want = `${uniq()}t`;
    const { fd, name } = native.tapOpen(want, { vnetHdr: true, offload: true });
    t.teardown(() => native.close(fd));
    quiet(name);
    const r = wholeReader(t, fd, 'stream', { headroom });
    t.equal(r.poller.offload, true);
    const burst: Crafted[] = [];
    craftedCases().forEach((c, i) => burst.push(plain(i + 1), c));
    burst.push(plain(99, 1514));
    // A packet socket with a virtio header on the TAP device: the kernel transmits GSO and
    // CHECKSUM_PARTIAL skbs on it (the TAP offers TSO and checksumming), and the TAP hands them to us.
    const res = spawnSync('python3', ['-c', INJECT, name], { input: burst.map((c) => c.wire.toString('hex')).join('\n') + '\n' });
    t.equal(res.status, 0, `injected (${res.stderr?.toString().trim()})`);
    const expect = burst.map(expectWhole);
    t.ok(await until(() => r.got.length >= expect.length, 3000), `${expect.length} frames arrived`);
    await sleep(50);
    // (IPv6 autoconfiguration noise is off, but the kernel may still send its own frames.)
    const mine = r.got.filter((g) => g.frame.subarray(0, 12).equals(Buffer.from('02aabbccdd0202aabbccdd01', 'hex')));
    sameGot(t, 'TAP', mine, expect);
    const st = r.poller.stats();
    const multi = burst.filter((c) => c.wire[1] !== 0 && c.expect.length > 1);
    t.equal(st.gsoCarried, multi.length, `gsoCarried = ${multi.length}`);
    t.equal(st.gsoDropped, 0);
    t.equal(st.truncated, 0);
  });
}

t.test('TAP with virtio header, Poller without offload: checksums completed, super-packets dropped and counted', { skip: !hasPython && 'python3 not installed' }, async (t) => {
  const want = `${uniq()}t`;
  const { fd, name } = native.tapOpen(want, { vnetHdr: true, offload: true });
  t.teardown(() => native.close(fd));
  quiet(name);
  const slab = Buffer.alloc(2048 * 16);
  const offsets = new Uint32Array(16);
  const lengths = new Uint32Array(16);
  const got: Buffer[] = [];
  const p = new Poller(fd, 'stream', slab, { slotSize: 2048, headroom: 64, maxBatch: 16, offsets, lengths }, (n) => {
    for (let i = 0; i < n; i++) {
      const f = Buffer.from(slab.subarray(offsets[i]!, offsets[i]! + lengths[i]!));
      if (f.subarray(0, 12).equals(Buffer.from('02aabbccdd0202aabbccdd01', 'hex'))) got.push(f);
    }
  });
  p.start();
  t.teardown(() => p.close());
  t.equal(p.offload, false);
  const cases = craftedCases();
  const res = spawnSync('python3', ['-c', INJECT, name], { input: cases.map((c) => c.wire.toString('hex')).join('\n') + '\n' });
  t.equal(res.status, 0);
  const multi = cases.filter((c) => c.wire[1] !== 0 && c.expect.length > 1);
  const rest = cases.filter((c) => !multi.includes(c));
  t.ok(await until(() => got.length >= rest.length && p.stats().gsoDropped >= multi.length, 3000), 'all handled');
  await sleep(50);
  sameFrames(t, 'plain and CHECKSUM_PARTIAL frames', got, rest.map((c) => c.expect[0]!));
  t.equal(p.stats().gsoDropped, multi.length, 'every super-packet counted in gsoDropped');
});

// ---------- TCP between members through our sockets ----------

/** One end of the fabric: a descriptor, its kind, and whether it takes super-packets. */
interface End {
  fd: number;
  kind: IoKind;
  /** A virtio header: read with offload, send super-packets whole. */
  vnet: boolean;
}

interface Dir {
  stats(): PollerStats;
  frames: number;
  /** Delivered super-packets and their largest length. */
  supers: number;
  maxLen: number;
  bad: string[];
}

/** Pseudo-header sum (folded, not complemented) over the L4 length of frame f. */
function pseudoOf(f: Buffer, l3: number, v6: boolean, proto: number, l4len: number): number {
  return fold(v6 ? sum16(f, l3 + 8, 32) + l4len + proto : sum16(f, l3 + 12, 8) + proto + l4len);
}

/** Problems of a delivered super-packet with its metadata (IP lengths, headers, checksum field). */
function checkSuper(f: Buffer, m: number[]): string | null {
  let l3 = 14;
  while (f.readUInt16BE(l3 - 2) === 0x8100 || f.readUInt16BE(l3 - 2) === 0x88a8) l3 += 4;
  const v6 = f.readUInt16BE(l3 - 2) === 0x86dd;
  const type = m[0]! & 0x7f;
  if (v6 !== (type === 4) && type !== 5) return `gso type ${type} for IPv${v6 ? 6 : 4}`;
  const iplen = v6 ? 40 + f.readUInt16BE(l3 + 4) : f.readUInt16BE(l3 + 2);
  if (l3 + iplen !== f.length) return `IP length ${iplen} for a ${f.length}-byte frame`;
  if (!v6 && fold(sum16(f, l3, ((f[l3] as number) & 15) * 4)) !== 0xffff) return 'IPv4 header checksum';
  const l4 = m[2]!;
  const proto = type === 5 ? 17 : 6;
  if (l4 !== l3 + (v6 ? 40 : ((f[l3] as number) & 15) * 4)) return `l4 offset ${l4}`;
  const hend = proto === 6 ? l4 + ((f[l4 + 12] as number) >> 4) * 4 : l4 + 8;
  if (m[3] !== hend) return `header end ${m[3]} (want ${hend})`;
  if (f.readUInt16BE(l4 + (proto === 6 ? 16 : 6)) !== pseudoOf(f, l3, v6, proto, f.length - l4)) return 'checksum field is not the pseudo-header sum';
  return null;
}

/**
 * Forwards everything from `from` to `to` the way FdPort does: read with offload when `from` has
 * a virtio header; send super-packets whole when `to` has one, else cut them first (GsoSplitter
 * over native segment()). Every delivered frame is checked, and the data segments it stands for
 * go to `onSegment` (cut here when needed) so the stream can be reassembled.
 */
function pipe(t: Test, from: End, to: End, onSegment: (f: Buffer) => void): Dir {
  const maxBatch = 64;
  const headroom = 64;
  const batch = new FrameBatch(maxBatch, from.vnet ? slotFor(headroom) : 2048, headroom);
  const desc = new Uint32Array(maxBatch * DESC_STRIDE);
  const txMeta = new Uint16Array(maxBatch * META_STRIDE);
  const result = new Int32Array(2);
  const errors = new Int32Array(2);
  const idx = Uint32Array.from([...Array(maxBatch).keys()]);
  const splitter = new GsoSplitter(native.segment);
  const scratch = { slab: Buffer.alloc(64 * 2048), offsets: new Uint32Array(64), lengths: new Uint32Array(64) };
  const dir: Dir = { stats: () => poller.stats(), frames: 0, supers: 0, maxLen: 0, bad: [] };
  const send = (b: FrameBatch, frames: Uint32Array, n: number, errs: Int32Array): number => {
    for (let k = 0; k < n; k++) {
      const i = frames[k]!;
      desc.set([b.offsets[i]!, b.lengths[i]!, 0, 0, 0], k * DESC_STRIDE);
      txMeta.set(b.meta.subarray(i * META_STRIDE, (i + 1) * META_STRIDE), k * META_STRIDE);
    }
    const sent = native.send(to.fd, to.kind, b.slab, desc, n, null, result, to.vnet ? txMeta : null);
    errs[0] = result[0]!;
    return sent;
  };
  const poller = new Poller(
    from.fd,
    from.kind,
    batch.slab,
    { slotSize: batch.slotSize, headroom, maxBatch, offsets: batch.offsets, lengths: batch.lengths, offload: from.vnet, meta: batch.meta },
    (n) => {
      if (n < 0) {
        dir.bad.push(`onBatch(${n})`);
        return;
      }
      batch.count = n;
      for (let i = 0; i < n; i++) {
        const f = batch.frame(i);
        dir.frames++;
        if (f.length > dir.maxLen) dir.maxLen = f.length;
        if (batch.isSuper(i)) {
          dir.supers++;
          const m = [...batch.meta.subarray(i * META_STRIDE, (i + 1) * META_STRIDE)];
          const problem = checkSuper(f, m);
          if (problem !== null) dir.bad.push(`super-packet ${dir.frames}: ${problem}`);
          const segs = native.segment(batch.slab, batch.offsets[i]!, batch.lengths[i]!, batch.meta, i, scratch.slab, scratch.offsets, scratch.lengths, 2048, 0, 0);
          if (segs !== batch.segments(i)) dir.bad.push(`super-packet ${dir.frames}: ${segs} segments, metadata says ${batch.segments(i)}`);
          for (let k = 0; k < segs; k++) {
            const s = scratch.slab.subarray(scratch.offsets[k]!, scratch.offsets[k]! + scratch.lengths[k]!);
            const p = check(s);
            if (p !== null) dir.bad.push(`segment ${k} of super-packet ${dir.frames}: ${p}`);
            onSegment(s);
          }
        } else {
          const p = check(f);
          if (p !== null) dir.bad.push(`frame ${dir.frames}: ${p}`);
          onSegment(f);
        }
      }
      if (to.vnet) send(batch, idx, n, errors);
      else splitter.transmit(batch, idx, n, errors, send);
    },
  );
  poller.start();
  t.teardown(() => poller.close());
  return dir;
}

async function tcpTransfer(t: Test, pair: { nsA: string; nsB: string; addrB: string }, a: End, b: End, size = 8 << 20): Promise<{ ab: Dir; ba: Dir; stream: Stream }> {
  const port = 5000 + Math.floor(Math.random() * 1000);
  const stream = new Stream(port, size);
  const ab = pipe(t, a, b, (f) => stream.frame(f));
  const ba = pipe(t, b, a, () => {});
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  const sink = nodeIn(pair.nsB, TCP_SINK, [pair.addrB, String(port)], (l) => l === 'ready' && ready());
  await Promise.race([isReady, sleep(10_000)]);
  const source = await nodeIn(pair.nsA, TCP_SOURCE, [pair.addrB, String(port), String(size)]);
  t.equal(source.code, 0, `sender finished (${source.err.trim()})`);
  const got = await sink;
  const line = got.out.split('\n').find((l) => l.startsWith('{'));
  const res = line ? (JSON.parse(line) as { bytes: number; sha256: string }) : { bytes: -1, sha256: '' };
  t.equal(res.bytes, size, 'B received every byte');
  t.equal(res.sha256, createHash('sha256').update(pattern(size)).digest('hex'), "B's byte stream is the pattern");
  t.same(ab.bad, [], 'A->B: every super-packet and frame is consistent, every segment checksum verifies');
  t.same(ba.bad, [], 'B->A: likewise');
  t.ok(stream.complete() && stream.data.equals(pattern(size)), 'the stream reassembled from what crossed equals what was sent');
  t.comment(`A->B: ${ab.frames} frames, ${ab.supers} super-packets (largest ${ab.maxLen} bytes), stats ${JSON.stringify(ab.stats())}; B->A ${JSON.stringify(ba.stats())}`);
  return { ab, ba, stream };
}

const skipE2E = !hasEthtool ? 'ethtool not installed' : false;

function vethEnds(t: Test, pair: Pair): { a: End; b: End } {
  const fx = native.packetOpen(pair.x);
  const fy = native.packetOpen(pair.y);
  t.teardown(() => {
    native.close(fx);
    native.close(fy);
  });
  return { a: { fd: fx, kind: 'dgram', vnet: true }, b: { fd: fy, kind: 'dgram', vnet: true } };
}

function carriedWhole(t: Test, ab: Dir): void {
  const s = ab.stats();
  t.ok(s.gsoCarried > 0, `super-packets carried whole (gsoCarried ${s.gsoCarried}, standing for ${s.gsoCarriedSegments} segments)`);
  t.ok(ab.maxLen > 1514 + 4, `frames larger than the MTU crossed (largest ${ab.maxLen})`);
  t.equal(s.gsoSegmented, 0, 'nothing segmented on receive');
  t.equal(s.gsoDropped, 0, 'nothing dropped');
  t.equal(s.truncated, 0, 'nothing truncated');
}

for (const opts of [{}, { v6: true }] as { v6?: boolean }[]) {
  t.test(`TCP/IPv${opts.v6 ? 6 : 4} between veth members, super-packets carried whole`, { skip: skipE2E }, async (t) => {
    const pair = makePair(t, opts);
    offloadsOn(pair);
    const { a, b } = vethEnds(t, pair);
    const { ab } = await tcpTransfer(t, pair, a, b);
    carriedWhole(t, ab);
  });
}

/** A TAP opened here with vnetHdr+offload, moved into namespace ns with addr on it. */
function tapIn(t: Test, ns: string, addr: string, pfx: string, v6: boolean, offload = true): End & { name: string } {
  const want = `${uniq()}t`;
  const { fd, name, offloads } = native.tapOpen(want, offload ? { vnetHdr: true, offload: true } : {});
  t.teardown(() => native.close(fd)); // the TAP is not persistent: it goes with its last fd
  t.equal(name, want);
  if (offload) t.equal(offloads & 0x0f, 0x0f, 'TUN_F_CSUM | TSO4 | TSO6 | TSO_ECN set');
  t.equal(native.vnetHdrLen(fd), offload ? 10 : 0, offload ? 'the TAP has a 10-byte virtio header' : 'no virtio header');
  ip('link', 'set', name, 'netns', ns);
  ip('-n', ns, 'link', 'set', name, 'up');
  ip('-n', ns, 'addr', 'add', `${addr}/${pfx}`, 'dev', name, ...(v6 ? ['nodad'] : []));
  return { fd, kind: 'stream', vnet: offload, name };
}

function tapPair(t: Test, v6: boolean): { nsA: string; nsB: string; addrA: string; addrB: string } {
  const p = uniq();
  const nsA = `${p}A`;
  const nsB = `${p}B`;
  for (const ns of [nsA, nsB]) {
    ip('netns', 'add', ns);
    t.teardown(() => {
      try {
        ip('netns', 'del', ns);
      } catch {
        /* gone */
      }
    });
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    nsRun(ns, 'sysctl', '-qw', 'net.ipv6.conf.default.accept_ra=0');
  }
  return { nsA, nsB, addrA: v6 ? 'fd00:2f::1' : '10.232.0.1', addrB: v6 ? 'fd00:2f::2' : '10.232.0.2' };
}

for (const v6 of [false, true]) {
  t.test(`TCP/IPv${v6 ? 6 : 4} between TAP members (vnetHdr + offload), super-packets carried whole`, async (t) => {
    const pair = tapPair(t, v6);
    const a = tapIn(t, pair.nsA, pair.addrA, v6 ? '64' : '24', v6);
    const b = tapIn(t, pair.nsB, pair.addrB, v6 ? '64' : '24', v6);
    if (hasEthtool) t.match(nsRun(pair.nsA, 'ethtool', '-k', a.name), /tcp-segmentation-offload: on/, "A's TAP offers TSO");
    const { ab } = await tcpTransfer(t, pair, a, b);
    carriedWhole(t, ab);
  });
}

t.test('TCP from a veth member to a TAP member and back: super-packets cross device kinds', { skip: skipE2E }, async (t) => {
  const pair = makePair(t, {});
  offloadsOn(pair);
  const { a } = vethEnds(t, pair);
  // B's side is a TAP in B's namespace instead of the veth (which loses its address)
  ip('-n', pair.nsB, 'addr', 'flush', 'dev', pair.vethB);
  const b = tapIn(t, pair.nsB, pair.addrB, '24', false);
  const { ab, ba } = await tcpTransfer(t, pair, a, b);
  carriedWhole(t, ab);
  t.ok(ba.frames > 0, `B->A: ${ba.frames} frames (acks)`);
});

t.test('TCP to a TAP without virtio header: super-packets cut by segment() on the way', { skip: skipE2E }, async (t) => {
  const pair = makePair(t, {});
  offloadsOn(pair);
  const { a } = vethEnds(t, pair);
  ip('-n', pair.nsB, 'addr', 'flush', 'dev', pair.vethB);
  const b = tapIn(t, pair.nsB, pair.addrB, '24', false, false);
  const { ab } = await tcpTransfer(t, pair, a, b, 4 << 20);
  carriedWhole(t, ab);
});

t.test('offload: VXLAN-encapsulated super-packets from a member are dropped and counted, never carried', { skip: skipE2E }, async (t) => {
  // The member's VXLAN device hands the veth TCP super-packets whose csum_start is the inner TCP
  // header, reported as plain GSO_TCPV4 (see packet-offload.test.ts). Carried on as they are, the
  // next kernel would cut them at the outer headers: they are dropped (gsoDropped) instead.
  // (The kernel refuses to inject such packets, or IP lengths of 0, from a packet socket, so
  // this needs a real tunnel device.)
  const pair = makePair(t, {});
  offloadsOn(pair);
  for (const [ns, veth, local, remote, addr] of [
    [pair.nsA, pair.vethA, pair.addrA, pair.addrB, '10.233.0.1/24'],
    [pair.nsB, pair.vethB, pair.addrB, pair.addrA, '10.233.0.2/24'],
  ] as const) {
    ip('-n', ns, 'link', 'add', 'vx0', 'type', 'vxlan', 'id', '42', 'local', local, 'remote', remote, 'dstport', '4789', 'dev', veth);
    ip('-n', ns, 'addr', 'add', addr, 'dev', 'vx0');
    ip('-n', ns, 'link', 'set', 'vx0', 'up');
  }
  const { a, b } = vethEnds(t, pair);
  const ab = pipe(t, a, b, () => {});
  pipe(t, b, a, () => {});
  const port = 8000 + Math.floor(Math.random() * 1000);
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  const sink = nodeIn(pair.nsB, TCP_SINK, ['10.233.0.2', String(port)], (l) => l === 'ready' && ready(), 4000);
  await Promise.race([isReady, sleep(10_000)]);
  await nodeIn(pair.nsA, TCP_SOURCE, ['10.233.0.2', String(port), String(4 << 20)], undefined, 3000);
  await sink;
  const s = ab.stats();
  t.comment(`A->B over VXLAN: ${JSON.stringify(s)}`);
  t.ok(s.gsoDropped > 0, `tunneled super-packets counted in gsoDropped (${s.gsoDropped})`);
  t.equal(s.gsoCarried, 0, 'none carried');
  t.same(ab.bad, [], 'every delivered frame verifies, inner TCP checksums included');
});
