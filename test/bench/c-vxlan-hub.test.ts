// bench:e2e's C VXLAN hub (variant c-vxlan-hub, bench/e2e/c-vxlan-hub.c) as a harness check, on
// the topology the benchmark builds for it (ixfabric-vxlan's): A reaches B through it, a counted
// stream from A arrives whole at B, datagrams that are not a member's (unknown address, a
// member's address with another VNI, no I flag) are dropped, and when stopped it reports counters
// that add up.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { buildCVxlanHub } from '../../bench/e2e/c-hub.js';
import { linkStats } from '../../bench/e2e/counters.js';
import { killAll, mustSync, runSync } from '../../bench/e2e/exec.js';
import { testFrame } from '../../bench/e2e/pps.js';
import { A, B, cleanupLabs, S_VTEP, type Topology } from '../../bench/e2e/topology.js';
import { sleep } from '../helpers/netns.js';
import { repoRoot } from '../helpers/paths.js';

const blast = join(repoRoot, 'dist', 'bench', 'e2e', 'blast.js');
/** Frames per second of the counted stream, for one second: low enough for none to be lost. */
const RATE = 20_000;

/** A VXLAN datagram (flags byte, VNI) carrying the benchmark's A-to-B test frame, as hex. */
function vxlan(flags: number, vni: number): string {
  const hdr = Buffer.from([flags, 0, 0, 0, vni >> 16, (vni >> 8) & 0xff, vni & 0xff, 0]);
  return Buffer.concat([hdr, testFrame()]).toString('hex');
}

/** Sends each datagram `count` times from `src` (any port) to S's VTEP, port 4789, from namespace `ns`. */
function sendUdp(ns: string, src: string, count: number, datagrams: string[]): void {
  const script = `
    const s = require('node:dgram').createSocket('udp4');
    const [src, dst, count, ...hex] = process.argv.slice(1);
    s.bind(0, src, async () => {
      for (const h of hex)
        for (let i = 0; i < Number(count); i++)
          await new Promise((ok, fail) => s.send(Buffer.from(h, 'hex'), 4789, dst, (e) => (e ? fail(e) : ok())));
      s.close();
    });`;
  mustSync(['ip', 'netns', 'exec', ns, process.execPath, '-e', script, src, S_VTEP, String(count), ...datagrams]);
}

t.test('the C VXLAN hub between the VXLAN members', async (t) => {
  let topo: Topology | null = null;
  t.teardown(async () => {
    try {
      await topo?.close();
    } finally {
      killAll();
      cleanupLabs();
    }
  });
  topo = await buildCVxlanHub();
  const { nsA, nsB, devA, devB } = topo;
  t.ok(topo.switchPid, `hub running (pid ${topo.switchPid})`);

  const ping = runSync(['ip', 'netns', 'exec', nsA, 'ping', '-n', '-c', '3', '-i', '0.2', '-W', '2', B.ip]);
  if (!t.equal(ping.code, 0, 'A pings B through the hub')) t.comment(ping.stdout + ping.stderr);

  const rxB = () => linkStats(nsB, devB).rx_packets;
  const before = rxB();
  const r = runSync(['ip', 'netns', 'exec', nsA, process.execPath, blast, devA, '1', testFrame().toString('hex'), String(RATE)], { timeoutMs: 30_000 });
  t.equal(r.code, 0, `generator exit 0 ${r.stderr}`);
  const stream = JSON.parse(r.stdout.trim()) as { offered: number; accepted: number };
  await sleep(300);
  t.ok(stream.accepted >= RATE / 2, `A's device took the stream (${stream.accepted} frames)`);
  t.equal(rxB() - before, stream.accepted, 'B received every frame of the stream');

  // 3 x 5 datagrams that are not a member's; each would reach B if the hub forwarded it
  const UNKNOWN = '10.201.1.3';
  mustSync(['ip', '-n', nsA, 'addr', 'add', `${UNKNOWN}/24`, 'dev', 'u0']);
  const beforeBad = rxB();
  sendUdp(nsA, UNKNOWN, 5, [vxlan(0x08, A.vni)]);
  sendUdp(nsA, A.underlay, 5, [vxlan(0x08, B.vni), vxlan(0x00, A.vni)]);
  await sleep(300);
  t.equal(rxB() - beforeBad, 0, 'B received none of the 15 datagrams that are not a member\'s');

  await topo.close();
  const log = readFileSync(join(topo.lab.dir, 'c-vxlan-hub.log'), 'utf8');
  const line = log.split('\n').find((l) => l.startsWith('{'));
  if (!t.ok(line, 'hub printed its counters on SIGTERM')) t.comment(log);
  const c = JSON.parse(line ?? '{}') as { received: number; sent: number; dropped: number };
  t.equal(c.dropped, 15, 'the hub dropped exactly those 15');
  t.equal(c.sent, c.received - c.dropped, 'one copy of every other datagram (two members)');
  // pings both ways, the stream, the 15; B's ICMP port-unreachables to A besides
  t.ok(c.received >= 6 + stream.accepted + 15, `received ${c.received} >= ${6 + stream.accepted + 15}`);
});
