// ControlServer: framing, limits and misbehaving clients against a real unix socket.
import t, { type Test } from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BSON, Long } from 'bson';
import { ControlClient, DaemonError, encodeDocument, FrameDecoder, request } from '../../src/control/control-client.js';
import {
  ControlServer,
  type ControlServerOptions,
  encodeAnswer,
  pageByKey,
  resolveGroup,
  toBsonSafe,
} from '../../src/control/control-server.js';
import { prng } from '../helpers/prng.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function tmpDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'ixf-ctl-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function startServer(t: Test, opts: Partial<ControlServerOptions> = {}): Promise<ControlServer> {
  const path = opts.path ?? join(tmpDir(t), 'ctl.sock');
  const server = new ControlServer({
    handler: (cmd, args) => ({ cmd, args }),
    ...opts,
    path,
  });
  await server.listen();
  t.teardown(() => server.close());
  return server;
}

interface RawResult {
  answers: Record<string, unknown>[];
  closed: boolean;
  /** ms from the first write to the close (or to the end of the wait). */
  elapsed: number;
}

/**
 * Connect, write `chunks` (with `gapMs` between them), then wait until the server closes the
 * connection or `waitMs` passes. Collects every answer document.
 */
function raw(path: string, chunks: Buffer[], opts: { waitMs?: number; gapMs?: number; end?: boolean; wantAnswers?: number } = {}): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const s: Socket = connect({ path });
    const dec = new FrameDecoder(64 * 1024 * 1024);
    const answers: Record<string, unknown>[] = [];
    let start = 0;
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ answers, closed, elapsed: Date.now() - start });
    };
    const timer = setTimeout(() => finish(false), opts.waitMs ?? 3000);
    s.on('data', (c: Buffer) => {
      dec.push(c);
      for (let f = dec.next(); f; f = dec.next()) {
        if (f.kind !== 'doc') return reject(new Error(`server sent a bad length ${f.length}`));
        answers.push(BSON.deserialize(f.bytes) as Record<string, unknown>);
      }
      if (opts.wantAnswers !== undefined && answers.length >= opts.wantAnswers) finish(false);
    });
    s.on('error', () => {});
    s.on('close', () => finish(true));
    s.on('connect', async () => {
      start = Date.now();
      for (const [i, c] of chunks.entries()) {
        if (i > 0 && opts.gapMs) await sleep(opts.gapMs);
        if (s.destroyed) break;
        s.write(c);
      }
      if (opts.end && !s.destroyed) s.end();
    });
  });
}

function req(cmd: unknown, args?: unknown, extra: Record<string, unknown> = {}): Buffer {
  const doc: Record<string, unknown> = { cmd, ...extra };
  if (args !== undefined) doc.args = args;
  return encodeDocument(doc);
}

