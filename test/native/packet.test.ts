// AF_PACKET on a veth pair: byte-exact receive (including 802.1Q / 802.1ad tags that the kernel
// strips into metadata), own transmissions not read back, interface deletion reported.
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { native, Poller, DESC_STRIDE, decodeAddr, AF_PACKET } from '../../src/dataplane/native.js';

const run = (cmd: string, ...args: string[]): string =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const ip = (...args: string[]): string => run('ip', ...args);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const ETH_TEST = 0x88b5; // IEEE local experimental ethertype: nothing in the kernel sends it

function uniq(): string {
  return 'ixp' + randomBytes(4).toString('hex').slice(0, 7);
}

function makeVeth(t: Test): { a: string; b: string } {
  const base = uniq();
  const a = `${base}a`;
  const b = `${base}b`;
  ip('link', 'add', a, 'type', 'veth', 'peer', 'name', b);
  t.teardown(() => {
    try {
      ip('link', 'del', a);
    } catch {
      /* already gone */
    }
  });
  for (const n of [a, b]) {
    try {
      writeFileSync(`/proc/sys/net/ipv6/conf/${n}/disable_ipv6`, '1'); // no IPv6 autoconf noise
    } catch {
      /* ipv6 may be disabled entirely */
    }
    ip('link', 'set', n, 'up');
  }
  return { a, b };
}

interface Rx {
  poller: InstanceType<typeof Poller>;
  frames: Buffer[];
  errors: number[];
  families: number[];
  until(pred: () => boolean, ms?: number): Promise<boolean>;
}

function receiver(t: Test, fd: number, opts: { slotSize?: number; headroom?: number; maxBatch?: number } = {}): Rx {
  const slotSize = opts.slotSize ?? 2048;
  const headroom = opts.headroom ?? 64;
  const maxBatch = opts.maxBatch ?? 32;
  const slab = Buffer.alloc(slotSize * maxBatch);
  const offsets = new Uint32Array(maxBatch);
  const lengths = new Uint32Array(maxBatch);
  const addrs = Buffer.alloc(32 * maxBatch);
  const rx: Rx = {
    poller: undefined as unknown as InstanceType<typeof Poller>,
    frames: [],
    errors: [],
    families: [],
    async until(pred, ms = 3000) {
      const end = Date.now() + ms;
      while (!pred()) {
        if (Date.now() > end) return false;
        await sleep(5);
      }
      return true;
    },
  };
  rx.poller = new Poller(fd, 'dgram', slab, { slotSize, headroom, maxBatch, offsets, lengths, addrs }, (n) => {
    if (n < 0) {
      rx.errors.push(n);
      return;
    }
    for (let i = 0; i < n; i++) {
      const off = offsets[i] as number;
      const frame = Buffer.from(slab.subarray(off, off + (lengths[i] as number)));
      // Only our test traffic: ethertype 0x88b5 possibly behind VLAN tags.
      let et = 12;
      while (frame.readUInt16BE(et) === 0x8100 || frame.readUInt16BE(et) === 0x88a8) et += 4;
      if (frame.readUInt16BE(et) !== ETH_TEST) continue;
      rx.frames.push(frame);
      rx.families.push(decodeAddr(addrs, i).family);
    }
  });
  rx.poller.start();
  t.teardown(() => rx.poller.close());
  return rx;
}

function frame(tags: Array<[number, number]>, size: number, marker: number): Buffer {
  const f = Buffer.alloc(size);
  Buffer.from('02aabbccdd01', 'hex').copy(f, 0);
  Buffer.from('02aabbccdd02', 'hex').copy(f, 6);
  let o = 12;
  for (const [tpid, tci] of tags) {
    f.writeUInt16BE(tpid, o);
    f.writeUInt16BE(tci, o + 2);
    o += 4;
  }
  f.writeUInt16BE(ETH_TEST, o);
  f.writeUInt32BE(marker, o + 2);
  for (let i = o + 6; i < size; i++) f[i] = (i * 7 + marker) & 0xff;
  return f;
}

function sendFrames(fd: number, frames: Buffer[]): { sent: number; result: Int32Array } {
  const slab = Buffer.alloc(frames.reduce((s, f) => s + f.length, 0));
  const desc = new Uint32Array(frames.length * DESC_STRIDE);
  let o = 0;
  frames.forEach((f, i) => {
    f.copy(slab, o);
    desc.set([o, f.length, 0, 0, 0], i * DESC_STRIDE);
    o += f.length;
  });
  const result = new Int32Array(2);
  const sent = native.send(fd, 'dgram', slab, desc, frames.length, null, result);
  return { sent, result };
}

