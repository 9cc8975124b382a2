// UDP over loopback (IPv4 and IPv6): batched sendmmsg with header+frame iovecs, recvmmsg
// batches, source address decoding, truncation, per-message errors, stop/close inside onBatch.
import t, { type Test } from 'tap';
import {
  native,
  Poller,
  ADDR_SIZE,
  DESC_STRIDE,
  AF_INET,
  AF_INET6,
  decodeAddr,
  encodeAddr,
  formatIPv6,
  parseIPv6,
  isNativeError,
} from '../../src/dataplane/native.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(pred: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) return false;
    await sleep(5);
  }
  return true;
}

interface Got {
  data: Buffer;
  family: number;
  address: string;
  port: number;
}

function open(t: Test, family: 4 | 6, host: string): { fd: number; port: number } {
  const fd = native.udpOpen(family, host, 0);
  t.teardown(() => native.close(fd));
  return { fd, port: native.localAddress(fd).port };
}

function receive(
  t: Test,
  fd: number,
  opts: { slotSize?: number; headroom?: number; maxBatch?: number; maxBatchesPerEvent?: number } = {},
  hook?: (n: number) => void,
) {
  const slotSize = opts.slotSize ?? 2048;
  const headroom = opts.headroom ?? 0;
  const maxBatch = opts.maxBatch ?? 16;
  const slab = Buffer.alloc(slotSize * maxBatch);
  const offsets = new Uint32Array(maxBatch);
  const lengths = new Uint32Array(maxBatch);
  const addrs = Buffer.alloc(ADDR_SIZE * maxBatch);
  const got: Got[] = [];
  const batches: number[] = [];
  const poller = new Poller(
    fd,
    'dgram',
    slab,
    { slotSize, headroom, maxBatch, offsets, lengths, addrs, maxBatchesPerEvent: opts.maxBatchesPerEvent },
    (n) => {
      batches.push(n);
      for (let i = 0; i < n; i++) {
        const off = offsets[i] as number;
        t.equal(off, i * slotSize + headroom, 'offset = i*slotSize + headroom');
        const a = decodeAddr(addrs, i);
        got.push({ data: Buffer.from(slab.subarray(off, off + (lengths[i] as number))), ...a });
      }
      hook?.(n);
    },
  );
  t.teardown(() => poller.close());
  return { poller, got, batches };
}

/** Lay out `count` messages of header + payload in a slab; all to address table entry 0. */
function batch(count: number, payloadSize: (i: number) => number) {
  const slab = Buffer.alloc(count * 2200 + 64);
  const desc = new Uint32Array(count * DESC_STRIDE);
  const expect: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const hdr = i * 2200;
    const frm = hdr + 64;
    slab.writeUInt32BE(0x08000000, hdr);
    slab.writeUInt32BE(i << 8, hdr + 4); // VXLAN-looking header with VNI = i
    const len = payloadSize(i);
    for (let j = 0; j < len; j++) slab[frm + j] = (i + j) & 0xff;
    desc.set([frm, len, hdr, 8, 0], i * DESC_STRIDE);
    expect.push(Buffer.concat([slab.subarray(hdr, hdr + 8), slab.subarray(frm, frm + len)]));
  }
  return { slab, desc, expect };
}

for (const [family, host] of [
  [4, '127.0.0.1'],
  [6, '::1'],
] as const) {
  t.test(`IPv${family}: batch send, batched receive, source address`, async (t) => {
    const rx = open(t, family, host);
    const tx = open(t, family, host);
    const r = receive(t, rx.fd, { maxBatch: 16, headroom: 32 });
    r.poller.start();
    t.equal(r.poller.active, true);

    const N = 40;
    const { slab, desc, expect } = batch(N, (i) => 1 + i * 37);
    const addrs = Buffer.alloc(ADDR_SIZE * 2);
    encodeAddr(addrs, 1, '192.0.2.1', 9); // unused entry
    encodeAddr(addrs, 0, host, rx.port);
    const result = new Int32Array(2);
    t.equal(native.send(tx.fd, 'dgram', slab, desc, N, addrs, result), N, 'all accepted');
    t.same([...result], [0, 0]);
    t.ok(await until(() => r.got.length >= N), 'all received');
    t.equal(r.got.length, N);
    for (let i = 0; i < N; i++) {
      const g = r.got[i] as Got;
      t.ok(g.data.equals(expect[i] as Buffer), `datagram ${i} = header + frame`);
    }
    const g0 = r.got[0] as Got;
    t.equal(g0.family, family === 4 ? AF_INET : AF_INET6);
    t.equal(g0.address, host);
    t.equal(g0.port, tx.port, 'source port decoded');
    t.ok(r.batches.every((n) => n > 0 && n <= 16), `batches of at most maxBatch: ${r.batches.join(',')}`);
    t.ok(r.batches.length >= 3, 'several batches');
    const s = r.poller.stats();
    t.equal(s.frames, N);
    t.equal(s.batches, r.batches.length);
    t.equal(s.truncated, 0);
    t.equal(s.errors, 0);
  });
}