function lengthPrefix(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

t.test('a handler answers; socket file, mode and cleanup', async (t) => {
  const server = await startServer(t, { handler: (cmd, args) => ({ got: cmd, args, n: 1 }) });
  t.equal(statSync(server.path).mode & 0o777, 0o660, 'mode 0660 by default');
  t.ok(lstatSync(server.path).isSocket());
  t.same(await request(server.path, 'status', { a: 1 }), { got: 'status', args: { a: 1 }, n: 1 });
  t.same(await request(server.path, 'ports'), { got: 'ports', args: {}, n: 1 }, 'args default to {}');
  await server.close();
  t.notOk(existsSync(server.path), 'close() removes the socket file');
  await server.close();
  t.pass('close() twice is harmless');
});

t.test('args absent or null → {}; id is echoed', async (t) => {
  const server = await startServer(t);
  const r = await raw(server.path, [req('a'), encodeDocument({ cmd: 'b', args: null }), req('c', { x: 'y' }, { id: 7 })], { wantAnswers: 3 });
  t.same(
    r.answers.map((a) => a.result),
    [
      { cmd: 'a', args: {} },
      { cmd: 'b', args: {} },
      { cmd: 'c', args: { x: 'y' } },
    ],
  );
  t.equal(r.answers[2]?.id, 7);
});

t.test('results are made BSON-safe', async (t) => {
  const result = {
    u: undefined,
    small: 12n,
    big: 2n ** 60n,
    huge: 2n ** 70n,
    map: new Map<unknown, unknown>([
      ['a', 1],
      [2, new Set(['x', undefined])],
    ]),
    arr: [undefined, 1, { deep: undefined }],
    fn: () => 1,
    date: new Date(0),
    bytes: new Uint8Array([1, 2]),
    u32: new Uint32Array([7, 8]),
    err: Object.assign(new Error('boom'), { code: 'EBOOM' }),
    json: { toJSON: () => 'as-json' },
    'nul\0key': 1,
    ['__proto__']: { polluted: true },
  };
  const server = await startServer(t, { handler: () => result });
  const got = (await request(server.path, 'x')) as Record<string, unknown>;
  t.equal(got.u, null, 'undefined → null');
  t.equal(got.small, 12, 'small bigint → number');
  t.equal(got.big, 2 ** 60, 'large bigint → Long (read back as a number)');
  t.equal(got.huge, (2n ** 70n).toString(), 'beyond int64 → decimal string');
  t.same(got.map, { a: 1, 2: ['x', null] }, 'Map → object, Set → array');
  t.same(got.arr, [null, 1, { deep: null }]);
  t.equal(got.fn, null);
  t.same(got.date, new Date(0));
  t.same(Array.from(got.bytes as Uint8Array), [1, 2]);
  t.same(got.u32, [7, 8]);
  t.same(got.err, { name: 'Error', message: 'boom', code: 'EBOOM' });
  t.equal(got.json, 'as-json');
  t.equal(got['nul\uFFFDkey'], 1);
  t.ok(Object.hasOwn(got, '__proto__'), '__proto__ stays a plain key');
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');

  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  t.throws(() => toBsonSafe(cyclic), /cycle/);
  const shared = { x: 1 };
  t.same(toBsonSafe({ a: shared, b: shared }), { a: { x: 1 }, b: { x: 1 } }, 'a shared object is not a cycle');
  t.same(toBsonSafe([Long.fromNumber(3)]), [Long.fromNumber(3)], 'BSON values stay');
  const topLevel = BSON.deserialize(encodeAnswer(undefined, undefined, 1024));
  t.same(topLevel, { ok: true, result: null });
});

t.test('handler errors become {ok:false, error, code}', async (t) => {
  const server = await startServer(t, {
    handler: async (cmd) => {
      if (cmd === 'throw') throw Object.assign(new Error('no such port: x'), { code: 'ENOPORT' });
      if (cmd === 'reject') return Promise.reject('plain string');
      if (cmd === 'sync') throw new TypeError('sync throw');
      return 'fine';
    },
  });
  await t.rejects(request(server.path, 'throw'), { name: 'DaemonError', message: 'no such port: x', code: 'ENOPORT', cmd: 'throw' });
  await t.rejects(request(server.path, 'reject'), { message: 'plain string' });
  await t.rejects(request(server.path, 'sync'), { message: 'sync throw' });
  t.equal(await request(server.path, 'ok'), 'fine', 'still serving');
});

t.test('pipelined requests on one connection are answered in order', async (t) => {
  const server = await startServer(t, {
    handler: async (_cmd, args) => {
      await sleep(Number(args.delay));
      return args.n;
    },
  });
  const docs = [40, 0, 20, 0, 5].map((delay, n) => req('x', { delay, n }));
  // All five in one write, and again split at odd places.
  const r1 = await raw(server.path, [Buffer.concat(docs)], { wantAnswers: 5 });
  t.same(r1.answers.map((a) => a.result), [0, 1, 2, 3, 4]);
  const all = Buffer.concat(docs);
  const r2 = await raw(server.path, [all.subarray(0, 3), all.subarray(3, 40), all.subarray(40)], { wantAnswers: 5, gapMs: 10 });
  t.same(r2.answers.map((a) => a.result), [0, 1, 2, 3, 4]);

  const client = await ControlClient.connect(server.path);
  const got = await Promise.all([30, 0, 10].map((delay, n) => client.call('x', { delay, n })));
  t.same(got, [0, 1, 2], 'ControlClient pipelines too');
  const many = await Promise.all(Array.from({ length: 1000 }, (_, n) => client.call('x', { delay: 0, n })));
  t.same(many, Array.from({ length: 1000 }, (_, n) => n), '1000 pipelined requests, in order');
  client.close();
});

t.test('bad request shapes get an error answer and the connection stays usable', async (t) => {
  const server = await startServer(t);
  const r = await raw(
    server.path,
    [
      encodeDocument({ nocmd: 1 }),
      encodeDocument({ cmd: 5 }),
      encodeDocument({ cmd: '' }),
      encodeDocument({ cmd: 'x'.repeat(200) }),
      encodeDocument({ cmd: 'a', args: [1, 2] }),
      encodeDocument({ cmd: 'a', args: 'str' }),
      encodeDocument({ cmd: 'a', args: new BSON.ObjectId() }),
      req('good'),
    ],
    { wantAnswers: 8 },
  );
  t.equal(r.answers.length, 8);
  for (const a of r.answers.slice(0, 7)) t.match(a, { ok: false, code: 'bad_request', error: /^bad request/ });
  t.same(r.answers[7], { ok: true, result: { cmd: 'good', args: {} } });
});

t.test('malformed BSON with a valid length gets an error answer', async (t) => {
  const server = await startServer(t);
  const good = req('x', { a: 'b' });
  const bad1 = Buffer.from(good);
  bad1[bad1.length - 1] = 1; // terminator not zero
  const bad2 = Buffer.from([5, 0, 0, 0, 1]);
  const bad3 = Buffer.from(good);
  bad3.writeInt32LE(-5, 9); // a negative string length inside
  const r = await raw(server.path, [bad1, bad2, bad3, good], { wantAnswers: 4 });
  t.equal(r.answers.length, 4);
  for (const a of r.answers.slice(0, 3)) t.match(a, { ok: false, code: 'bad_request', error: /malformed BSON/ });
  t.equal(r.answers[3]?.ok, true);
});

t.test('a 2 GiB, negative or oversized length prefix: error, disconnect, nothing buffered', async (t) => {
  const server = await startServer(t, { maxDocumentBytes: 1024 * 1024 });
  for (const [n, code] of [
    [0x7fffffff, 'too_large'],
    [0x80000000, 'too_large'],
    [0xffffffff, 'too_large'],
    [1024 * 1024 + 1, 'too_large'],
    [4, 'bad_length'],
    [0, 'bad_length'],
  ] as const) {
    // Only the 4 prefix bytes: the answer must come at once, not after a body.
    const r = await raw(server.path, [lengthPrefix(n)], { waitMs: 2000 });
    t.equal(r.answers.length, 1, `0x${n.toString(16)}: one answer`);
    t.match(r.answers[0], { ok: false, code }, `0x${n.toString(16)}: ${code}`);
    t.ok(r.closed, 'disconnected');
    t.ok(r.elapsed < 1000, `answered without waiting for the body (${r.elapsed} ms)`);
  }
  // The prefix followed by a flood of bytes: the server discards them and closes.
  const before = process.memoryUsage().arrayBuffers;
  const flood = Buffer.alloc(4 * 1024 * 1024, 0x41);
  const r = await raw(server.path, [lengthPrefix(0x7fffffff), flood, flood, flood], { waitMs: 3000 });
  t.match(r.answers[0], { ok: false, code: 'too_large', error: /document too large/ });
  t.ok(r.closed);
  t.ok(process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024, 'nothing close to 2 GiB was allocated');
  t.equal(await request(server.path, 'after').then((x) => (x as { cmd: string }).cmd), 'after', 'still serving');
});

t.test('half a document then silence: closed by the idle timeout', async (t) => {
  const server = await startServer(t, { idleTimeoutMs: 200 });
  const doc = req('status', { pad: 'x'.repeat(100) });
  const r = await raw(server.path, [doc.subarray(0, 50)], { waitMs: 3000 });
  t.ok(r.closed, 'closed');
  t.same(r.answers, [], 'quietly');
  t.ok(r.elapsed >= 150 && r.elapsed < 1500, `after about the idle timeout (${r.elapsed} ms)`);

  // Trickling the rest one byte at a time does not keep the connection open.
  const chunks = Array.from(doc.subarray(0, 60), (b) => Buffer.from([b]));
  const r2 = await raw(server.path, chunks, { gapMs: 40, waitMs: 3000 });
  t.ok(r2.closed && r2.answers.length === 0 && r2.elapsed < 1500, `trickle closed after ${r2.elapsed} ms`);

  // A connection that sends nothing at all.
  const r3 = await raw(server.path, [], { waitMs: 3000 });
  t.ok(r3.closed && r3.elapsed < 1500, 'silent connection closed');

  // An idle client between two requests is closed too, but a slow handler is not cut off.
  await t.resolves(request(server.path, 'x'));
  await sleep(50);
  t.equal(server.clients, 0, 'no connection left behind');
});

t.test('a handler slower than the idle timeout still answers', async (t) => {
  const server = await startServer(t, {
    idleTimeoutMs: 100,
    handler: async () => {
      await sleep(400);
      return 'slow but fine';
    },
  });
  t.equal(await request(server.path, 'slow'), 'slow but fine');
});

t.test('a slow handler does not block other clients', async (t) => {
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));
  const server = await startServer(t, {
    handler: async (cmd) => {
      if (cmd === 'slow') await gate;
      return cmd;
    },
  });
  let slowDone = false;
  const slow = request(server.path, 'slow').then((v) => {
    slowDone = true;
    return v;
  });
  await sleep(20);
  const t0 = Date.now();
  t.equal(await request(server.path, 'fast'), 'fast');
  t.ok(Date.now() - t0 < 500, 'fast answer while slow is pending');
  t.notOk(slowDone);
  release();
  t.equal(await slow, 'slow');
});

