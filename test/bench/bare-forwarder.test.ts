// bench:e2e's bare-forwarder (ixfabric's port I/O without its switch) as a harness check: over
// AF_PACKET and over TAP ports it forwards everything between the two members, in both
// directions, and reports what it forwarded when stopped.
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { Lab, sleep, waitFor } from '../helpers/netns.js';
import { repoRoot } from '../helpers/paths.js';

const script = join(repoRoot, 'dist', 'bench', 'e2e', 'bare-forwarder.js');

async function check(t: Test, kind: 'packet' | 'tap'): Promise<void> {
  const lab = new Lab(t, 'bf');
  const nsS = lab.ns('s');
  const members = [lab.ns('a'), lab.ns('b')] as const;
  // no IPv6 autoconfiguration (MLD reports when a TAP comes up in S, before it moves): nothing is
  // sent before both members are up (a frame for a TAP that is still down is refused, rightly)
  for (const ns of [nsS, ...members]) lab.withoutIpv6(ns);
  const ends = [lab.ifname('e0'), lab.ifname('e1')];
  if (kind === 'packet') {
    members.forEach((ns, i) => {
      lab.veth('m0', ns, ends[i]!, nsS);
      lab.ip(nsS, `link set ${ends[i]} up`);
    });
  }
  const proc = lab.spawn(nsS, [process.execPath, script, `${kind}:${ends[0]}`, `${kind}:${ends[1]}`]);
  let out = '';
  proc.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  await waitFor('bare-forwarder ready', () => out.includes('ready'), 15_000);
  members.forEach((ns, i) => {
    const dev = kind === 'packet' ? 'm0' : ends[i]!;
    if (kind === 'tap') lab.ip(nsS, `link set ${dev} netns ${ns}`);
    lab.ip(ns, `addr add 10.77.0.${i + 1}/24 dev ${dev}`);
    lab.ip(ns, `link set ${dev} up`);
  });
  const ping = lab.run(members[0], ['ping', '-c', '3', '-i', '0.2', '-W', '2', '10.77.0.2']);
  if (!t.equal(ping.status, 0, `A pings B through the bare forwarder (${kind})`)) t.comment(ping.stdout + ping.stderr);
  proc.kill('SIGTERM');
  await waitFor('bare-forwarder report', () => out.includes('forwarded'), 5000);
  const report = JSON.parse(out.split('\n').find((l) => l.startsWith('{')) ?? '{}') as { forwarded?: number; refused?: number };
  // three requests and three replies at least (plus ARP)
  t.ok((report.forwarded ?? 0) >= 6, `forwarded ${report.forwarded} frames`);
  t.equal(report.refused, 0, 'nothing refused');
  await sleep(100);
}

t.test('AF_PACKET ports', (t) => check(t, 'packet'));
t.test('TAP ports', (t) => check(t, 'tap'));
