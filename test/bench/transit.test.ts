// bench:e2e's transit figure as a harness check, on the quickest variant (the Linux bridge): every
// ping is seen leaving and arriving on both members' devices, and the figures are consistent
// (each ping's transit is the sum of its legs, so its median is at least either leg's median).
import t from 'tap';
import { buildBridge } from '../../bench/e2e/kernel.js';
import { startPing } from '../../bench/e2e/latency.js';
import { cleanupLabs } from '../../bench/e2e/topology.js';
import { measureTransit } from '../../bench/e2e/transit.js';

t.test('transit through a Linux bridge: every ping matched, consistent figures', async (t) => {
  t.teardown(cleanupLabs);
  const topo = await buildBridge();
  const rtt = await startPing(topo, 30);
  t.equal(rtt.replies, 30, 'ping works through the bridge');
  const tr = await measureTransit(topo, 30);
  t.equal(tr.matched, 30, 'every request and reply captured on both devices');
  for (const k of ['p50Us', 'p99Us', 'requestP50Us', 'requestP99Us', 'replyP50Us', 'replyP99Us'] as const) t.ok(tr[k] !== null && tr[k] > 0, `${k} = ${tr[k]} µs`);
  t.ok(tr.p50Us! <= tr.p99Us!, 'p50 <= p99');
  t.ok(tr.p50Us! >= Math.max(tr.requestP50Us!, tr.replyP50Us!), 'median of the sums >= either leg\'s median');
  await topo.close();
});