t.test('seeded garbage: error answer or disconnect, and the server keeps serving', async (t) => {
  let handled = 0;
  const server = await startServer(t, {
    idleTimeoutMs: 150,
    handler: (cmd, args) => {
      // Whatever reaches the handler has the promised shape.
      if (typeof cmd !== 'string' || args === null || typeof args !== 'object' || Array.isArray(args)) throw new Error('shape broken');
      handled++;
      return 'ok';
    },
  });
  const rnd = prng(0x1c7f);
  const byte = (): number => Math.floor(rnd() * 256);
  const template = req('fdb', { port: 'as64500-vx', mac: '02:00:00:00:00:01', limit: 10, nested: { a: [1, 'two', 3.5] } });
  let answered = 0;
  let closedOnly = 0;
  const batch: Array<Promise<void>> = [];
  for (let i = 0; i < 300; i++) {
    let bytes: Buffer;
    if (i % 3 === 0) {
      // Pure random bytes.
      bytes = Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 600) }, byte));
    } else {
      // A valid request with a few bytes flipped (the length prefix mostly kept).
      bytes = Buffer.from(template);
      const flips = 1 + Math.floor(rnd() * 4);
      for (let k = 0; k < flips; k++) bytes[4 + Math.floor(rnd() * (bytes.length - 4))] = byte();
      if (i % 7 === 0) bytes[Math.floor(rnd() * 4)] = byte();
    }
    batch.push(
      raw(server.path, [bytes], { waitMs: 3000, end: i % 2 === 0 }).then((r) => {
        t.ok(r.closed, `#${i} closed`);
        for (const a of r.answers) if (a.ok !== true && typeof a.error !== 'string') t.fail(`#${i}: error answer without a message`);
        if (r.answers.length > 0) answered++;
        else closedOnly++;
      }),
    );
    if (batch.length === 30) {
      // A well-behaved client in the middle of the storm.
      t.equal(await request(server.path, 'status'), 'ok', 'a normal request works during the garbage');
      await Promise.all(batch.splice(0));
    }
  }
  await Promise.all(batch);
  t.ok(answered > 0 && closedOnly > 0, `answered ${answered}, closed without an answer ${closedOnly}`);
  t.equal(await request(server.path, 'status'), 'ok', 'still serving after the garbage');
  await sleep(300);
  t.equal(server.clients, 0, 'every garbage connection is gone');
  t.ok(handled >= 11, 'handled the good requests');
});

