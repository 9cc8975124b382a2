// pop.dataplane_priority: the dataplane thread (and only it) runs SCHED_FIFO at the configured
// priority, a reload changes or clears it, members keep talking, and without CAP_SYS_NICE the
// daemon refuses to start with an error that names the key and the capability.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import t from 'tap';
import { Daemon } from '../helpers/daemon.js';
import { ctlBin, daemonBin, exited, Lab, waitFor } from '../helpers/netns.js';

const lab = new Lab(t, 'dp');
const pop = lab.ns('pop');
const members = { A: lab.ns('a'), B: lab.ns('b') };
const v4 = { A: '192.0.2.71', B: '192.0.2.72' };
lab.ip(pop, 'addr add 10.70.0.1/32 dev lo');
for (const [k, ns] of Object.entries(members)) {
  lab.veth(lab.ifname(k.toLowerCase()), pop, 'x0', ns);
  lab.ip(ns, 'link set x0 up');
  lab.ip(ns, `addr add ${v4[k as 'A' | 'B']}/24 dev x0`);
}

function registry(priority: number | null): string {
  return `pop: { name: lab, underlay: { ipv4: 10.70.0.1 }${priority === null ? '' : `, dataplane_priority: ${priority}`} }
fabric: { peering_lan: { ipv4: 192.0.2.0/24 } }
control: { socket: ${lab.dir}/pop.sock, metrics: false, state_dir: ${lab.dir}/state }
members:
  - { asn: 64911, name: A, ipv4: [${v4.A}], connections: [{ type: ethernet, interface: ${lab.ifname('a')} }] }
  - { asn: 64912, name: B, ipv4: [${v4.B}], connections: [{ type: ethernet, interface: ${lab.ifname('b')} }] }
`;
}

/** [policy, rt_priority] of every thread of pid that is not SCHED_OTHER (policy 0). */
function realtimeThreads(pid: number): { tid: number; policy: number; priority: number }[] {
  return readdirSync(`/proc/${pid}/task`)
    .map((tid) => {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
      return { tid: Number(tid), priority: Number(f[37]), policy: Number(f[38]) }; // fields 40, 41
    })
    .filter((x) => x.policy !== 0);
}

t.test('the dataplane thread alone runs SCHED_FIFO; reload changes and clears it', async (t) => {
  const cfg = lab.file('ixfabric.yaml', registry(10));
  const daemon = new Daemon(lab, pop, cfg);
  await daemon.start();
  t.teardown(() => daemon.stop());
  const pid = daemon.proc!.pid!;
  const rt = realtimeThreads(pid);
  t.same(rt.map((x) => [x.policy, x.priority]), [[1, 10]], 'one thread, SCHED_FIFO (1) at 10');
  t.not(rt[0]?.tid, pid, 'not the main thread');
  t.equal(lab.run(members.A, ['ping', '-c', '3', '-i', '0.2', '-W', '2', v4.B]).status, 0, 'A reaches B');

  lab.file('ixfabric.yaml', registry(20));
  t.same(daemon.ctl('reload').changed, [], 'reload: no port changed');
  t.same(realtimeThreads(pid).map((x) => [x.tid, x.policy, x.priority]), [[rt[0]?.tid, 1, 20]], 'the same thread, now at 20');

  lab.file('ixfabric.yaml', registry(null));
  daemon.ctl('reload');
  t.same(realtimeThreads(pid), [], 'default (0): ordinary scheduling again');
  t.equal(lab.run(members.A, ['ping', '-c', '3', '-i', '0.2', '-W', '2', v4.B]).status, 0, 'A still reaches B');
});

t.test('without CAP_SYS_NICE: a reload to a priority is refused, a start with one fails, both say why', async (t) => {
  const noNice = ['setpriv', '--bounding-set=-sys_nice', '--inh-caps=-sys_nice'];
  const cfg = lab.file('ixfabric-nocap.yaml', registry(0).replace('pop.sock', 'nocap.sock'));
  const log = `${lab.dir}/nocap.log`;
  const ctl = (...args: string[]) => spawnSync(process.execPath, [ctlBin, '--socket', `${lab.dir}/nocap.sock`, '--json', ...args], { encoding: 'utf8', timeout: 30_000 });
  const running = lab.spawn(pop, [...noNice, process.execPath, daemonBin, '--config', cfg], log);
  t.teardown(() => void running.kill('SIGKILL'));
  await waitFor('the daemon without CAP_SYS_NICE', () => ctl('status').status === 0, 20_000);
  lab.file('ixfabric-nocap.yaml', registry(10).replace('pop.sock', 'nocap.sock'));
  const r = ctl('reload');
  t.not(r.status, 0, 'reload refused');
  t.match(r.stdout + r.stderr, /pop\.dataplane_priority 10.*CAP_SYS_NICE/, 'the answer names the key and the capability');
  t.ok(await waitFor('the log line', () => readFileSync(log, 'utf8').includes('reload failed'), 5000).catch(() => false), 'and the log says so');
  t.same(realtimeThreads(running.pid!), [], 'nothing runs SCHED_FIFO');
  t.equal(lab.run(members.A, ['ping', '-c', '3', '-i', '0.2', '-W', '2', v4.B]).status, 0, 'A still reaches B through it');
  running.kill('SIGTERM');
  await exited(running);

  const log2 = `${lab.dir}/nocap-start.log`;
  const proc = lab.spawn(pop, [...noNice, process.execPath, daemonBin, '--config', cfg], log2);
  await exited(proc);
  t.equal(proc.exitCode, 1, 'a start with the priority exits 1');
  t.match(readFileSync(log2, 'utf8'), /pop\.dataplane_priority 10: sched_setscheduler\(SCHED_FIFO\) needs CAP_SYS_NICE.*could not start/, 'saying why, as one fatal log line');
});

t.test('--check rejects a priority outside 0..99', async (t) => {
  const cfg = lab.file('ixfabric-bad.yaml', registry(100));
  const r = spawnSync(process.execPath, [daemonBin, '--config', cfg, '--check'], { encoding: 'utf8' });
  t.not(r.status, 0, 'invalid');
  t.match(r.stdout + r.stderr, /pop\.dataplane_priority/, 'the error points at the key');
});
