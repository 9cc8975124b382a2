// control-client: framing, answers, and every way of not reaching the daemon.
import t, { type Test } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BSON } from 'bson';
import {
  ControlClient,
  DaemonError,
  encodeDocument,
  FrameDecoder,
  fromBson,
  request,
  UnreachableError,
} from '../../src/control/control-client.js';
import { ControlServer } from '../../src/control/control-server.js';
import { prng } from '../helpers/prng.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function tmpDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'ixf-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A fake daemon that does whatever `onConn` does with each connection. */
async function fakeServer(t: Test, onConn: (s: Socket) => void): Promise<string> {
  const path = join(tmpDir(t), 'fake.sock');
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    onConn(s);
  });
  await new Promise<void>((r) => server.listen(path, r));
  t.teardown(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return path;
}

t.test('FrameDecoder: documents split at every offset and glued together', async (t) => {
  const docs = [encodeDocument({ cmd: 'a' }), encodeDocument({ cmd: 'bb', args: { x: 'y'.repeat(300) } }), encodeDocument({})];
  const all = Buffer.concat(docs);
  for (let cut = 0; cut <= all.length; cut++) {
    const d = new FrameDecoder(1024);
    d.push(all.subarray(0, cut));
    const got: Buffer[] = [];
    for (let f = d.next(); f; f = d.next()) if (f.kind === 'doc') got.push(f.bytes);
    d.push(all.subarray(cut));
    for (let f = d.next(); f; f = d.next()) if (f.kind === 'doc') got.push(f.bytes);
    if (!got.every((g, i) => g.equals(docs[i] as Buffer)) || got.length !== 3) {
      t.fail(`split at ${cut}`);
      return;
    }
  }
  // Byte by byte.
  const d = new FrameDecoder(1024);
  const got: Buffer[] = [];
  for (const b of all) {
    d.push(Buffer.from([b]));
    for (let f = d.next(); f; f = d.next()) if (f.kind === 'doc') got.push(f.bytes);
  }
  t.same(got, docs);
  t.equal(d.buffered, 0);

  const big = new FrameDecoder(100);
  big.push(Buffer.from([0xff, 0xff]));
  t.equal(big.next(), null, 'needs 4 bytes for the prefix');
  big.push(Buffer.from([0xff, 0x7f]));
  t.same(big.next(), { kind: 'bad-length', length: 0x7fffffff });
  const neg = new FrameDecoder(100);
  neg.push(Buffer.from([0, 0, 0, 0x80, 1, 2, 3]));
  t.same(neg.next(), { kind: 'bad-length', length: -0x80000000 });
  const small = new FrameDecoder(100);
  small.push(Buffer.from([4, 0, 0, 0]));
  t.same(small.next(), { kind: 'bad-length', length: 4 });
});

t.test('fromBson turns BSON values into plain ones', async (t) => {
  const doc = BSON.deserialize(
    BSON.serialize({ l: BSON.Long.fromString('1152921504606846976'), b: new BSON.Binary(Buffer.from([1, 2])), o: new BSON.ObjectId('0123456789abcdef01234567'), n: [1, { x: BSON.Long.fromNumber(5) }] }),
  );
  t.same(fromBson(doc), { l: 2 ** 60, b: new Uint8Array([1, 2]), o: '0123456789abcdef01234567', n: [1, { x: 5 }] });
});

t.test('request: result, daemon error, pipelining', async (t) => {
  const path = join(tmpDir(t), 'ctl.sock');
  const server = new ControlServer({
    path,
    handler: (cmd, args) => {
      if (cmd === 'fail') throw Object.assign(new Error('config.yaml:3:5: pop.name: required'), { code: 'invalid_config' });
      return { cmd, args };
    },
  });
  await server.listen();
  t.teardown(() => server.close());
  t.same(await request(path, 'status'), { cmd: 'status', args: {} });
  t.same(await request(path, 'fdb', { port: 'p1', limit: 5 }), { cmd: 'fdb', args: { port: 'p1', limit: 5 } });
  const err = await request(path, 'fail').catch((e: unknown) => e);
  t.ok(err instanceof DaemonError);
  t.match(err, { message: 'config.yaml:3:5: pop.name: required', code: 'invalid_config', cmd: 'fail' });

  const c = await ControlClient.connect(path);
  const results = await Promise.allSettled([c.call('a'), c.call('fail'), c.call('b', { n: 1 })]);
  t.same(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled'],
    'a daemon error fails only its own call',
  );
  t.same(await c.call('c'), { cmd: 'c', args: {} }, 'the connection stays usable');
  c.close();
  await t.rejects(c.call('d'), { name: 'UnreachableError', code: 'ECLOSED' });
});