t.test('200 clients at once: 64 served concurrently, the rest refused with busy', async (t) => {
  let inFlight = 0;
  let maxInFlight = 0;
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));
  const server = await startServer(t, {
    maxClients: 64,
    handler: async (cmd) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      if (cmd === 'block') await gate;
      inFlight--;
      return cmd;
    },
  });
  let settled = 0;
  const clients = Array.from({ length: 200 }, () =>
    raw(server.path, [req('block')], { waitMs: 10000, wantAnswers: 1 }).then((r) => {
      settled++;
      return r;
    }),
  );
  // Wait until 64 are inside the handler and everybody else has had its answer.
  for (let i = 0; i < 500 && (inFlight < 64 || settled < 136); i++) await sleep(10);
  t.equal(inFlight, 64, '64 requests in the handler at once');
  t.equal(settled, 136, 'the others were answered at once');
  t.equal(server.clients, 64, '64 connections served');
  release();
  const results = await Promise.all(clients);
  const ok = results.filter((r) => r.answers[0]?.ok === true).length;
  const busy = results.filter((r) => r.answers[0]?.code === 'busy');
  t.equal(ok, 64, '64 answered');
  t.equal(busy.length, 136, 'the other 136 were refused');
  t.match(busy[0]?.answers[0], { ok: false, error: /too many clients/ });
  t.equal(maxInFlight, 64, 'never more than the limit');
  t.equal(await request(server.path, 'after'), 'after', 'a normal request works after the storm');

  // request() retries a busy refusal: 200 concurrent requests all succeed.
  const all = await Promise.all(Array.from({ length: 200 }, (_, i) => request(server.path, `r${i}`, {}, { timeoutMs: 20000 })));
  t.equal(all.length, 200);
  t.same(all.slice(0, 3), ['r0', 'r1', 'r2']);
  t.ok(maxInFlight <= 64);
});

