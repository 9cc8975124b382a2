// The addon is context aware: it loads in worker threads next to the main thread, receives there,
// survives worker termination with a running Poller, and turns a throwing onBatch into an
// uncaught exception of the thread that owns the Poller.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { native, addonPath, ADDR_SIZE, encodeAddr } from '../../src/dataplane/native.js';

// Plain CommonJS run with eval: loads the same .node file the TS binding loads.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const addon = require(workerData.addonPath);
const fd = addon.udpOpen(4, '127.0.0.1', 0);
const slab = Buffer.alloc(2048 * 8);
const offsets = new Uint32Array(8);
const lengths = new Uint32Array(8);
const poller = new addon.Poller(fd, 'dgram', slab, { slotSize: 2048, headroom: 0, maxBatch: 8, offsets, lengths }, (n) => {
  if (workerData.mode === 'throw') throw new Error('boom from onBatch in a worker');
  for (let i = 0; i < n; i++) {
    parentPort.postMessage({ frame: slab.toString('latin1', offsets[i], offsets[i] + lengths[i]) });
  }
  if (workerData.mode === 'once') {
    poller.close();
    addon.close(fd);
    parentPort.postMessage({ done: true, stats: poller.stats() });
  }
});
poller.start();
parentPort.postMessage({ ready: true, port: addon.localAddress(fd).port });
`;

function sendTo(port: number, text: string): void {
  const fd = native.udpOpen(4, '127.0.0.1', 0);
  try {
    const slab = Buffer.from(text, 'latin1');
    const addrs = Buffer.alloc(ADDR_SIZE);
    encodeAddr(addrs, 0, '127.0.0.1', port);
    native.send(fd, 'dgram', slab, new Uint32Array([0, slab.length, 0, 0, 0]), 1, addrs, null);
  } finally {
    native.close(fd);
  }
}

type Msg = { ready?: boolean; port?: number; frame?: string; done?: boolean; stats?: { frames: number } };

function startWorker(mode: string): {
  worker: Worker;
  messages: Msg[];
  next: () => Promise<Msg>;
  exit: Promise<number>;
} {
  const worker = new Worker(WORKER, { eval: true, workerData: { addonPath, mode } });
  const exit = new Promise<number>((r) => worker.once('exit', r));
  const messages: Msg[] = [];
  const waiters: Array<(m: Msg) => void> = [];
  worker.on('message', (m: Msg) => {
    const w = waiters.shift();
    if (w) w(m);
    else messages.push(m);
  });
  const next = (): Promise<Msg> => {
    const m = messages.shift();
    if (m) return Promise.resolve(m);
    return new Promise((r) => waiters.push(r));
  };
  return { worker, messages, next, exit };
}

t.test('load in a worker and receive a frame there, main thread receiving too', async (t) => {
  // A main-thread poller running at the same time.
  const mainFd = native.udpOpen(4, '127.0.0.1', 0);
  t.teardown(() => native.close(mainFd));
  const slab = Buffer.alloc(2048 * 4);
  const offsets = new Uint32Array(4);
  const lengths = new Uint32Array(4);
  const mainGot: string[] = [];
  const mp = new native.Poller(mainFd, 'dgram', slab, { slotSize: 2048, headroom: 0, maxBatch: 4, offsets, lengths }, (n) => {
    for (let i = 0; i < n; i++) mainGot.push(slab.toString('latin1', offsets[i], (offsets[i] as number) + (lengths[i] as number)));
  });
  mp.start();
  t.teardown(() => mp.close());

  const a = startWorker('once');
  const b = startWorker('once');
  const ra = await a.next();
  const rb = await b.next();
  t.ok(ra.ready && rb.ready, 'both workers loaded the addon');
  sendTo(ra.port as number, 'hello worker a');
  sendTo(rb.port as number, 'hello worker b');
  sendTo(native.localAddress(mainFd).port, 'hello main');
  t.same(await a.next(), { frame: 'hello worker a' });
  t.same(await b.next(), { frame: 'hello worker b' });
  const da = await a.next();
  t.equal(da.done, true);
  t.equal(da.stats?.frames, 1);
  await b.next();
  t.equal(await a.exit, 0, 'worker a exits by itself once its poller is closed');
  t.equal(await b.exit, 0);
  await new Promise((r) => setTimeout(r, 50));
  t.same(mainGot, ['hello main'], 'main-thread poller unaffected');
});

t.test('terminating a worker with a running Poller is clean', async (t) => {
  for (let i = 0; i < 3; i++) {
    const w = startWorker('keep');
    const r = await w.next();
    sendTo(r.port as number, 'x');
    t.same(await w.next(), { frame: 'x' });
    const code = await w.worker.terminate();
    t.equal(code, 1, 'terminated (exit code 1 is what terminate() reports)');
  }
  // The process is still healthy: the main thread can still open and poll.
  const fd = native.udpOpen(4, '127.0.0.1', 0);
  native.close(fd);
});

t.test('an exception thrown by onBatch is an uncaught exception of the owning thread', async (t) => {
  const w = startWorker('throw');
  const r = await w.next();
  const errored = once(w.worker, 'error');
  sendTo(r.port as number, 'trigger');
  const [err] = (await errored) as [Error];
  t.match(err.message, 'boom from onBatch in a worker');
  t.equal(await w.exit, 1);
});

t.test('main thread: throwing onBatch reaches process uncaughtException', async (t) => {
  const body = (handle: boolean): string => `
    const addon = require(${JSON.stringify(addonPath)});
    const fd = addon.udpOpen(4, '127.0.0.1', 0);
    const tx = addon.udpOpen(4, '127.0.0.1', 0);
    const port = addon.localAddress(fd).port;
    const slab = Buffer.alloc(2048 * 2), offsets = new Uint32Array(2), lengths = new Uint32Array(2);
    let calls = 0;
    ${handle ? "process.on('uncaughtException', (e) => { console.log('caught: ' + e.message); });" : ''}
    const p = new addon.Poller(fd, 'dgram', slab, { slotSize: 2048, headroom: 0, maxBatch: 1, offsets, lengths }, (n) => {
      calls++;
      if (calls === 1) throw new Error('boom from onBatch');
      console.log('second batch ' + n);
      p.close();
    });
    p.start();
    const table = Buffer.alloc(32);
    table.writeUInt16LE(2, 0); table.writeUInt16BE(port, 2); table.set([127, 0, 0, 1], 4);
    addon.send(tx, 'dgram', slab, new Uint32Array([0, 10, 0, 0, 0, 0, 10, 0, 0, 0]), 2, table, null);
  `;
  const unhandled = spawnSync(process.execPath, ['-e', body(false)], { encoding: 'utf8', timeout: 10000 });
  t.equal(unhandled.status, 1, 'process exits with 1');
  t.match(unhandled.stderr, 'boom from onBatch', 'error printed');
  const handled = spawnSync(process.execPath, ['-e', body(true)], { encoding: 'utf8', timeout: 10000 });
  t.equal(handled.status, 0, 'handled: process continues and exits normally');
  t.match(handled.stdout, 'caught: boom from onBatch');
  t.match(handled.stdout, 'second batch 1', 'polling continued after the handled exception');
});