t.test('truncated datagrams are counted and skipped', async (t) => {
  const rx = open(t, 4, '127.0.0.1');
  const tx = open(t, 4, '127.0.0.1');
  const r = receive(t, rx.fd, { slotSize: 256, headroom: 56, maxBatch: 8 });
  r.poller.start();
  const { slab, desc } = batch(4, (i) => [100, 192, 193, 1000][i] as number); // +8 header
  const addrs = Buffer.alloc(ADDR_SIZE);
  encodeAddr(addrs, 0, '127.0.0.1', rx.port);
  t.equal(native.send(tx.fd, 'dgram', slab, desc, 4, addrs, null), 4);
  t.ok(await until(() => r.poller.stats().truncated + r.got.length >= 4));
  t.same(
    r.got.map((g) => g.data.length),
    [108, 200],
    'datagrams up to slotSize - headroom delivered',
  );
  t.equal(r.poller.stats().truncated, 2);
});

t.test('per-message errors are skipped and reported', async (t) => {
  const rx = open(t, 4, '127.0.0.1');
  const tx = open(t, 4, '127.0.0.1');
  const r = receive(t, rx.fd);
  r.poller.start();
  const slab = Buffer.alloc(70000);
  const addrs = Buffer.alloc(ADDR_SIZE * 2);
  encodeAddr(addrs, 0, '127.0.0.1', rx.port);
  encodeAddr(addrs, 1, '::1', rx.port); // IPv6 destination on an IPv4 socket: EAFNOSUPPORT
  const desc = new Uint32Array([
    0, 10, 0, 0, 0,
    0, 66000, 0, 0, 0, // too big for UDP: EMSGSIZE
    0, 11, 0, 0, 1,
    0, 12, 0, 0, 0,
  ]);
  const result = new Int32Array(2);
  const sent = native.send(tx.fd, 'dgram', slab, desc, 4, addrs, result);
  t.equal(sent, 2, 'two accepted');
  t.equal(result[0], 2, 'two errors');
  t.ok((result[1] as number) > 0, `lastErrno ${result[1]}`);
  t.ok(await until(() => r.got.length >= 2));
  t.same(r.got.map((g) => g.data.length), [10, 12]);

  // Bad descriptors are programming errors: thrown.
  t.throws(() => native.send(tx.fd, 'dgram', slab, new Uint32Array([69990, 100, 0, 0, 0]), 1, addrs, result), RangeError);
  t.throws(() => native.send(tx.fd, 'dgram', slab, new Uint32Array([0, 1, 0, 0, 7]), 1, addrs, result), RangeError);
  t.throws(() => native.send(tx.fd, 'dgram', slab, new Uint32Array(4), 1, addrs, result), RangeError);
  t.equal(native.send(tx.fd, 'dgram', slab, desc, 0, addrs, result), 0, 'count 0');
});

t.test('maxBatchesPerEvent bounds one readiness event; the rest follows', async (t) => {
  const rx = open(t, 4, '127.0.0.1');
  const tx = open(t, 4, '127.0.0.1');
  const N = 50;
  let perTick = 0;
  let maxPerTick = 0;
  let ticker: NodeJS.Immediate | undefined;
  const r = receive(t, rx.fd, { maxBatch: 4, maxBatchesPerEvent: 2 }, () => {
    perTick++;
    maxPerTick = Math.max(maxPerTick, perTick);
    ticker ??= setImmediate(() => {
      perTick = 0;
      ticker = undefined;
    });
  });
  const { slab, desc } = batch(N, () => 20);
  const addrs = Buffer.alloc(ADDR_SIZE);
  encodeAddr(addrs, 0, '127.0.0.1', rx.port);
  t.equal(native.send(tx.fd, 'dgram', slab, desc, N, addrs, null), N, 'queued before polling starts');
  r.poller.start();
  t.ok(await until(() => r.got.length >= N), 'everything drained eventually');
  t.ok(r.batches.every((n) => n <= 4));
  t.ok(maxPerTick <= 2, `at most 2 batches per event (saw ${maxPerTick})`);
});