t.test('busy without retry is a DaemonError with code busy', async (t) => {
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));
  const server = await startServer(t, { maxClients: 1, handler: () => gate.then(() => 'done') });
  const first = request(server.path, 'a');
  await sleep(30);
  const err = await request(server.path, 'b', {}, { retryBusy: false }).catch((e: unknown) => e);
  t.ok(err instanceof DaemonError);
  t.equal((err as DaemonError).code, 'busy');
  release();
  t.equal(await first, 'done');
});

t.test('answers larger than the limit become an error', async (t) => {
  const server = await startServer(t, {
    maxDocumentBytes: 64 * 1024,
    handler: (cmd) => (cmd === 'big' ? 'x'.repeat(100 * 1024) : cmd === 'hugeerror' ? Promise.reject(new Error('e'.repeat(200 * 1024))) : 'small'),
  });
  await t.rejects(request(server.path, 'big'), { name: 'DaemonError', code: 'too_large', message: /answer is too large/ });
  const err = (await request(server.path, 'hugeerror').catch((e: unknown) => e)) as Error;
  t.ok(err.message.length < 64 * 1024 && err.message.endsWith('(truncated)'), 'a huge error message is truncated');
  t.equal(await request(server.path, 'x'), 'small');
  // A request over the limit is refused, with the size in the message.
  await t.rejects(request(server.path, 'x', { pad: 'p'.repeat(70 * 1024) }), { code: 'too_large', message: /document too large/ });
});

t.test('a client that half-closes after its request still gets the answer', async (t) => {
  const server = await startServer(t, { handler: async () => sleep(50).then(() => 'late') });
  const r = await raw(server.path, [req('x'), req('y')], { end: true, waitMs: 3000 });
  t.same(r.answers.map((a) => a.result), ['late', 'late']);
  t.ok(r.closed, 'then the server closes');
});

