// TAP devices: frames the kernel transmits on the tap arrive through a 'stream' Poller; frames
// written with send(..., 'stream', ...) appear on the kernel side (seen by an AF_PACKET socket).
// The I/O tests run twice: reads and writes batched through io_uring (the default where the kernel
// has it), and one readv/writev per frame (tapUring(false)).
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { native, Poller, DESC_STRIDE } from '../../src/dataplane/native.js';

const run = (cmd: string, ...args: string[]): string =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const ETH_TEST = 0x88b5;

const uniq = (): string => 'ixt' + randomBytes(4).toString('hex').slice(0, 7);

async function until(pred: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) return false;
    await sleep(5);
  }
  return true;
}

function quiet(name: string): void {
  try {
    writeFileSync(`/proc/sys/net/ipv6/conf/${name}/disable_ipv6`, '1'); // no IPv6 autoconf noise
  } catch {
    /* no ipv6 */
  }
}

function frame(size: number, marker: number): Buffer {
  const f = Buffer.alloc(size);
  Buffer.from('02000000aa01', 'hex').copy(f, 0);
  Buffer.from('02000000aa02', 'hex').copy(f, 6);
  f.writeUInt16BE(ETH_TEST, 12);
  f.writeUInt32BE(marker, 14);
  for (let i = 18; i < size; i++) f[i] = (i * 13 + marker) & 0xff;
  return f;
}

function receiver(t: Test, fd: number, kind: 'stream' | 'dgram', slotSize: number, headroom: number, maxBatch = 16) {
  const slab = Buffer.alloc(slotSize * maxBatch);
  const offsets = new Uint32Array(maxBatch);
  const lengths = new Uint32Array(maxBatch);
  const frames: Buffer[] = [];
  const errors: number[] = [];
  const poller = new Poller(fd, kind, slab, { slotSize, headroom, maxBatch, offsets, lengths }, (n) => {
    if (n < 0) errors.push(n);
    for (let i = 0; i < n; i++) {
      const off = offsets[i] as number;
      const f = Buffer.from(slab.subarray(off, off + (lengths[i] as number)));
      if (f.length >= 14 && f.readUInt16BE(12) === ETH_TEST) frames.push(f);
    }
  });
  poller.start();
  t.teardown(() => poller.close());
  return { poller, frames, errors };
}

/** send() a list of frames; with split=true each goes as a 14-byte header iovec + payload. */
function sendAll(fd: number, kind: 'stream' | 'dgram', frames: Buffer[], split = false): number {
  const slab = Buffer.concat(frames);
  const desc = new Uint32Array(frames.length * DESC_STRIDE);
  let o = 0;
  frames.forEach((f, i) => {
    if (split) desc.set([o + 14, f.length - 14, o, 14, 0], i * DESC_STRIDE);
    else desc.set([o, f.length, 0, 0, 0], i * DESC_STRIDE);
    o += f.length;
  });
  const result = new Int32Array(2);
  const n = native.send(fd, kind, slab, desc, frames.length, null, result);
  if (result[0] !== 0) throw new Error(`send errors ${result[0]} errno ${result[1]}`);
  return n;
}

/** A quiet TAP opened here and an AF_PACKET socket on it (its kernel side), closed after the test. */
function tapWithKernelSide(t: Test, mtu: number): { tap: { fd: number; name: string }; pk: number } {
  const tap = native.tapOpen(uniq(), { mtu });
  t.teardown(() => native.close(tap.fd));
  quiet(tap.name);
  const pk = native.packetOpen(tap.name);
  t.teardown(() => native.close(pk));
  return { tap, pk };
}

/** Sets the TAP I/O mode for a test and restores io_uring after it. */
function ioMode(t: Test, uring: boolean): void {
  t.equal(native.tapUring(uring), uring, uring ? 'TAP I/O through io_uring' : 'TAP I/O with readv/writev');
  t.teardown(() => void native.tapUring(true));
}

