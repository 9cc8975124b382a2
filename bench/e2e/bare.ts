// The variants bare-afpacket and bare-tap: ixfabric's port I/O without its switch
// (bare-forwarder.ts), on the same member topologies as ixfabric-afpacket and ixfabric-tap,
// pinned to the switch CPU like the daemon.
import { join } from 'node:path';
import { inNs, pinned, startReady, type Proc } from './exec.js';
import { bareForwarderBin } from './paths.js';
import { newLab, processTopology, SWITCH_CPU, tapMembers, vethMembers, type Topology } from './topology.js';

function forwarder(nsS: string, dir: string, ports: string[]): Promise<Proc> {
  return startReady(inNs(nsS, pinned(SWITCH_CPU, [process.execPath, bareForwarderBin, ...ports])), 'bare-forwarder', join(dir, 'bare-forwarder.log'));
}

/** Veths A↔S and B↔S as for ixfabric-afpacket, S's ends joined by the bare forwarder. */
export async function buildBareAfpacket(): Promise<Topology> {
  const parts = newLab('x');
  const { lab, nsS, nsA, nsB } = parts;
  const outer = { A: lab.ifname('xa'), B: lab.ifname('xb') };
  const notes = vethMembers(lab, nsS, nsA, nsB, outer);
  const proc = await forwarder(nsS, lab.dir, [`packet:${outer.A}`, `packet:${outer.B}`]);
  return processTopology('bare-afpacket', parts, proc, { A: 'm0', B: 'm0' }, 'veth', 1500, notes);
}

/** TAPs the bare forwarder creates in S, moved into A and B as for ixfabric-tap. */
export async function buildBareTap(): Promise<Topology> {
  const parts = newLab('y');
  const { lab, nsS, nsA, nsB } = parts;
  const tap = { A: lab.ifname('ya'), B: lab.ifname('yb') };
  const proc = await forwarder(nsS, lab.dir, [`tap:${tap.A}`, `tap:${tap.B}`]);
  const notes = tapMembers(nsS, nsA, nsB, tap);
  return processTopology('bare-tap', parts, proc, tap, 'tap', 1500, notes);
}
