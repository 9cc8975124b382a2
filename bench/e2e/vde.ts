// vde_switch (Debian vde2) with TAP members: persistent TAPs are made in S, vde_switch (pinned to
// the switch CPU) attaches to them, then they are moved into A and B. vde_switch runs in the
// foreground and quits when its stdin (its management console) closes, so stdin stays a pipe.
import { join } from 'node:path';
import { sleep } from '../lib/netns.js';
import { inNs, mustSync, pinned, start } from './exec.js';
import { newLab, SWITCH_CPU, tapMembers, type Topology } from './topology.js';

export async function buildVde(): Promise<Topology> {
  const { lab, nsS, nsA, nsB } = newLab('d');
  const tap = { A: lab.ifname('da'), B: lab.ifname('db') };
  for (const t of Object.values(tap)) mustSync(['ip', '-n', nsS, 'tuntap', 'add', 'mode', 'tap', 'name', t]);
  const proc = start(inNs(nsS, pinned(SWITCH_CPU, ['vde_switch', '--sock', join(lab.dir, 'vde.ctl'), '--tap', tap.A, '--tap', tap.B])), {
    timeoutMs: 6 * 3600_000,
    stdin: 'pipe',
    logFile: join(lab.dir, 'vde.log'),
  });
  await sleep(500);
  if (!proc.running) throw new Error(`vde_switch exited: ${(await proc.done).stderr.trim()}`);
  const notes = tapMembers(nsS, nsA, nsB, tap);
  return {
    variant: 'vde-tap',
    lab,
    nsA,
    nsB,
    nsS,
    devA: tap.A,
    devB: tap.B,
    devKind: 'tap',
    mtu: 1500,
    switchPid: proc.pid ?? null,
    notes,
    close: async () => {
      // closing the management console makes vde_switch clean up and exit
      proc.child.stdin?.end();
      await Promise.race([proc.done, sleep(2000)]);
      await proc.stop('SIGTERM', 5000);
    },
  };
}
