// The sd_notify protocol as systemd sees it, with a NOTIFY_SOCKET this test owns:
// READY=1 once forwarding, WATCHDOG=1 at half the watchdog interval, RELOADING=1 with
// MONOTONIC_USEC around a reload then READY=1 again, STOPPING=1 on SIGTERM.
import t from 'tap';
import { join } from 'node:path';
import { Lab, sleep, waitFor } from '../helpers/netns.js';
import { Daemon } from '../helpers/daemon.js';
import { native, Poller } from '../../src/dataplane/native.js';

const lab = new Lab(t, 'n');
const pop = lab.ns('pop');
const notifyPath = join(lab.dir, 'notify.sock');
const fd = native.unixDgramOpen(notifyPath);
const slab = Buffer.alloc(4096 * 8);
const offsets = new Uint32Array(8);
const lengths = new Uint32Array(8);
const msgs: { at: bigint; text: string }[] = [];
const poller = new Poller(fd, 'dgram', slab, { slotSize: 4096, headroom: 0, maxBatch: 8, offsets, lengths }, (n) => {
  for (let i = 0; i < n; i++) msgs.push({ at: process.hrtime.bigint(), text: slab.subarray(offsets[i]!, offsets[i]! + lengths[i]!).toString() });
});
poller.start();
t.teardown(() => {
  poller.close();
  native.close(fd);
});

lab.veth(lab.ifname('m'), pop, 'm0', lab.ns('m'));
const cfg = lab.file(
  'ixfabric.yaml',
  `pop: { name: lab, underlay: { ipv4: 10.70.0.1 } }
fabric: { peering_lan: { ipv4: 192.0.2.0/24 } }
control: { socket: ${lab.dir}/pop.sock, metrics: false, state_dir: ${lab.dir}/state }
members:
  - { asn: 65001, name: M, ipv4: [192.0.2.71], connections: [{ type: ethernet, interface: ${lab.ifname('m')} }] }
`,
);
const daemon = new Daemon(lab, pop, cfg, 'pop', [], { NOTIFY_SOCKET: notifyPath, WATCHDOG_USEC: '400000' });
const texts = () => msgs.map((m) => m.text);

t.test('READY=1 once the daemon forwards', async (t) => {
  await daemon.start();
  await waitFor('READY=1', () => texts().some((m) => m.split('\n').includes('READY=1')), 5000);
  const ready = texts().find((m) => m.includes('READY=1'))!;
  t.match(ready, /STATUS=forwarding: 1 ports/, 'with a status line');
  t.equal(daemon.ctl<any>('status').ports, 1, 'and the control socket answers');
});

t.test('WATCHDOG=1 at half the watchdog interval', async (t) => {
  await sleep(300); // pings queued while this test was busy elsewhere arrive now
  const start = msgs.length;
  await sleep(1100);
  const pings = msgs.slice(start).filter((m) => m.text === 'WATCHDOG=1');
  t.ok(pings.length >= 4 && pings.length <= 7, `${pings.length} watchdog pings in 1.1 s with WATCHDOG_USEC=400000`);
});

t.test('RELOADING=1 with MONOTONIC_USEC, then READY=1', async (t) => {
  const start = msgs.length;
  daemon.proc!.kill('SIGHUP');
  await waitFor('READY after reload', () => msgs.slice(start).some((m) => m.text.startsWith('READY=1')), 5000);
  const reloading = msgs.slice(start).find((m) => m.text.startsWith('RELOADING=1'));
  t.ok(reloading, 'RELOADING=1 sent');
  const usec = BigInt(/MONOTONIC_USEC=(\d+)/.exec(reloading!.text)![1]!);
  const ours = reloading!.at / 1000n;
  t.ok(usec <= ours && ours - usec < 2_000_000n, `MONOTONIC_USEC is CLOCK_MONOTONIC (${ours - usec} µs before we saw it)`);
  const order = msgs.slice(start).map((m) => m.text.split('\n')[0]).filter((x) => x !== 'WATCHDOG=1');
  t.same(order.slice(0, 2), ['RELOADING=1', 'READY=1']);
});

t.test('STOPPING=1 on SIGTERM, and a clean exit', async (t) => {
  const start = msgs.length;
  t.equal(await daemon.stop(), 0);
  await sleep(100);
  t.ok(msgs.slice(start).some((m) => m.text === 'STOPPING=1'), 'STOPPING=1 sent');
});
