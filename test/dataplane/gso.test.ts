// Super-packets in the dataplane: FrameBatch metadata, counters that count wire segments, and
// the egresses that cannot take a super-packet (VXLAN, EoIP) cutting it with native segment()
// through GsoSplitter, in order, with exact segments and honest partial results.
import t from 'tap';
import { A, B, C, CountingSink as Sink, makeCore, ping } from '../helpers/core-fixture.js';
import { Forwarder } from '../../src/dataplane/forwarder.js';
import { FrameBatch, GsoSplitter, META_STRIDE, anySuper } from '../../src/dataplane/frame-batch.js';
import { VxlanEgress, DESC_STRIDE, type DatagramSender } from '../../src/dataplane/vxlan-egress.js';
import { EoipEgress } from '../../src/dataplane/eoip-egress.js';
import { native, OFFLOAD_FRAME_MIN } from '../../src/dataplane/native.js';
import { parseMac } from '../../src/encap/mac.js';
import { parseIpv4Address } from '../../src/encap/ip.js';
import { tcpGso, udpGso, type Crafted } from '../native/offload-helpers.js';

const BIG_SLOT = Math.ceil((64 + OFFLOAD_FRAME_MIN) / 64) * 64;

/** A TCP/IPv4 super-packet from `src` to `dst` with `payload` bytes, MSS 1448: [frame, meta]. */
function superPacket(src: typeof A, dst: typeof A, payload: number, mss = 1448): [Buffer, number[]] {
  const f = Buffer.alloc(14 + 20 + 20 + payload);
  f.writeUIntBE(parseMac(dst.mac)!, 0, 6);
  f.writeUIntBE(parseMac(src.mac)!, 6, 6);
  f.writeUInt16BE(0x0800, 12);
  f[14] = 0x45;
  f.writeUInt16BE(20 + 20 + payload, 16);
  f[22] = 64;
  f[23] = 6;
  f.writeUInt32BE(parseIpv4Address(src.ipv4)!, 26);
  f.writeUInt32BE(parseIpv4Address(dst.ipv4)!, 30);
  f.writeUInt16BE(40000, 34);
  f.writeUInt16BE(5201, 36);
  f[46] = 0x50;
  f[47] = 0x10;
  for (let i = 54; i < f.length; i++) f[i] = i & 0xff;
  return [f, [1, mss, 34, 54]];
}

t.test('FrameBatch: metadata, segments and wire bytes', async (t) => {
  const b = new FrameBatch(4, BIG_SLOT, 64);
  const [f, m] = superPacket(A, B, 10_000);
  b.push(ping(A, B), A.port);
  b.push(f, A.port, m);
  b.push(ping(A, B), A.port);
  t.equal(b.isSuper(0), false);
  t.equal(b.isSuper(1), true);
  t.equal(b.segments(0), 1);
  t.equal(b.segments(1), 7, 'ceil(10000 / 1448)');
  t.equal(b.wireBytes(0), 98);
  t.equal(b.wireBytes(1), f.length + 6 * 54, 'headers repeated in the 6 further segments');
  t.same([...b.meta.subarray(META_STRIDE, 2 * META_STRIDE)], m);
  t.ok(anySuper(b, Uint32Array.of(0, 1), 2));
  t.notOk(anySuper(b, Uint32Array.of(0, 2), 2));
  // a reused slot forgets the old metadata
  b.count = 1;
  b.push(ping(A, B), A.port);
  t.equal(b.isSuper(1), false);
});