t.test('veth: byte-exact frames, VLAN tags re-inserted, own transmissions ignored', async (t) => {
  const { a, b } = makeVeth(t);
  const fa = native.packetOpen(a);
  t.teardown(() => native.close(fa));
  const fb = native.packetOpen(b);
  t.teardown(() => native.close(fb));
  t.equal(native.localAddress(fb).family, AF_PACKET);
  const ra = receiver(t, fa);
  const rb = receiver(t, fb);

  const fromA = [
    frame([], 60, 1),
    frame([], 1514, 2),
    frame([[0x8100, 100]], 64, 3),
    frame([[0x8100, 0xa000 | 4094]], 1518, 4), // priority 5, VID 4094
    frame([[0x8100, 0x6000]], 80, 5), // priority-tagged, VID 0
    frame([[0x88a8, 200], [0x8100, 300]], 90, 6), // 802.1ad QinQ
    frame([[0x88a8, 0x2000 | 7]], 70, 7), // 802.1ad single tag
  ];
  const { sent, result } = sendFrames(fa, fromA);
  t.equal(sent, fromA.length, 'all frames accepted');
  t.same([...result], [0, 0], 'no errors');
  t.ok(await rb.until(() => rb.frames.length >= fromA.length), 'frames arrived on the peer');
  t.equal(rb.frames.length, fromA.length, 'exactly once each');
  for (let i = 0; i < fromA.length; i++) {
    t.ok(rb.frames[i]?.equals(fromA[i] as Buffer), `frame ${i} byte-exact (${fromA[i]?.length} bytes)`);
  }
  t.same(new Set(rb.families), new Set([AF_PACKET]), 'source address family AF_PACKET');

  const fromB = [frame([], 100, 11), frame([[0x8100, 42]], 100, 12)];
  t.equal(sendFrames(fb, fromB).sent, 2);
  t.ok(await ra.until(() => ra.frames.length >= 2), 'reverse direction arrived');
  t.ok(ra.frames[0]?.equals(fromB[0] as Buffer) && ra.frames[1]?.equals(fromB[1] as Buffer), 'reverse byte-exact');
  await sleep(100);
  t.equal(ra.frames.length, 2, 'A did not read back its own transmissions');
  t.equal(rb.frames.length, fromA.length, 'B did not read back its own transmissions');
  t.equal(rb.poller.stats().truncated, 0);
});

t.test('frames other sockets transmit on the interface are not read (PACKET_IGNORE_OUTGOING)', async (t) => {
  // A socket never sees its own transmissions anyway (the kernel skips the sending socket);
  // what PACKET_IGNORE_OUTGOING adds is that transmissions of other sockets and of the kernel
  // on the same interface (pkttype PACKET_OUTGOING) are not read either.
  const { a, b } = makeVeth(t);
  const fa = native.packetOpen(a);
  t.teardown(() => native.close(fa));
  const other = native.packetOpen(a);
  t.teardown(() => native.close(other));
  const fb = native.packetOpen(b);
  t.teardown(() => native.close(fb));
  const ra = receiver(t, fa);
  const rb = receiver(t, fb);
  const f = frame([], 120, 21);
  t.equal(sendFrames(other, [f]).sent, 1);
  t.ok(await rb.until(() => rb.frames.length >= 1), 'the peer received it');
  await sleep(100);
  t.equal(ra.frames.length, 0, 'a second socket on the sending interface did not read it');
});

t.test('oversized frames are counted as truncated, not delivered', async (t) => {
  const { a, b } = makeVeth(t);
  ip('link', 'set', a, 'mtu', '9000');
  ip('link', 'set', b, 'mtu', '9000');
  const fa = native.packetOpen(a);
  t.teardown(() => native.close(fa));
  const fb = native.packetOpen(b);
  t.teardown(() => native.close(fb));
  const rb = receiver(t, fb, { slotSize: 1024, headroom: 8 });
  const frames = [frame([], 1000, 1), frame([], 1016, 2), frame([], 1017, 3), frame([], 9014, 4), frame([], 200, 5)];
  t.equal(sendFrames(fa, frames).sent, frames.length);
  t.ok(await rb.until(() => rb.frames.length >= 3), 'small frames arrive');
  await sleep(50);
  t.same(
    rb.frames.map((f) => f.length),
    [1000, 1016, 200],
    'only frames that fit in slotSize - headroom are delivered',
  );
  t.equal(rb.poller.stats().truncated, 2, 'two truncated');
});

t.test('deleting the interface delivers onBatch(-errno) once and stops', async (t) => {
  const { a, b } = makeVeth(t);
  const fb = native.packetOpen(b);
  t.teardown(() => native.close(fb));
  const rb = receiver(t, fb);
  t.equal(rb.poller.active, true);
  ip('link', 'del', a);
  t.ok(await rb.until(() => rb.errors.length > 0), 'error delivered');
  await sleep(50);
  t.same(rb.errors, [-(constants.errno.ENETDOWN as number)], 'exactly one -ENETDOWN');
  t.equal(rb.poller.active, false, 'poller stopped');
  t.equal(native.ifIndex(b), 0, 'interface is gone');
});

t.test('link down is reported; a new socket on the down link works once it is up', async (t) => {
  const { a, b } = makeVeth(t);
  const fa = native.packetOpen(a);
  t.teardown(() => native.close(fa));
  const fb = native.packetOpen(b);
  const rb = receiver(t, fb);
  ip('link', 'set', b, 'down');
  t.ok(await rb.until(() => rb.errors.length > 0), 'error delivered');
  t.same(rb.errors, [-(constants.errno.ENETDOWN as number)]);
  rb.poller.close();
  native.close(fb);
  // Re-attach while the link is still down: must not fail immediately.
  const fb2 = native.packetOpen(b);
  t.teardown(() => native.close(fb2));
  const rb2 = receiver(t, fb2);
  await sleep(50);
  t.same(rb2.errors, [], 'no stale ENETDOWN on a socket bound to a down link');
  ip('link', 'set', b, 'up');
  await sleep(50);
  const f = frame([], 100, 99);
  t.equal(sendFrames(fa, [f]).sent, 1);
  t.ok(await rb2.until(() => rb2.frames.length > 0), 'frame received after link up');
  t.ok(rb2.frames[0]?.equals(f));
});

t.test('sending on a deleted interface is reported per batch, not thrown', async (t) => {
  const { a } = makeVeth(t);
  const fa = native.packetOpen(a);
  t.teardown(() => native.close(fa));
  ip('link', 'del', a);
  const { sent, result } = sendFrames(fa, [frame([], 60, 1), frame([], 60, 2), frame([], 60, 3)]);
  t.equal(sent, 0);
  t.equal(result[0], 3, 'all counted as errors');
  t.ok((result[1] as number) > 0, `lastErrno set (${result[1]})`);
});
