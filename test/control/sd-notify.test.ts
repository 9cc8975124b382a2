// SdNotify: exact protocol strings with an injected sender, the watchdog timer, and one real
// round trip through the native addon to a unix datagram socket the test owns.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { ADDR_SIZE, native, Poller } from '../../src/dataplane/native.js';
import { SdNotify, watchdogUsec } from '../../src/control/sd-notify.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function recorder(result = true): { sent: string[]; send: (s: string) => boolean } {
  const sent: string[] = [];
  return { sent, send: (s) => (sent.push(s), result) };
}

t.test('exact protocol strings', async (t) => {
  const r = recorder();
  const n = new SdNotify({ send: r.send, monotonicNs: () => 123_456_789_012n });
  t.equal(n.ready(), true);
  n.ready('forwarding on 9 ports');
  n.reloading();
  n.stopping();
  n.watchdog();
  n.status('reloading\nconfig\tnow ');
  n.notify('ERRNO=5');
  t.same(r.sent, [
    'READY=1',
    'READY=1\nSTATUS=forwarding on 9 ports',
    'RELOADING=1\nMONOTONIC_USEC=123456789',
    'STOPPING=1',
    'WATCHDOG=1',
    'STATUS=reloading config now',
    'ERRNO=5',
  ]);
});

t.test('MONOTONIC_USEC comes from CLOCK_MONOTONIC (process.hrtime)', async (t) => {
  const r = recorder();
  const n = new SdNotify({ send: r.send });
  const before = process.hrtime.bigint() / 1000n;
  n.reloading();
  const after = process.hrtime.bigint() / 1000n;
  const m = /^RELOADING=1\nMONOTONIC_USEC=(\d+)$/.exec(r.sent[0] ?? '');
  t.ok(m, r.sent[0] ?? 'nothing sent');
  const usec = BigInt(m?.[1] ?? '0');
  t.ok(usec >= before && usec <= after, 'between two hrtime readings');
  // /proc/uptime is CLOCK_BOOTTIME; it is >= CLOCK_MONOTONIC and close when the box never slept.
  t.ok(usec > 0n);
});

t.test('send failures are never fatal', async (t) => {
  const errors: unknown[] = [];
  const n = new SdNotify({
    send: () => {
      throw Object.assign(new Error('connect ENOENT'), { code: 'ENOENT' });
    },
    onError: (e) => errors.push(e),
  });
  t.equal(n.ready(), false);
  t.equal(errors.length, 1);
  t.equal(new SdNotify({ send: () => false }).stopping(), false, 'not under systemd');
});

t.test('watchdogUsec: WATCHDOG_USEC and WATCHDOG_PID', async (t) => {
  t.equal(watchdogUsec({}, 10), null);
  t.equal(watchdogUsec({ WATCHDOG_USEC: '0' }, 10), null);
  t.equal(watchdogUsec({ WATCHDOG_USEC: 'abc' }, 10), null);
  t.equal(watchdogUsec({ WATCHDOG_USEC: '-5' }, 10), null);
  t.equal(watchdogUsec({ WATCHDOG_USEC: '30000000' }, 10), 30000000n);
  t.equal(watchdogUsec({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '10' }, 10), 30000000n);
  t.equal(watchdogUsec({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '11' }, 10), null, 'meant for another process');
});

t.test('startWatchdog pings every half interval', async (t) => {
  const r = recorder();
  const n = new SdNotify({ send: r.send, env: { WATCHDOG_USEC: '100000' }, pid: 1 });
  const h = n.startWatchdog();
  t.ok(h);
  t.equal(h?.intervalMs, 50);
  await sleep(280);
  h?.stop();
  const pings = r.sent.length;
  t.ok(r.sent.every((s) => s === 'WATCHDOG=1'));
  t.ok(pings >= 4 && pings <= 7, `${pings} pings in 280 ms (one at once, then every 50 ms)`);
  await sleep(120);
  t.equal(r.sent.length, pings, 'stopped');

  t.equal(new SdNotify({ send: r.send, env: {} }).startWatchdog(), null, 'no watchdog configured');
  t.equal(new SdNotify({ send: r.send, env: { WATCHDOG_USEC: '100000', WATCHDOG_PID: '999999' }, pid: 1 }).startWatchdog(), null);
  const huge = new SdNotify({ send: () => true, env: { WATCHDOG_USEC: String(10n ** 15n) } }).startWatchdog();
  t.equal(huge?.intervalMs, 0x7fffffff, 'clamped to what setInterval can wait');
  huge?.stop();
});

t.test('the timer does not keep the process alive', async (t) => {
  const n = new SdNotify({ send: () => true, env: { WATCHDOG_USEC: '1000000' } });
  const h = n.startWatchdog();
  // Restarting replaces the previous timer.
  const h2 = n.startWatchdog();
  h?.stop();
  t.ok(h2);
  n.stopWatchdog();
  t.pass('unref + stop');
});

t.test('through the native addon to a real NOTIFY_SOCKET', async (t) => {
  const name = `@ixfabric-sdn-${randomBytes(6).toString('hex')}`;
  const fd = native.unixDgramOpen(name);
  t.teardown(() => native.close(fd));
  const slab = Buffer.alloc(4096 * 4);
  const offsets = new Uint32Array(4);
  const lengths = new Uint32Array(4);
  const msgs: string[] = [];
  const poller = new Poller(fd, 'dgram', slab, { slotSize: 4096, headroom: 0, maxBatch: 4, offsets, lengths, addrs: Buffer.alloc(ADDR_SIZE * 4) }, (count) => {
    for (let i = 0; i < count; i++) {
      const o = offsets[i] as number;
      msgs.push(slab.subarray(o, o + (lengths[i] as number)).toString());
    }
  });
  poller.start();
  t.teardown(() => poller.close());
  const saved = process.env.NOTIFY_SOCKET;
  t.teardown(() => {
    if (saved === undefined) delete process.env.NOTIFY_SOCKET;
    else process.env.NOTIFY_SOCKET = saved;
  });
  process.env.NOTIFY_SOCKET = name;
  const n = new SdNotify();
  t.equal(n.ready('up'), true);
  t.equal(n.reloading(), true);
  t.equal(n.stopping(), true);
  for (let i = 0; i < 100 && msgs.length < 3; i++) await sleep(10);
  t.equal(msgs[0], 'READY=1\nSTATUS=up');
  t.match(msgs[1], /^RELOADING=1\nMONOTONIC_USEC=\d+$/);
  t.equal(msgs[2], 'STOPPING=1');
  delete process.env.NOTIFY_SOCKET;
  t.equal(n.ready(), false, 'not under systemd');
});
