// Control-call errors carry errno codes; bad arguments are refused with TypeError/RangeError.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { native, Poller, isNativeError } from '../../src/dataplane/native.js';

const MISSING = 'ixnope0';

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

t.test('packetOpen on a missing interface: ENODEV', async (t) => {
  const err = caught(() => native.packetOpen(MISSING));
  t.ok(err instanceof Error);
  t.ok(isNativeError(err));
  t.match(err, { code: 'ENODEV', errno: 19, syscall: 'if_nametoindex', message: `if_nametoindex ${MISSING}: No such device` });
});

t.test('interface calls on a missing interface', async (t) => {
  t.equal(native.ifIndex(MISSING), 0, 'ifIndex: 0, no throw');
  t.equal(native.ifIndex(''), 0);
  t.equal(native.ifIndex('x'.repeat(40)), 0, 'over-long name: 0');
  t.ok(native.ifIndex('lo') > 0);
  t.throws(() => native.ifSetUp(MISSING), { code: 'ENODEV', syscall: 'ioctl(SIOCGIFFLAGS)' });
  t.throws(() => native.ifSetMtu(MISSING, 1500), { code: 'ENODEV', syscall: 'ioctl(SIOCSIFMTU)' });
  t.throws(() => native.ifGetMtu(MISSING), { code: 'ENODEV', syscall: 'ioctl(SIOCGIFMTU)' });
  t.throws(() => native.ifGetMac(MISSING), { code: 'ENODEV', syscall: 'ioctl(SIOCGIFHWADDR)' });
  t.equal(native.ifGetMac('lo'), '00:00:00:00:00:00');
  t.throws(() => native.ifGetMtu(42 as unknown as string), TypeError);
});

