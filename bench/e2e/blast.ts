// The batched 64-byte generator of bench:e2e (`--generator batched`, the default): one frame,
// sent over and over for a fixed time through an AF_PACKET socket on the member's interface, 64
// frames per sendmmsg (the addon's send()). trafgen's per-packet path makes one system call per
// frame, which on this machine (about 1 µs per system call) caps it at 0.2-0.4 Mpps, below what
// the Linux bridge forwards; batching the calls lifts that ceiling. A frame the device refuses
// (the switch side is full) ends the batch and is offered again in the next one, as trafgen
// does; every frame handed to the device is counted by its own counters (pps.ts).
//
//   node dist/bench/e2e/blast.js IFNAME SECONDS FRAME_HEX [RATE_PPS]
//
// With RATE_PPS the frames are offered at that rate (refused ones included), in batches of about
// 50 µs worth of frames (at most 64) with a busy wait between them; without it, as fast as it can.
//
// Prints {"batches":N,"offered":N,"accepted":N,"seconds":S} when done (seconds: from the first send
// to the last; accepted: frames the socket took, a refused one is offered again in a later batch).
import { DESC_STRIDE, native } from '../../src/dataplane/native.js';

const [ifname, seconds, hex, rateArg] = process.argv.slice(2);
const rate = Number(rateArg ?? 0);
if (!ifname || !seconds || !hex || !(Number(seconds) > 0) || !(rate >= 0)) {
  console.error('usage: blast.js IFNAME SECONDS FRAME_HEX [RATE_PPS]');
  process.exit(2);
}
const BATCH = 64;
const perBatch = rate > 0 ? Math.min(BATCH, Math.max(1, Math.ceil(rate / 20_000))) : BATCH;
const frame = Buffer.from(hex, 'hex');
const slab = Buffer.concat(Array.from({ length: BATCH }, () => frame));
const desc = new Uint32Array(BATCH * DESC_STRIDE);
for (let i = 0; i < BATCH; i++) desc.set([i * frame.length, frame.length, 0, 0, 0], i * DESC_STRIDE);
const result = new Int32Array(2);
const fd = native.packetOpen(ifname);
const t0 = process.hrtime.bigint();
const end = Date.now() + Number(seconds) * 1000;
let batches = 0;
let accepted = 0;
while ((batches & 255) !== 0 || Date.now() < end) {
  if (rate > 0) {
    // the next batch is due when the frames offered so far fill the time at `rate`
    const due = t0 + BigInt(Math.round(((batches * perBatch) / rate) * 1e9));
    while (process.hrtime.bigint() < due) {
      /* busy wait: the generator has its CPU to itself */
    }
  }
  accepted += native.send(fd, 'dgram', slab, desc, perBatch, null, result);
  batches++;
  if (result[0] !== 0) {
    console.error(`send on ${ifname} failed: errno ${result[1]}`);
    process.exit(1);
  }
}
const sentFor = Number(process.hrtime.bigint() - t0) / 1e9;
native.close(fd);
console.log(JSON.stringify({ batches, offered: batches * perBatch, accepted, seconds: sentFor }));