t.test('stop() and close() from inside onBatch', async (t) => {
  const rx = open(t, 4, '127.0.0.1');
  const tx = open(t, 4, '127.0.0.1');
  const addrs = Buffer.alloc(ADDR_SIZE);
  encodeAddr(addrs, 0, '127.0.0.1', rx.port);
  const { slab, desc } = batch(20, () => 10);

  let calls = 0;
  const r = receive(t, rx.fd, { maxBatch: 2 }, () => {
    calls++;
    r.poller.stop();
  });
  r.poller.start();
  native.send(tx.fd, 'dgram', slab, desc, 20, addrs, null);
  t.ok(await until(() => calls > 0));
  await sleep(50);
  t.equal(calls, 1, 'stop() inside onBatch ends the drain');
  t.equal(r.poller.active, false);
  r.poller.start();
  t.ok(await until(() => calls > 1), 'start() again resumes');
  r.poller.close();
  t.throws(() => r.poller.start(), /closed/, 'start after close throws');

  let calls2 = 0;
  const r2 = receive(t, rx.fd, { maxBatch: 2 }, () => {
    calls2++;
    r2.poller.close();
  });
  r2.poller.start();
  t.ok(await until(() => calls2 > 0));
  await sleep(50);
  t.equal(calls2, 1, 'close() inside onBatch');
  r2.poller.close();
  t.equal(r2.poller.active, false);
});

t.test('two pollers on one fd are refused', async (t) => {
  const rx = open(t, 4, '127.0.0.1');
  const r = receive(t, rx.fd);
  t.throws(() => receive(t, rx.fd), { code: 'EEXIST' });
  r.poller.close();
  const r2 = receive(t, rx.fd);
  r2.poller.close();
});

t.test('udpOpen errors and options', async (t) => {
  // 192.0.2.1 (TEST-NET-1) is not configured on this machine.
  const err = (() => {
    try {
      native.udpOpen(4, '192.0.2.1', 4789);
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  t.ok(isNativeError(err));
  t.match(err, { code: 'EADDRNOTAVAIL', syscall: 'bind', errno: 99 });
  t.equal((err as Error).message, 'bind 192.0.2.1:4789: Cannot assign requested address');
  t.throws(() => native.udpOpen(4, '::1', 0), { code: 'EAFNOSUPPORT' });
  t.throws(() => native.udpOpen(6, 'not-an-address', 0), { code: 'EINVAL' });
  t.throws(() => native.udpOpen(5 as 4, '127.0.0.1', 0), RangeError);
  const v6any = native.udpOpen(6, '', 0);
  t.equal(native.localAddress(v6any).address, '::');
  native.close(v6any);
  t.throws(() => native.close(-1), { code: 'EBADF' });
});

t.test('address table helpers', async (t) => {
  const tab = Buffer.alloc(ADDR_SIZE * 4);
  encodeAddr(tab, 0, '10.1.2.3', 4789);
  t.same([...tab.subarray(0, 8)], [2, 0, 0x12, 0xb5, 10, 1, 2, 3]);
  t.same(decodeAddr(tab, 0), { family: 2, address: '10.1.2.3', port: 4789, scopeId: 0 });
  encodeAddr(tab, 1, '2001:db8::1', 1, 7);
  t.same(decodeAddr(tab, 1), { family: 10, address: '2001:db8::1', port: 1, scopeId: 7 });
  encodeAddr(tab, 2, 'fe80::1%lo', 2);
  t.equal(decodeAddr(tab, 2).scopeId, native.ifIndex('lo'));
  encodeAddr(tab, 3, '::ffff:192.0.2.1', 3);
  t.equal(decodeAddr(tab, 3).address, '::ffff:192.0.2.1');
  t.throws(() => encodeAddr(tab, 4, '1.2.3.4', 1), RangeError);
  t.throws(() => encodeAddr(tab, 0, '1.2.3', 1), TypeError);
  t.throws(() => encodeAddr(tab, 0, '1::2::3', 1), TypeError);
  t.throws(() => encodeAddr(tab, 0, '1.2.3.4', 70000), RangeError);
  const b = new Uint8Array(16);
  for (const [text, canon] of [
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['0:0:1:0:0:0:1:0', '0:0:1::1:0'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
  ] as const) {
    t.ok(parseIPv6(text, b), `parse ${text}`);
    t.equal(formatIPv6(b), canon);
  }
  for (const bad of ['', ':', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '12345::', 'g::', '1.2.3.4::', '::1.2.3']) {
    t.notOk(parseIPv6(bad, b), `reject '${bad}'`);
  }
});