t.test('counters: a super-packet counts as the wire segments it stands for', async (t) => {
  const core = makeCore();
  const fwd = new Forwarder(core, 64);
  const sa = new Sink();
  const sb = new Sink();
  const sc = new Sink(0); // its queue is always full
  fwd.attach(A.port, sa);
  fwd.attach(B.port, sb);
  fwd.attach(C.port, sc);
  const learn = new FrameBatch(64);
  learn.push(ping(B, A), B.port);
  fwd.forward(learn, 1);
  const before = core.counters.port(A.port);

  const batch = new FrameBatch(8, BIG_SLOT, 64);
  const [f, m] = superPacket(A, B, 60_000);
  batch.push(f, A.port, m);
  fwd.forward(batch, 1);
  const segs = Math.ceil(60_000 / 1448);
  const bytes = f.length + (segs - 1) * 54;
  const a = core.counters.port(A.port);
  const b = core.counters.port(B.port);
  t.equal(a.rx_packets - before.rx_packets, segs, `rx_packets + ${segs}`);
  t.equal(a.rx_bytes - before.rx_bytes, bytes, 'rx_bytes: every segment with its headers');
  t.equal(sb.frames, 1, 'the sink got one frame');
  t.equal(b.tx_packets, segs, 'tx_packets counts the segments');
  t.equal(b.tx_bytes, bytes);

  // unknown destination: flooded, flood_packets and tx_full (C) count segments too
  const [g, gm] = superPacket(A, { ...B, mac: '02:00:00:00:00:99' }, 3000);
  const flood = new FrameBatch(8, BIG_SLOT, 64);
  flood.push(g, A.port, gm);
  const full0 = core.counters.port(C.port).drops.tx_full ?? 0;
  fwd.forward(flood, 1);
  t.equal(core.counters.port(A.port).flood_packets, 3, 'flood_packets + 3');
  t.equal(core.counters.port(C.port).drops.tx_full! - full0, 3, "C's full queue: tx_full + 3");

  // a drop counts the segments under its reason
  const [h, hm] = superPacket({ ...A, mac: '02:00:00:00:00:77' }, B, 2000);
  const bad = new FrameBatch(8, BIG_SLOT, 64);
  bad.push(h, A.port, hm);
  fwd.forward(bad, 1);
  t.equal(core.counters.port(A.port).drops.src_mac, 2, 'src_mac + 2');
});

// ---------- egresses that cut super-packets ----------

interface Sent {
  frames: Buffer[];
}

/** A DatagramSender that records each message and accepts `limit` in all (then queue full). */
function recorder(limit = Infinity, refuseAt = -1): DatagramSender & Sent {
  let n = 0;
  const r: DatagramSender & Sent = {
    frames: [],
    send(slab, desc, count, _addrs, errors) {
      let sent = 0;
      errors[0] = 0;
      for (let k = 0; k < count; k++) {
        if (n >= limit) break;
        n++;
        if (n - 1 === refuseAt) {
          errors[0]++;
          continue;
        }
        const o = desc[k * DESC_STRIDE]!;
        r.frames.push(Buffer.from(slab.subarray(o, o + desc[k * DESC_STRIDE + 1]!)));
        sent++;
      }
      return sent;
    },
  };
  return r;
}

const frameOf = (c: Crafted): Buffer => c.wire.subarray(10);
const metaOf = (c: Crafted): number[] => [c.wire[1]!, c.wire.readUInt16LE(4), c.wire.readUInt16LE(6), c.wire.readUInt16LE(2)];

function mixedBatch(cases: Crafted[]): { batch: FrameBatch; idx: Uint32Array; expect: Buffer[]; plain: Buffer[] } {
  const batch = new FrameBatch(16, BIG_SLOT, 64);
  const expect: Buffer[] = [];
  const plain: Buffer[] = [];
  cases.forEach((c, k) => {
    const p = ping(A, B);
    p[p.length - 1] = k;
    plain.push(p);
    batch.push(p, A.port);
    expect.push(p);
    batch.push(frameOf(c), A.port, metaOf(c));
    expect.push(...c.expect);
  });
  return { batch, idx: Uint32Array.from([...Array(batch.count).keys()]), expect, plain };
}

const cases = (): Crafted[] => [
  tcpGso({ v6: false, tag: null, payload: 1448 * 44, mss: 1448, flags: 0x18, ecn: false, tcpopt: 12 }),
  tcpGso({ v6: true, tag: 7, payload: 3001, mss: 1200, flags: 0x10, ecn: false }),
  udpGso(false, null, 2500, 1000),
];

