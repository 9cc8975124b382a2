// sdNotify against unix datagram sockets the test owns (path and abstract), using the addon's
// unixDgramOpen + Poller to receive.
import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { existsSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { native, Poller, ADDR_SIZE, decodeAddr } from '../../src/dataplane/native.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(pred: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) return false;
    await sleep(5);
  }
  return true;
}

function listen(t: Test, path: string): { msgs: string[]; families: number[] } {
  const fd = native.unixDgramOpen(path);
  t.teardown(() => native.close(fd));
  const slab = Buffer.alloc(4096 * 4);
  const offsets = new Uint32Array(4);
  const lengths = new Uint32Array(4);
  const addrs = Buffer.alloc(ADDR_SIZE * 4);
  const msgs: string[] = [];
  const families: number[] = [];
  const poller = new Poller(fd, 'dgram', slab, { slotSize: 4096, headroom: 0, maxBatch: 4, offsets, lengths, addrs }, (n) => {
    for (let i = 0; i < n; i++) {
      const o = offsets[i] as number;
      msgs.push(slab.subarray(o, o + (lengths[i] as number)).toString());
      families.push(decodeAddr(addrs, i).family);
    }
  });
  poller.start();
  t.teardown(() => poller.close());
  return { msgs, families };
}

const saved = process.env.NOTIFY_SOCKET;
t.teardown(() => {
  if (saved === undefined) delete process.env.NOTIFY_SOCKET;
  else process.env.NOTIFY_SOCKET = saved;
});

t.test('unset NOTIFY_SOCKET: returns false', async (t) => {
  delete process.env.NOTIFY_SOCKET;
  t.equal(native.sdNotify('READY=1'), false);
  process.env.NOTIFY_SOCKET = '';
  t.equal(native.sdNotify('READY=1'), false);
});

t.test('abstract socket (@name)', async (t) => {
  const name = `@ixfabric-test-${randomBytes(6).toString('hex')}`;
  const l = listen(t, name);
  process.env.NOTIFY_SOCKET = name;
  t.equal(native.sdNotify('READY=1\nSTATUS=forwarding'), true);
  t.equal(native.sdNotify('WATCHDOG=1'), true);
  t.ok(await until(() => l.msgs.length >= 2));
  t.same(l.msgs, ['READY=1\nSTATUS=forwarding', 'WATCHDOG=1'], 'one datagram per call');
  t.same(l.families, [0, 0], 'the sender is an unbound (unnamed) socket: family 0');
});

t.test('filesystem socket path', async (t) => {
  const path = join(tmpdir(), `ixfabric-notify-${randomBytes(6).toString('hex')}.sock`);
  t.teardown(() => {
    if (existsSync(path)) unlinkSync(path);
  });
  const l = listen(t, path);
  process.env.NOTIFY_SOCKET = path;
  t.equal(native.sdNotify('STOPPING=1'), true);
  t.ok(await until(() => l.msgs.length >= 1));
  t.same(l.msgs, ['STOPPING=1']);
  t.throws(() => native.unixDgramOpen(path), { code: 'EADDRINUSE' }, 'path already bound');
});

t.test('send errors throw', async (t) => {
  const missing = join(tmpdir(), `ixfabric-missing-${randomBytes(6).toString('hex')}.sock`);
  process.env.NOTIFY_SOCKET = missing;
  t.throws(() => native.sdNotify('READY=1'), {
    code: 'ENOENT',
    syscall: 'sendto(NOTIFY_SOCKET)',
    message: `sendto(NOTIFY_SOCKET) ${missing}: No such file or directory`,
  });
  process.env.NOTIFY_SOCKET = `@ixfabric-missing-${randomBytes(6).toString('hex')}`;
  t.throws(() => native.sdNotify('READY=1'), { code: 'ECONNREFUSED' });
  process.env.NOTIFY_SOCKET = 'vsock:2:1234';
  t.throws(() => native.sdNotify('READY=1'), { code: 'EAFNOSUPPORT' });
  t.throws(() => native.sdNotify(1 as unknown as string), TypeError);
});