t.test('unreachable: no socket, stale socket, not a socket', async (t) => {
  const dir = tmpDir(t);
  await t.rejects(request(join(dir, 'missing.sock'), 'status'), { name: 'UnreachableError', code: 'ENOENT', message: /is ixfabricd running/ });

  const stale = join(dir, 'stale.sock');
  const child = spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, 'SIGKILL'))`]);
  t.equal(child.signal, 'SIGKILL');
  await t.rejects(request(stale, 'status'), { name: 'UnreachableError', code: 'ECONNREFUSED' });

  await t.rejects(request(dir, 'status'), UnreachableError, 'a directory');
  const err = await request(join(dir, 'missing.sock'), 'status').catch((e: unknown) => e);
  t.equal((err as UnreachableError).socketPath, join(dir, 'missing.sock'));
});

t.test('unreachable: permission denied (as an unprivileged user)', async (t) => {
  if (process.getuid?.() !== 0) {
    t.pass('skipped: needs root to run a child as nobody');
    return;
  }
  const dir = tmpDir(t);
  chmodSync(dir, 0o755);
  const path = join(dir, 'ctl.sock');
  const server = new ControlServer({ path, mode: 0o660, group: 0, handler: () => 'secret' });
  await server.listen();
  t.teardown(() => server.close());
  const clientUrl = new URL('../../src/control/control-client.ts', import.meta.url).href;
  const script = `
    const { request } = await import(${JSON.stringify(clientUrl)});
    try { await request(${JSON.stringify(path)}, 'status'); console.log('reached'); }
    catch (e) { console.log(e.name + ' ' + e.code); }
  `;
  const out = await new Promise<string>((resolve) => {
    const p = spawn(process.execPath, [...process.execArgv, '--input-type=module', '-e', script], {
      uid: 65534,
      gid: 65534,
      env: { ...process.env, HOME: '/tmp' },
      cwd: '/tmp',
    });
    let s = '';
    p.stdout.on('data', (c: Buffer) => (s += c.toString()));
    p.stderr.on('data', (c: Buffer) => (s += c.toString()));
    p.on('close', () => resolve(s));
  });
  if (/Cannot find|ERR_|EACCES: permission denied, open|EACCES: permission denied, mkdir/.test(out) && !/UnreachableError/.test(out)) {
    t.pass(`skipped: the child could not load the sources as nobody: ${out.slice(0, 200)}`);
    return;
  }
  t.match(out.trim(), /^UnreachableError EACCES$/m);
});

t.test('unreachable: no answer in time, closed without an answer, garbage answer', async (t) => {
  const silent = await fakeServer(t, () => {});
  const t0 = Date.now();
  await t.rejects(request(silent, 'status', {}, { timeoutMs: 200 }), { name: 'UnreachableError', code: 'ETIMEDOUT' });
  t.ok(Date.now() - t0 < 2000);

  const hangup = await fakeServer(t, (s) => s.destroy());
  await t.rejects(request(hangup, 'status', {}, { timeoutMs: 2000 }), { name: 'UnreachableError' });

  const rnd = prng(7);
  const garbage = await fakeServer(t, (s) => {
    s.once('data', () => s.end(Buffer.from(Array.from({ length: 64 }, () => Math.floor(rnd() * 256)))));
  });
  for (let i = 0; i < 20; i++) {
    const e = await request(garbage, 'status', {}, { timeoutMs: 500 }).catch((err: unknown) => err);
    t.ok(e instanceof UnreachableError, `garbage answer #${i}: ${(e as Error).message}`);
  }

  const badBson = await fakeServer(t, (s) => {
    s.once('data', () => s.end(Buffer.from([6, 0, 0, 0, 0x7f, 0])));
  });
  await t.rejects(request(badBson, 'status'), { name: 'UnreachableError', code: 'EPROTO' });

  const unsolicited = await fakeServer(t, (s) => s.write(encodeDocument({ ok: true, result: 1 })));
  const c = await ControlClient.connect(unsolicited);
  await sleep(50);
  await t.rejects(c.call('x'), { code: 'EPROTO' });
  c.close();
});

t.test('an answer without ok is an error; ok:true without result is null', async (t) => {
  const path = await fakeServer(t, (s) => {
    let n = 0;
    s.on('data', () => {
      n++;
      s.write(encodeDocument(n === 1 ? { weird: 1 } : { ok: true }));
    });
  });
  const c = await ControlClient.connect(path);
  await t.rejects(c.call('a'), { name: 'DaemonError', message: 'the daemon answered with an error' });
  t.equal(await c.call('b'), undefined);
  c.close();
});

t.test('busy refusals are retried until the deadline', async (t) => {
  const path = join(tmpDir(t), 'ctl.sock');
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));
  const server = new ControlServer({ path, maxClients: 1, handler: (cmd) => (cmd === 'hold' ? gate.then(() => 'held') : cmd) });
  await server.listen();
  t.teardown(() => server.close());
  const hold = request(path, 'hold');
  await sleep(30);
  const t0 = Date.now();
  await t.rejects(request(path, 'x', {}, { timeoutMs: 300 }), { name: 'UnreachableError', code: 'ETIMEDOUT', message: /too many clients/ });
  t.ok(Date.now() - t0 >= 250, 'retried until the deadline');
  const later = request(path, 'y', {}, { timeoutMs: 5000 });
  await sleep(100);
  release();
  t.equal(await later, 'y', 'served once a slot is free');
  t.equal(await hold, 'held');
});
