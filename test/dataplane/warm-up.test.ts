import t from 'tap';
import { A, B, CountingSink as Sink, makeCore, ping } from '../helpers/core-fixture.js';
import { Forwarder } from '../../src/dataplane/forwarder.js';
import { FrameBatch } from '../../src/dataplane/frame-batch.js';
import { reasonName } from '../../src/dataplane/drop-reasons.js';
import { warmUp, warmUpFrames } from '../../src/dataplane/warm-up.js';
import { macToString } from '../../src/encap/mac.js';

function setup() {
  const core = makeCore({ proxy: true, statics: true });
  const fwd = new Forwarder(core, 64);
  const sinks = new Map([A.port, B.port].map((p) => [p, new Sink()]));
  for (const [p, s] of sinks) fwd.attach(p, s);
  return { core, fwd, sinks };
}

function fdbState(core: ReturnType<typeof makeCore>): string[] {
  return [...core.fdb.entries()].map((e) => `${macToString(e.mac)}@${e.port}/${e.kind}`).sort();
}

t.test('the synthetic mix meets every hygiene rule and fits one batch', async (t) => {
  const { core, fwd } = setup();
  const first = core.portSlots;
  const seen = new Set<string>();
  core.onDropSample = (port, reason) => {
    if (port >= first) seen.add(reasonName(reason)!);
  };
  warmUp(fwd, first);
  t.ok(warmUpFrames().length <= 64, 'one batch holds the whole mix');
  for (const r of ['malformed', 'ethertype', 'vlan_tagged', 'link_local', 'ra_guard', 'dhcp_guard', 'src_mac', 'arp_spoof', 'nd_spoof', 'multicast', 'bum_rate']) {
    t.ok(seen.has(r), `drop reason ${r} met`);
  }
});

t.test('warm-up leaves counters, FDB, ports and sinks as it found them', async (t) => {
  const { core, fwd, sinks } = setup();
  const batch = new FrameBatch(64);
  batch.push(ping(A, B), A.port);
  batch.push(ping(B, A), B.port);
  fwd.forward(batch, 1);
  const counters = Array.from(core.counters.values);
  const fdb = fdbState(core);
  const first = core.portSlots;
  const r = warmUp(fwd, first, 50);
  t.equal(r.frames, 50 * 64);
  t.ok(r.ms > 0);
  t.same(Array.from(core.counters.values), counters, 'every counter is back');
  t.same(fdbState(core), fdb, 'the FDB holds what it held');
  for (const id of [first, first + 1, first + 2]) t.notOk(core.hasPort(id), `temporary port ${id} removed`);
  t.equal(core.neighbors.size, 0, 'neighbour table cleared (the dataplane re-installs its bindings)');
  t.equal(sinks.get(A.port)!.frames, 1, 'nothing of the mix reached a real port');
  t.equal(sinks.get(B.port)!.frames, 1);

  // real traffic still flows, and ports can take the ids the warm-up used
  batch.count = 0;
  batch.push(ping(A, B), A.port);
  fwd.forward(batch, 2);
  t.equal(sinks.get(B.port)!.frames, 2);
  t.equal(core.counters.port(A.port).rx_packets, 2);
  t.equal(core.counters.port(first).rx_packets, 0);
});

t.test('warm-up refuses ids in use and changes nothing', async (t) => {
  const { core, fwd } = setup();
  const counters = Array.from(core.counters.values);
  t.throws(() => warmUp(fwd, A.port), /port 1 is in use/);
  t.ok(core.hasPort(A.port));
  t.same(Array.from(core.counters.values), counters);
});
