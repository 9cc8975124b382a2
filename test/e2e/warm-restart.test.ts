// Warm restart: the FDB snapshot written on stop is loaded on start, so a restarted POP does
// not flood what it already knew. Three members (learned MACs, nothing static) ping each
// other continuously through a restart, once with the snapshot and once without it.
import t from 'tap';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Lab, exited, sleep } from '../helpers/netns.js';
import { Daemon } from '../helpers/daemon.js';

const lab = new Lab(t, 'w');
const pop = lab.ns('pop');
const members = [1, 2, 3].map((i) => ({ i, ns: lab.ns(`m${i}`), v4: `192.0.2.8${i}` }));
for (const m of members) {
  lab.veth(lab.ifname(`m${m.i}`), pop, 'm0', m.ns);
  lab.ip(m.ns, 'link set m0 up');
  lab.ip(m.ns, `addr add ${m.v4}/24 dev m0`);
}
const stateDir = join(lab.dir, 'state');
const cfg = lab.file(
  'ixfabric.yaml',
  `pop: { name: lab, underlay: { ipv4: 10.80.0.1 } }
fabric: { peering_lan: { ipv4: 192.0.2.0/24 } }
control: { socket: ${lab.dir}/pop.sock, metrics: false, state_dir: ${stateDir} }
members:
${members.map((m) => `  - { asn: ${65100 + m.i}, name: M${m.i}, ipv4: [${m.v4}], connections: [{ type: ethernet, interface: ${lab.ifname(`m${m.i}`)} }] }`).join('\n')}
`,
);
const daemon = new Daemon(lab, pop, cfg);

function flooded(): number {
  return daemon.ctl<{ type: string; flood_packets: number }[]>('ports').reduce((sum, p) => sum + (p.flood_packets ?? 0), 0);
}

/** Restarts the daemon under traffic; returns the frames flooded in the 3 s after the restart. */
async function restart(keepSnapshot: boolean): Promise<{ floods: number; restored: string }> {
  await daemon.start();
  const pings = [];
  for (const a of members) for (const b of members) if (a !== b) pings.push(lab.spawn(a.ns, ['ping', '-i', '0.02', '-w', '9', '-W', '1', b.v4]));
  await sleep(2500);
  await daemon.stop();
  t.ok(existsSync(join(stateDir, 'fdb.bson')), 'snapshot written on stop');
  if (!keepSnapshot) rmSync(join(stateDir, 'fdb.bson'));
  await daemon.start();
  await sleep(3000);
  const floods = flooded();
  const restored = daemon.logText().split('\n').filter((l) => l.includes('FDB snapshot loaded')).pop() ?? 'no snapshot loaded';
  await daemon.stop();
  await Promise.all(pings.map(exited));
  return { floods, restored };
}

t.test('with the snapshot a restarted POP floods (almost) nothing', async (t) => {
  const withSnap = await restart(true);
  const without = await restart(false);
  t.match(withSnap.restored, /"restored":[1-9]/, 'the snapshot was loaded');
  t.comment(`frames flooded in the 3 s after a restart under traffic (6 ping flows at 50/s): with the snapshot ${withSnap.floods}, without ${without.floods}`);
  t.ok(withSnap.floods < without.floods, `with the snapshot ${withSnap.floods} < without ${without.floods}`);
});
