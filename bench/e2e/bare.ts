// The variants bare-afpacket and bare-tap: ixfabric's port I/O without its switch
// (bare-forwarder.ts), on the same member topologies as ixfabric-afpacket and ixfabric-tap,
// pinned to the switch CPU like the daemon.
import { join } from 'node:path';
import { sleep } from '../lib/netns.js';
import { inNs, pinned, start, type Proc } from './exec.js';
import { bareForwarderBin } from './paths.js';
import { newLab, SWITCH_CPU, tapMembers, vethMembers, type Topology } from './topology.js';

async function forwarder(nsS: string, dir: string, ports: string[]): Promise<Proc> {
  const proc = start(inNs(nsS, pinned(SWITCH_CPU, [process.execPath, bareForwarderBin, ...ports])), { timeoutMs: 6 * 3600_000, logFile: join(dir, 'bare-forwarder.log') });
  const end = Date.now() + 15_000;
  while (!proc.stdout.includes('ready')) {
    if (!proc.running) throw new Error(`bare-forwarder exited: ${(await proc.done).stderr.trim().slice(-400)}`);
    if (Date.now() > end) throw new Error('bare-forwarder did not get ready within 15 s');
    await sleep(50);
  }
  return proc;
}

function topology(variant: string, parts: ReturnType<typeof newLab>, proc: Proc, dev: { A: string; B: string }, devKind: 'veth' | 'tap', notes: string[]): Topology {
  const { lab, nsS, nsA, nsB } = parts;
  return {
    variant,
    lab,
    nsA,
    nsB,
    nsS,
    devA: dev.A,
    devB: dev.B,
    devKind,
    mtu: 1500,
    switchPid: proc.pid ?? null,
    notes,
    close: async () => {
      await proc.stop('SIGTERM', 5000);
    },
  };
}

/** Veths A↔S and B↔S as for ixfabric-afpacket, S's ends joined by the bare forwarder. */
export async function buildBareAfpacket(): Promise<Topology> {
  const parts = newLab('x');
  const { lab, nsS, nsA, nsB } = parts;
  const outer = { A: lab.ifname('xa'), B: lab.ifname('xb') };
  const notes = vethMembers(lab, nsS, nsA, nsB, outer);
  const proc = await forwarder(nsS, lab.dir, [`packet:${outer.A}`, `packet:${outer.B}`]);
  return topology('bare-afpacket', parts, proc, { A: 'm0', B: 'm0' }, 'veth', notes);
}

/** TAPs the bare forwarder creates in S, moved into A and B as for ixfabric-tap. */
export async function buildBareTap(): Promise<Topology> {
  const parts = newLab('y');
  const { lab, nsS, nsA, nsB } = parts;
  const tap = { A: lab.ifname('ya'), B: lab.ifname('yb') };
  const proc = await forwarder(nsS, lab.dir, [`tap:${tap.A}`, `tap:${tap.B}`]);
  const notes = tapMembers(nsS, nsA, nsB, tap);
  return topology('bare-tap', parts, proc, tap, 'tap', notes);
}