t.test('a client that disconnects while its handler runs', async (t) => {
  let finished = 0;
  const server = await startServer(t, {
    handler: async () => {
      await sleep(100);
      finished++;
      return 'x'.repeat(1000);
    },
  });
  const s = connect({ path: server.path });
  await new Promise((r) => s.once('connect', r));
  s.write(req('x'));
  await sleep(20);
  s.destroy();
  await sleep(200);
  t.equal(finished, 1);
  t.equal(server.clients, 0);
  t.equal(await request(server.path, 'y'), 'x'.repeat(1000));
});

t.test('stale socket replaced, live daemon refused, non-socket refused', async (t) => {
  const dir = tmpDir(t);
  const path = join(dir, 'ctl.sock');
  // A socket file left behind by a killed daemon.
  const child = spawnSync(process.execPath, [
    '-e',
    `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`,
  ]);
  t.equal(child.signal, 'SIGKILL');
  t.ok(lstatSync(path).isSocket(), 'stale socket exists');
  const a = new ControlServer({ path, handler: () => 'a' });
  await a.listen();
  t.teardown(() => a.close());
  t.equal(await request(path, 'x'), 'a', 'stale socket replaced');

  const b = new ControlServer({ path, handler: () => 'b' });
  await t.rejects(b.listen(), { code: 'EADDRINUSE', message: /another daemon is listening/ });
  t.equal(await request(path, 'x'), 'a', 'the first daemon is untouched');
  await b.close();
  t.equal(await request(path, 'x'), 'a', 'closing the refused one does not remove the socket');

  const file = join(dir, 'not-a-socket');
  writeFileSync(file, 'precious');
  const c = new ControlServer({ path: file, handler: () => 'c' });
  await t.rejects(c.listen(), /not a socket/);
  t.equal(readFileSync(file, 'utf8'), 'precious');

  const nested = join(dir, 'run', 'ixfabric', 'ctl.sock');
  const d = new ControlServer({ path: nested, handler: () => 'd' });
  await d.listen();
  t.teardown(() => d.close());
  t.equal(await request(nested, 'x'), 'd', 'the parent directory is created');
  const e = new ControlServer({ path: nested, handler: () => 'e' });
  await t.rejects(e.listen(), { code: 'EADDRINUSE' });
  await t.rejects(e.listen(), { code: 'EADDRINUSE' });
});

t.test('mode and group', async (t) => {
  const root = await startServer(t, { group: 'root', mode: 0o660 });
  t.equal(statSync(root.path).gid, 0);
  t.equal(statSync(root.path).mode & 0o777, 0o660);
  const gid0 = await startServer(t, { group: 0, mode: 0o600 });
  t.equal(statSync(gid0.path).gid, 0);
  t.equal(statSync(gid0.path).mode & 0o777, 0o600);
  t.equal(resolveGroup('root'), 0);
  t.equal(resolveGroup(42), 42);
  t.equal(resolveGroup('42'), 42);

  const dir = tmpDir(t);
  const groupFile = join(dir, 'group');
  writeFileSync(groupFile, 'root:x:0:\nixfabric:x:4242:alice,bob\n');
  t.equal(resolveGroup('ixfabric', groupFile), 4242);
  t.throws(() => resolveGroup('nobody-here', groupFile), /unknown group "nobody-here"/);

  const missing = join(dir, 'missing.sock');
  const bad = new ControlServer({ path: missing, group: 'no-such-group-ixf', handler: () => 1 });
  await t.rejects(bad.listen(), /unknown group/);
  t.notOk(existsSync(missing), 'nothing created for an unknown group');

  const hasGroupadd = spawnSync('groupadd', ['--help']).status === 0;
  if (!hasGroupadd || process.getuid?.() !== 0) {
    t.pass('skipped: groupadd not available or not root');
    return;
  }
  const name = `ixfctl${randomBytes(3).toString('hex')}`;
  execFileSync('groupadd', [name]);
  t.teardown(() => {
    spawnSync('groupdel', [name]);
  });
  const gid = Number(execFileSync('getent', ['group', name]).toString().split(':')[2]);
  t.ok(gid > 0);
  const s = await startServer(t, { group: name });
  t.equal(statSync(s.path).gid, gid, `group ${name} (${gid}) applied`);
  t.equal(statSync(s.path).mode & 0o777, 0o660);
});

