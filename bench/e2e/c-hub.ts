// The variant c-vxlan-hub: the reference "C: recvmmsg/sendmmsg VXLAN hub" of issue 7's table
// (c-vxlan-hub.c), on exactly the members and S of ixfabric-vxlan, pinned to the switch CPU like
// the daemon. It is compiled into the lab's directory at every build, so it always matches its
// source and needs nothing installed beyond a C compiler.
import { join } from 'node:path';
import { inNs, mustSync, pinned, startReady } from './exec.js';
import { cVxlanHubSource } from './paths.js';
import { A, B, newLab, processTopology, S_VTEP, SWITCH_CPU, VXLAN_MTU, vxlanMembers, type Topology } from './topology.js';

export async function buildCVxlanHub(): Promise<Topology> {
  const parts = newLab('c');
  const { lab, nsS, nsA, nsB } = parts;
  const bin = join(lab.dir, 'c-vxlan-hub');
  mustSync(['cc', '-O2', '-Wall', '-Wextra', '-o', bin, cVxlanHubSource], { timeoutMs: 60_000 });
  const notes = vxlanMembers(lab, nsS, nsA, nsB);
  const members = [A, B].map((m) => `${m.vni}@${m.underlay}`);
  const proc = await startReady(inNs(nsS, pinned(SWITCH_CPU, [bin, S_VTEP, ...members])), 'c-vxlan-hub', join(lab.dir, 'c-vxlan-hub.log'));
  return processTopology('c-vxlan-hub', parts, proc, { A: 'vx0', B: 'vx0' }, 'vxlan', VXLAN_MTU, notes);
}