t.test('VXLAN egress: super-packets cut into their segments, in order, each with the VXLAN header', async (t) => {
  const cs = cases();
  const { batch, idx, expect } = mixedBatch(cs);
  const rec = recorder();
  const eg = new VxlanEgress(4242, new Uint8Array(32), rec, 64, new GsoSplitter(native.segment));
  const errors = new Int32Array(2);
  t.equal(eg.transmit(batch, idx, batch.count, errors), batch.count, 'every frame accepted');
  t.equal(errors[0], 0);
  t.equal(rec.frames.length, expect.length, `${expect.length} datagrams`);
  let ok = 0;
  rec.frames.forEach((d, k) => {
    if (d.subarray(0, 8).equals(Buffer.from([0x08, 0, 0, 0, 0, 0x10, 0x92, 0])) && d.subarray(8).equals(expect[k]!)) ok++;
  });
  t.equal(ok, expect.length, 'each one: VXLAN header (VNI 4242) + the exact segment or plain frame, in order');
  t.same([...batch.frame(1)], [...frameOf(cs[0]!)], 'the super-packet in the batch is untouched');
});

t.test('EoIP egress: segments with their own length in the header', async (t) => {
  const cs = cases();
  const { batch, idx, expect } = mixedBatch(cs);
  const rec = recorder();
  const eg = new EoipEgress(4, 100, new Uint8Array(32), rec, 64, new GsoSplitter(native.segment));
  const errors = new Int32Array(2);
  t.equal(eg.transmit(batch, idx, batch.count, errors), batch.count);
  t.equal(rec.frames.length, expect.length);
  let ok = 0;
  rec.frames.forEach((d, k) => {
    const e = expect[k]!;
    if (d.readUInt16BE(4) === e.length && d[6] === 100 && d.subarray(8).equals(e)) ok++;
  });
  t.equal(ok, expect.length, 'each one: EoIP header with its length and tunnel id + the exact frame');
});

t.test('GsoSplitter: queue full inside a super-packet, refused segments, unsegmentable frames', async (t) => {
  const cs = cases();
  const { batch, idx } = mixedBatch(cs);
  const errors = new Int32Array(2);
  // plain, super(44 segments), plain, super(3), ...: the queue fills after 10 messages
  const full = recorder(10);
  const eg = new VxlanEgress(1, new Uint8Array(32), full, 64, new GsoSplitter(native.segment));
  t.equal(eg.transmit(batch, idx, batch.count, errors), 1, 'only the plain frame before it counts as accepted');
  t.equal(errors[0], 0);
  t.equal(full.frames.length, 10, 'the segments that fitted went out');

  // the kernel refuses one segment: that super-packet counts as refused, the rest goes on
  const refusing = recorder(Infinity, 5);
  const eg2 = new VxlanEgress(1, new Uint8Array(32), refusing, 64, new GsoSplitter(native.segment));
  t.equal(eg2.transmit(batch, idx, batch.count, errors), batch.count - 1, 'all but the refused one accepted');
  t.equal(errors[0], 1, 'one refused');

  // metadata that does not describe the frame: refused, nothing of it sent
  const b2 = new FrameBatch(4, BIG_SLOT, 64);
  b2.push(ping(A, B), A.port);
  b2.push(frameOf(cs[0]!), A.port, [1, 1448, 38, 98]);
  b2.push(ping(B, A), A.port);
  const rec = recorder();
  const eg3 = new VxlanEgress(1, new Uint8Array(32), rec, 64, new GsoSplitter(native.segment));
  t.equal(eg3.transmit(b2, Uint32Array.of(0, 1, 2), 3, errors), 2, 'the two plain frames');
  t.equal(errors[0], 1, 'the bad one refused');
  t.equal(rec.frames.length, 2);
});