t.test('interface calls on a veth pair', async (t) => {
  const a = 'ixe' + randomBytes(4).toString('hex').slice(0, 7);
  execFileSync('ip', ['link', 'add', a, 'type', 'veth', 'peer', 'name', `${a}p`]);
  t.teardown(() => execFileSync('ip', ['link', 'del', a]));
  // Never do this on lo: its minimum MTU is 0 and an MTU below 68 removes 127.0.0.1.
  t.throws(() => native.ifSetMtu(a, 10), { code: 'EINVAL', message: `ioctl(SIOCSIFMTU) ${a}: Invalid argument` });
  native.ifSetMtu(a, 1400);
  t.equal(native.ifGetMtu(a), 1400);
  native.ifSetUp(a);
  t.match(execFileSync('ip', ['-o', 'link', 'show', a], { encoding: 'utf8' }), /[<,]UP[,>]/);
  t.match(native.ifGetMac(a), /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
});

t.test('close', async (t) => {
  const fd = native.udpOpen(4, '127.0.0.1', 0);
  native.close(fd);
  t.throws(() => native.close(fd), { code: 'EBADF', syscall: 'close' }, 'double close');
});

t.test('Poller argument validation', async (t) => {
  const fd = native.udpOpen(4, '127.0.0.1', 0);
  t.teardown(() => native.close(fd));
  const ok = { slotSize: 2048, headroom: 0, maxBatch: 4, offsets: new Uint32Array(4), lengths: new Uint32Array(4) };
  const slab = Buffer.alloc(2048 * 4);
  const cb = (): void => {};
  t.throws(() => new Poller(fd, 'bogus' as 'dgram', slab, ok, cb), TypeError);
  t.throws(() => new Poller(fd, 'dgram', Buffer.alloc(100), ok, cb), RangeError, 'slab too small');
  t.throws(() => new Poller(fd, 'dgram', slab, { ...ok, maxBatch: 0 }, cb), RangeError);
  t.throws(() => new Poller(fd, 'dgram', slab, { ...ok, maxBatch: 5000 }, cb), RangeError);
  t.throws(() => new Poller(fd, 'dgram', slab, { ...ok, headroom: 2048 }, cb), RangeError);
  t.throws(() => new Poller(fd, 'dgram', slab, { ...ok, offsets: new Uint32Array(2) }, cb), RangeError);
  t.throws(() => new Poller(fd, 'dgram', slab, { ...ok, lengths: new Int32Array(4) as unknown as Uint32Array }, cb), TypeError);
  t.throws(() => new Poller(fd, 'dgram', slab, { ...ok, addrs: Buffer.alloc(8) }, cb), RangeError);
  t.throws(() => new Poller(fd, 'dgram', slab, { ...ok, maxBatchesPerEvent: 0 }, cb), RangeError);
  t.throws(() => new Poller(fd, 'dgram', slab, ok, 'nope' as unknown as () => void), TypeError);
  t.throws(() => new Poller(fd, 'dgram', slab, { ...ok, offload: true }, cb), TypeError, 'offload needs meta');
  t.throws(() => new Poller(fd, 'dgram', slab, { ...ok, offload: true, meta: new Uint16Array(15) }, cb), RangeError, 'meta too short');
  t.throws(() => new Poller(fd, 'dgram', slab, { ...ok, meta: new Uint32Array(16) as unknown as Uint16Array }, cb), TypeError, 'meta must be a Uint16Array');
  t.throws(() => new Poller(-1, 'dgram', slab, ok, cb), RangeError);
  t.throws(() => (Poller as unknown as (...a: unknown[]) => unknown)(fd, 'dgram', slab, ok, cb), TypeError, 'without new');
  const fileFd = openSync('/dev/null', 'r');
  t.teardown(() => closeSync(fileFd));
  t.throws(() => new Poller(fileFd, 'dgram', slab, ok, cb), { code: 'ENOTSOCK' }, 'dgram needs a socket');
  const p = new Poller(fd, 'dgram', slab, ok, cb);
  t.equal(p.fd, fd);
  t.equal(p.active, false);
  t.same(p.stats(), {
    batches: 0,
    frames: 0,
    truncated: 0,
    errors: 0,
    csumFixed: 0,
    gsoSegmented: 0,
    gsoSegments: 0,
    gsoDropped: 0,
    gsoCarried: 0,
    gsoCarriedSegments: 0,
  });
  t.equal(p.offload, false);
  p.close();
  // offload on a descriptor without virtio header: accepted, no effect (ordinary frames, meta 0)
  const q = new Poller(fd, 'dgram', slab, { ...ok, offload: true, meta: new Uint16Array(16) }, cb);
  t.equal(q.offload, false, 'no virtio header: offload has no effect');
  q.close();
  p.close();
  p.stop();
});

t.test('send argument validation', async (t) => {
  const fd = native.udpOpen(4, '127.0.0.1', 0);
  t.teardown(() => native.close(fd));
  const slab = Buffer.alloc(64);
  const desc = new Uint32Array(5);
  t.throws(() => native.send(fd, 'bogus' as 'dgram', slab, desc, 1, null, null), TypeError);
  t.throws(() => native.send(fd, 'packets' as 'dgram', slab, desc, 1, null, null), TypeError, 'kind is matched whole');
  t.throws(() => native.send(fd, 'dgram', slab, new Int32Array(5) as unknown as Uint32Array, 1, null, null), TypeError);
  t.throws(() => native.send(fd, 'dgram', slab, desc, 2, null, null), RangeError, 'count beyond desc');
  t.throws(() => native.send(fd, 'dgram', slab, desc, 1, null, new Int32Array(1)), RangeError, 'result too short');
  const result = new Int32Array([5, 5]);
  // No destination on an unconnected UDP socket: a per-message error, not a throw.
  t.equal(native.send(fd, 'dgram', slab, new Uint32Array([0, 8, 0, 0, 0]), 1, null, result), 0);
  t.equal(result[0], 1);
  t.equal(result[1], 89, 'EDESTADDRREQ');
  // offload metadata: too short, or a super-packet for a socket that cannot take one
  t.throws(() => native.send(fd, 'dgram', slab, desc, 1, null, null, new Uint16Array(3)), RangeError, 'meta too short');
  t.throws(() => native.send(fd, 'dgram', slab, desc, 1, null, null, new Uint16Array([1, 1000, 34, 54])), RangeError, 'no super-packet on UDP');
  t.equal(native.send(fd, 'dgram', slab, new Uint32Array([0, 8, 0, 0, 0]), 1, null, result, new Uint16Array(4)), 0, 'ordinary frames with meta are fine');
  t.equal(native.vnetHdrLen(fd), 0, 'a UDP socket has no virtio header');
});

t.test('segment argument validation', async (t) => {
  const src = Buffer.alloc(256);
  const dst = Buffer.alloc(4096);
  const offs = new Uint32Array(2);
  const lens = new Uint32Array(2);
  const meta = new Uint16Array([1, 100, 34, 54]);
  t.throws(() => native.segment(src, 200, 100, meta, 0, dst, offs, lens, 2048, 64, 0), RangeError, 'frame outside src');
  t.throws(() => native.segment(src, 0, 200, meta, 1, dst, offs, lens, 2048, 64, 0), RangeError, 'metaIndex outside meta');
  t.throws(() => native.segment(src, 0, 200, meta, 0, dst, offs, lens, 64, 64, 0), RangeError, 'slot <= headroom');
  t.throws(() => native.segment(src, 0, 200, meta, 0, src, offs, lens, 2048, 64, 0), RangeError, 'dst overlapping the frame');
  t.throws(() => native.segment(src, 0, 200, meta, 0, src.subarray(100), offs, lens, 2048, 64, 0), RangeError, 'a view into the frame overlaps too');
  t.equal(native.segment(src, 0, 100, meta, 0, src.subarray(100), offs, lens, 64, 0, 0), -1, 'a view after the frame does not overlap');
  t.equal(native.segment(src, 0, 200, meta, 0, dst, offs, lens, 2048, 64, 0), -1, 'zeros are no TCP/IPv4 super-packet');
  t.equal(native.segment(src, 0, 200, new Uint16Array(4), 0, dst, offs, lens, 2048, 64, 0), -1, 'an ordinary frame is not segmented');
});
