// Tunnel drops worth a log line: the first unknown_tunnel / malformed of each socket per
// interval, with the remote and the key, from the VXLAN decap path as the sockets call it.
import t from 'tap';
import { writeVxlanHeader } from '../../src/encap/vxlan.js';
import { Counters, C_DROPS } from '../../src/dataplane/counters.js';
import { R_MALFORMED, R_UNKNOWN_TUNNEL } from '../../src/dataplane/drop-reasons.js';
import { FrameBatch } from '../../src/dataplane/frame-batch.js';
import { encodeAddr } from '../../src/dataplane/native.js';
import { TunnelDemux } from '../../src/dataplane/tunnel-demux.js';
import { TunnelDropLog, type TunnelDrop } from '../../src/dataplane/tunnel-drop-log.js';
import { ADDR_ENTRY, decapVxlanBatch } from '../../src/dataplane/vxlan-ingress.js';

const SLOT = 2048;
const HEAD = 64;

function received(datagrams: { from: string; vni: number; flags?: number; len?: number }[]) {
  const batch = new FrameBatch(8, SLOT, HEAD);
  const offsets = new Uint32Array(8);
  const lengths = new Uint32Array(8);
  const addrs = new Uint8Array(8 * ADDR_ENTRY);
  datagrams.forEach((d, k) => {
    offsets[k] = k * SLOT + HEAD;
    writeVxlanHeader(batch.slab, offsets[k]!, d.vni);
    if (d.flags !== undefined) batch.slab[offsets[k]!] = d.flags;
    lengths[k] = d.len ?? 8 + 60;
    encodeAddr(addrs, k, d.from, 4789);
  });
  return { batch, offsets, lengths, addrs, count: datagrams.length };
}

t.test('first unknown_tunnel and malformed per socket and interval, with remote and key', async (t) => {
  let now = 100;
  const seen: TunnelDrop[] = [];
  const log = new TunnelDropLog(60, () => now, (d) => seen.push(d));
  const demux = new TunnelDemux();
  demux.add('192.0.2.1', 101, 0);
  demux.add('2001:db8::1', 102, 1);
  const counters = new Counters(4);
  const run = (ds: Parameters<typeof received>[0], slot = 3) => {
    const rx = received(ds);
    return decapVxlanBatch(rx.batch, rx.offsets, rx.lengths, rx.addrs, rx.count, demux, counters, slot, log.sink);
  };
  t.equal(run([{ from: '192.0.2.1', vni: 101 }, { from: '192.0.2.1', vni: 999 }, { from: '192.0.2.9', vni: 101 }, { from: '2001:db8::1', vni: 7, flags: 0 }, { from: '2001:db8::1', vni: 102 }]), 2, 'two frames go on');
  t.same(seen, [
    { slot: 3, reason: R_UNKNOWN_TUNNEL, remote: '192.0.2.1', key: 999 },
    { slot: 3, reason: R_MALFORMED, remote: '2001:db8::1', key: -1 },
  ], 'the first of each reason, the second unknown one is not logged');
  const b = counters.base(3);
  t.equal(counters.values[b + C_DROPS + R_UNKNOWN_TUNNEL - 1], 2, 'both unknown ones counted');
  t.equal(counters.values[b + C_DROPS + R_MALFORMED - 1], 1, 'the malformed one counted');

  now += 59;
  run([{ from: '192.0.2.7', vni: 5 }]);
  t.equal(seen.length, 2, 'nothing more within the interval');
  run([{ from: '192.0.2.7', vni: 5 }], 2);
  t.equal(seen.length, 3, 'another socket has an interval of its own');
  now += 1;
  run([{ from: '192.0.2.8', vni: 6 }]);
  t.same(seen.at(-1), { slot: 3, reason: R_UNKNOWN_TUNNEL, remote: '192.0.2.8', key: 6 }, 'after the interval the next one is logged');
  log.forget(3);
  run([{ from: '192.0.2.8', vni: 6 }]);
  t.equal(seen.length, 5, 'a forgotten slot starts afresh');
});