t.test('pageByKey: keyset paging by size and count', async (t) => {
  const items = Array.from({ length: 25 }, (_, i) => ({ k: `k${String(i).padStart(2, '0')}` })).reverse();
  const p1 = pageByKey(items, (x) => x.k, { limit: 10 });
  t.same(p1.entries.map((x) => x.k), Array.from({ length: 10 }, (_, i) => `k${String(i).padStart(2, '0')}`));
  t.equal(p1.next_cursor, 'k09');
  const p2 = pageByKey(items, (x) => x.k, { limit: 10, cursor: p1.next_cursor });
  t.equal(p2.entries[0]?.k, 'k10');
  const p3 = pageByKey(items, (x) => x.k, { limit: 10, cursor: p2.next_cursor });
  t.equal(p3.entries.length, 5);
  t.equal(p3.next_cursor, null, 'last page');
  t.same(pageByKey([], (x: { k: string }) => x.k, {}), { entries: [], next_cursor: null });
  t.equal(pageByKey(items, (x) => x.k, { limit: 1000 }, { maxLimit: 7 }).entries.length, 7, 'capped');
  const big = Array.from({ length: 100 }, (_, i) => ({ k: `k${String(i).padStart(3, '0')}`, pad: 'x'.repeat(1000) }));
  const sized = pageByKey(big, (x) => x.k, {}, { maxBytes: 10 * 1024 });
  t.ok(sized.entries.length >= 8 && sized.entries.length <= 10, `filled by size: ${sized.entries.length}`);
  t.throws(() => pageByKey(items, (x) => x.k, { limit: 0 }), RangeError);
  t.throws(() => pageByKey(items, (x) => x.k, { limit: 'x' }), RangeError);
  t.throws(() => pageByKey(items, (x) => x.k, { cursor: 5 }), RangeError);
  t.equal(pageByKey(items, (x) => x.k, { cursor: '' }).entries.length, 25, 'empty cursor = first page');

  // Random keys, random page sizes: the pages concatenate to the sorted list.
  const rnd = prng(99);
  for (let round = 0; round < 20; round++) {
    const keys = [...new Set(Array.from({ length: 1 + Math.floor(rnd() * 3000) }, () => Math.floor(rnd() * 1e9).toString(36)))];
    const limit = 1 + Math.floor(rnd() * 700);
    const pages: string[] = [];
    let cursor: string | null = null;
    let n = 0;
    do {
      const p: { entries: string[]; next_cursor: string | null } = pageByKey(keys, (k) => k, { limit, cursor });
      pages.push(...p.entries);
      cursor = p.next_cursor;
      n++;
    } while (cursor !== null && n < 10000);
    if (JSON.stringify(pages) !== JSON.stringify([...keys].sort())) t.fail(`round ${round}: pages differ`);
  }
  t.pass('random paging rounds');

  // 100,000 MACs page quickly.
  const macs = Array.from({ length: 100000 }, (_, i) => ({ mac: `02:00:00:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`, port: `p${i % 50}`, kind: 'learned', age_s: i % 300 }));
  const t0 = Date.now();
  let cursor: string | null = null;
  let total = 0;
  let pagesN = 0;
  do {
    const p: { entries: unknown[]; next_cursor: string | null } = pageByKey(macs, (e) => e.mac, { cursor });
    total += p.entries.length;
    cursor = p.next_cursor;
    pagesN++;
    const answer = encodeAnswer(p, undefined, 1024 * 1024);
    if (BSON.deserialize(answer).ok !== true) t.fail(`page ${pagesN} does not fit in 1 MiB`);
  } while (cursor !== null);
  t.equal(total, 100000);
  t.comment(`100,000 entries in ${pagesN} pages, ${Date.now() - t0} ms`);
});

t.test('constructor validation', async (t) => {
  t.throws(() => new ControlServer({ path: '/tmp/x', handler: () => 1, maxClients: 0 }), RangeError);
  t.throws(() => new ControlServer({ path: '/tmp/x', handler: () => 1, maxDocumentBytes: 2 ** 31 }), RangeError);
});
