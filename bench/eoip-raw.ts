// Which receive path for EoIP: the `raw-socket` package (one event and one Buffer per packet)
// or the native addon's batched raw socket (recvmmsg into a slab, one JS call per batch)?
// A sender thread blasts 64-byte and 1500-byte EoIP packets to 127.0.0.1 through a native
// raw socket; each receiver runs alone for the same time and counts what it
// gets. Medians of several runs; needs root.
//
//   npm run bench:eoip-raw -- [--runs N] [--seconds S] [--json]

import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { addonPath, native } from '../src/dataplane/native.js';

const require = createRequire(import.meta.url);
interface RawSocket {
  on(ev: 'message', fn: (buf: Buffer, addr: string) => void): void;
  close(): void;
}
const raw = require('raw-socket') as { createSocket(o: object): RawSocket; AddressFamily: { IPv4: number } };

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, seconds: { type: 'string', default: '2' }, json: { type: 'boolean', default: false } } });
const RUNS = Number(values.runs);
const SECONDS = Number(values.seconds);

/**
 * Sends packets of `size` bytes as fast as the kernel takes them, from its own thread so the
 * receiver under test has this process's event loop to itself, until `stop()`.
 */
function blaster(size: number) {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const native = require(workerData.addon);
    const size = workerData.size, BATCH = 64;
    const fd = native.rawOpen(4, 47, '127.0.0.1', {});
    const slab = Buffer.alloc(BATCH * size);
    for (let i = 0; i < BATCH; i++) { const o = i * size; slab.set([0x20, 0x01, 0x64, 0x00, (size - 8) >> 8, (size - 8) & 255, 100, 0], o); }
    const desc = new Uint32Array(BATCH * 5);
    for (let i = 0; i < BATCH; i++) desc.set([i * size, size, 0, 0, 0], i * 5);
    const to = new Uint8Array(32); to[0] = 2; to.set([127, 0, 0, 1], 4);
    const result = new Int32Array(2);
    let running = true;
    parentPort.on('message', () => { running = false; });
    const loop = () => { if (!running) { native.close(fd); parentPort.close(); return; } for (let k = 0; k < 16; k++) native.send(fd, 'dgram', slab, desc, BATCH, to, result); setImmediate(loop); };
    loop();`;
  const w = new Worker(code, { eval: true, workerData: { size, addon: addonPath } });
  return { stop: () => w.postMessage('stop') };
}

async function measure(kind: 'raw-socket' | 'native', size: number): Promise<number> {
  let received = 0;
  let close: () => void;
  if (kind === 'raw-socket') {
    const s = raw.createSocket({ addressFamily: raw.AddressFamily.IPv4, protocol: 47, bufferSize: 65536 });
    s.on('message', () => received++);
    close = () => s.close();
  } else {
    const fd = native.rawOpen(4, 47, '127.0.0.1', {});
    const slab = Buffer.alloc(64 * 2048);
    const poller = new native.Poller(fd, 'dgram', slab, { slotSize: 2048, headroom: 64, maxBatch: 64, offsets: new Uint32Array(64), lengths: new Uint32Array(64), addrs: new Uint8Array(64 * 32) }, (n) => {
      if (n > 0) received += n;
    });
    poller.start();
    close = () => {
      poller.close();
      native.close(fd);
    };
  }
  const b = blaster(size);
  await new Promise((r) => setTimeout(r, 200));
  const start = received;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const got = received - start;
  const secs = (performance.now() - t0) / 1000;
  b.stop();
  close();
  return got / secs;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rows: { receiver: string; size: number; kpps: number; runs: number[] }[] = [];
for (const size of [64, 1500]) {
  const runs: Record<string, number[]> = { 'raw-socket': [], native: [] };
  for (let r = 0; r < RUNS; r++) {
    for (const kind of ['raw-socket', 'native'] as const) runs[kind]!.push(await measure(kind, size));
    process.stderr.write(`  ${size} B run ${r + 1}/${RUNS}\n`);
  }
  for (const kind of ['raw-socket', 'native'] as const) rows.push({ receiver: kind, size, kpps: Math.round(median(runs[kind]!) / 1000), runs: runs[kind]!.map((x) => Math.round(x / 1000)) });
}
if (values.json) for (const r of rows) console.log(JSON.stringify(r));
else {
  console.log(`EoIP receive on a raw IPv4 socket (protocol 47), loopback, median of ${RUNS} runs of ${SECONDS} s (sender in its own thread)`);
  for (const r of rows) console.log(`${r.receiver.padEnd(11)} ${String(r.size).padStart(5)} B  ${String(r.kpps).padStart(6)} kpps   runs ${r.runs.join(' ')}`);
  for (const size of [64, 1500]) {
    const a = rows.find((r) => r.receiver === 'native' && r.size === size)!;
    const b = rows.find((r) => r.receiver === 'raw-socket' && r.size === size)!;
    console.log(`native / raw-socket at ${size} B: ${(a.kpps / Math.max(1, b.kpps)).toFixed(1)}x`);
  }
}
process.exit(0);