for (const uring of [true, false]) {
  const mode = uring ? 'io_uring' : 'readv/writev';

  t.test(`TAP (${mode}): kernel-to-fd and fd-to-kernel, 60..1514 and jumbo frames`, async (t) => {
    ioMode(t, uring);
    const want = uniq();
    // Create persistent and quiet first, then attach with tapOpen (which brings the link up).
    run('ip', 'tuntap', 'add', 'dev', want, 'mode', 'tap');
    t.teardown(() => {
      try {
        run('ip', 'link', 'del', want);
      } catch {
        /* gone */
      }
    });
    quiet(want);
    const tap = native.tapOpen(want, { mtu: 1500 });
    t.teardown(() => native.close(tap.fd));
    t.equal(tap.name, want);
    t.ok(native.ifIndex(want) > 0);
    t.equal(native.ifGetMtu(want), 1500);
    t.match(native.ifGetMac(want), /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    t.match(run('ip', '-o', 'link', 'show', want), /[<,]UP[,>]/, 'link is up');

    const pk = native.packetOpen(want); // the kernel side of the tap
    t.teardown(() => native.close(pk));
    const tapRx = receiver(t, tap.fd, 'stream', 2048, 64);
    const pkRx = receiver(t, pk, 'dgram', 2048, 64);

    const sizes = [60, 61, 64, 128, 576, 1000, 1499, 1514];
    const k2f = sizes.map((s, i) => frame(s, 100 + i));
    t.equal(sendAll(pk, 'dgram', k2f), k2f.length, 'kernel side accepted');
    t.ok(await until(() => tapRx.frames.length >= k2f.length), 'frames read from the TAP fd');
    k2f.forEach((f, i) => t.ok(tapRx.frames[i]?.equals(f), `kernel->fd ${f.length} bytes exact`));

    const f2k = sizes.map((s, i) => frame(s, 200 + i));
    t.equal(sendAll(tap.fd, 'stream', f2k.slice(0, 4)), 4, 'writev accepted');
    t.equal(sendAll(tap.fd, 'stream', f2k.slice(4), true), 4, 'header+frame iovec writev accepted');
    t.ok(await until(() => pkRx.frames.length >= f2k.length), 'frames seen on the kernel side');
    f2k.forEach((f, i) => t.ok(pkRx.frames[i]?.equals(f), `fd->kernel ${f.length} bytes exact`));

    // Jumbo: raise the MTU, use bigger slots (a new poller on the same fd).
    native.ifSetMtu(want, 9000);
    t.equal(native.ifGetMtu(want), 9000);
    tapRx.poller.close();
    pkRx.poller.close();
    const bigTap = receiver(t, tap.fd, 'stream', 16384, 64, 4);
    const bigPk = receiver(t, pk, 'dgram', 16384, 64, 4);
    const j1 = frame(9014, 300);
    const j2 = frame(9014, 301);
    t.equal(sendAll(pk, 'dgram', [j1]), 1);
    t.equal(sendAll(tap.fd, 'stream', [j2]), 1);
    t.ok(await until(() => bigTap.frames.length >= 1 && bigPk.frames.length >= 1), 'jumbo frames both ways');
    t.ok(bigTap.frames[0]?.equals(j1), 'kernel->fd 9014 bytes exact');
    t.ok(bigPk.frames[0]?.equals(j2), 'fd->kernel 9014 bytes exact');
    t.equal(bigTap.poller.stats().truncated, 0);
  });

  t.test(`TAP (${mode}): a burst of 600 frames each way arrives complete and in order over many batches`, async (t) => {
    ioMode(t, uring);
    const { tap, pk } = tapWithKernelSide(t, 1500);
    const tapRx = receiver(t, tap.fd, 'stream', 2048, 64, 16);
    const pkRx = receiver(t, pk, 'dgram', 2048, 64, 64);
    const N = 600;
    const k2f = Array.from({ length: N }, (_, i) => frame(60 + (i % 1400), 1000 + i));
    const f2k = Array.from({ length: N }, (_, i) => frame(60 + ((i * 7) % 1400), 5000 + i));
    t.equal(sendAll(pk, 'dgram', k2f), N, 'kernel side accepted the burst');
    t.equal(sendAll(tap.fd, 'stream', f2k), N, 'the TAP accepted the burst');
    t.ok(await until(() => tapRx.frames.length >= N && pkRx.frames.length >= N), `both bursts arrived (${tapRx.frames.length}, ${pkRx.frames.length})`);
    t.ok(tapRx.frames.every((f, i) => f.equals(k2f[i]!)), 'kernel->fd: every frame exact, in order');
    t.ok(pkRx.frames.every((f, i) => f.equals(f2k[i]!)), 'fd->kernel: every frame exact, in order');
    t.ok(tapRx.poller.stats().batches >= N / 16, `read in batches of at most 16 (${tapRx.poller.stats().batches})`);
  });

  t.test(`TAP (${mode}): frames larger than a slot are counted as truncated`, async (t) => {
    ioMode(t, uring);
    const { tap, pk } = tapWithKernelSide(t, 9000);
    const rx = receiver(t, tap.fd, 'stream', 1024, 0, 8);
    // Slot capacity 1024 (the kernel silently cuts a TAP read to the buffer; native detects it).
    const frames = [frame(1000, 1), frame(1024, 2), frame(1025, 3), frame(3000, 4), frame(60, 5)];
    t.equal(sendAll(pk, 'dgram', frames), frames.length);
    t.ok(await until(() => rx.frames.length >= 3), 'frames that fit arrive');
    await sleep(50);
    t.same(rx.frames.map((f) => f.length), [1000, 1024, 60], 'an exact fit is delivered');
    t.equal(rx.poller.stats().truncated, 2, 'two frames did not fit');
    t.ok(rx.frames[1]?.equals(frames[1] as Buffer));
  });

  t.test(`TAP (${mode}): created by tapOpen, removed on close; deletion reported to the poller`, async (t) => {
    ioMode(t, uring);
    const name = uniq();
    const tap = native.tapOpen(name);
    t.equal(tap.name, name);
    t.ok(native.ifIndex(name) > 0, 'created');
    native.close(tap.fd);
    await until(() => native.ifIndex(name) === 0, 1000);
    t.equal(native.ifIndex(name), 0, 'non-persistent tap disappears with its fd');

    const tap2 = native.tapOpen(name);
    t.teardown(() => native.close(tap2.fd));
    const rx = receiver(t, tap2.fd, 'stream', 2048, 0);
    run('ip', 'link', 'del', name);
    t.ok(await until(() => rx.errors.length > 0), 'error delivered');
    await sleep(50);
    t.equal(rx.errors.length, 1, 'exactly once');
    t.equal(rx.errors[0], -77, 'onBatch(-EBADFD)');
    t.equal(rx.poller.active, false);
    const r = new Int32Array(2);
    const n = native.send(tap2.fd, 'stream', frame(60, 1), new Uint32Array([0, 60, 0, 0, 0]), 1, null, r);
    t.equal(n, 0, 'write to a deleted tap is not accepted');
    t.equal(r[0], 1);
    const EBADFD = 77; // not in os.constants.errno
    t.ok([EBADFD, constants.errno.EIO].includes(r[1] as number), `errno ${r[1]}`);
  });
}

t.test('tapOpen with vnetHdr opens', async (t) => {
  const tap = native.tapOpen(uniq(), { vnetHdr: true, mtu: 1400 });
  t.teardown(() => native.close(tap.fd));
  t.equal(native.ifGetMtu(tap.name), 1400);
});

t.test('tapOpen errors', async (t) => {
  t.throws(() => native.tapOpen('x'.repeat(20)), RangeError, 'name too long');
  const name = uniq();
  run('ip', 'link', 'add', name, 'type', 'veth', 'peer', 'name', `${name}p`);
  t.teardown(() => run('ip', 'link', 'del', name));
  t.throws(() => native.tapOpen(name), {
    code: 'EINVAL',
    syscall: 'ioctl(TUNSETIFF)',
    message: `ioctl(TUNSETIFF) ${name}: Invalid argument`,
  }, 'existing non-tun device of the same name');
});
