// Hot reload: 20 reloads (control socket and SIGHUP) that add, remove and change other ports
// while A and B, two VXLAN members whose config never changes, exchange a continuous ping and
// an iperf3 stream. Not a single frame between them may be lost.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { Lab, exited, sleep, waitFor, ctlBin } from '../helpers/netns.js';
import { Daemon } from '../helpers/daemon.js';

const lab = new Lab(t, 'r');
const pop = lab.ns('pop');
const ns = { A: lab.ns('a'), B: lab.ns('b'), C: lab.ns('c'), E: lab.ns('e') };
const v4 = { A: '192.0.2.61', B: '192.0.2.62', C: '192.0.2.63', E: '192.0.2.65' };

for (const [k, n, i] of [['A', ns.A, 1], ['B', ns.B, 2]] as const) {
  lab.withoutIpv6(n); // A and B send only what the test sends
  lab.veth(lab.ifname(`u${k}`), pop, 'u0', n);
  lab.ip(pop, `addr add 10.60.${i}.1/24 dev ${lab.ifname(`u${k}`)}`);
  lab.ip(pop, `link set ${lab.ifname(`u${k}`)} up`);
  lab.ip(n, `addr add 10.60.${i}.2/24 dev u0`);
  lab.ip(n, 'link set u0 up');
  lab.ip(n, `route add 10.60.0.0/16 via 10.60.${i}.1`);
  lab.ip(n, `link add vx0 type vxlan id ${600 + i} remote 10.60.1.1 local 10.60.${i}.2 dstport 4789`);
  lab.ip(n, 'link set vx0 mtu 1450 up');
  lab.remoteLike(n, 'vx0');
  lab.ip(n, `addr add ${v4[k]}/24 dev vx0`);
}
for (const k of ['C', 'E'] as const) {
  lab.veth(lab.ifname(k.toLowerCase()), pop, 'x0', ns[k]);
  lab.ip(ns[k], 'link set x0 up');
  lab.ip(ns[k], `addr add ${v4[k]}/24 dev x0`);
}

/** Variant k of the registry: A and B never change; C's policy and E's presence do. */
function registry(k: number, broken = false): string {
  return `pop: { name: lab, underlay: { ipv4: 10.60.1.1 } }
fabric: { peering_lan: { ipv4: 192.0.2.0/24 } }
control: { socket: ${lab.dir}/pop.sock, metrics: false, state_dir: ${lab.dir}/state }
members:
  - { asn: 64901, name: A, ipv4: [${v4.A}], connections: [{ type: vxlan, remote: 10.60.1.2, vni: 601 }] }
  - { asn: 64902, name: B, ipv4: [${v4.B}], connections: [{ type: vxlan, remote: 10.60.2.2, vni: 602 }] }
  - { asn: 64903, name: C, ipv4: [${v4.C}], policy: { bum_pps: ${100 + k} }, connections: [{ type: ethernet, interface: ${lab.ifname('c')} }] }
${k % 2 === 0 ? `  - { asn: 64905, name: E, ipv4: [${v4.E}], connections: [{ type: ethernet, interface: ${lab.ifname('e')} }] }\n` : ''}${broken ? '  - { asn: 0, name: broken, connections: [{ type: vxlan, remote: 10.60.9.9, vni: 99999999 }] }\n' : ''}`;
}
const cfg = lab.file('ixfabric.yaml', registry(0));
const daemon = new Daemon(lab, pop, cfg);

t.before(() => daemon.start());
t.after(() => daemon.stop());

t.test('20 reloads while A and B keep talking', async (t) => {
  t.ok(lab.run(ns.A, ['ping', '-c', '3', '-W', '2', v4.B]).status === 0, 'A reaches B');
  // the same iperf3 without reloads, for comparison
  lab.spawn(ns.B, ['iperf3', '-s', '-1', '-B', v4.B]);
  await sleep(500);
  const base = JSON.parse(lab.sh(ns.A, ['iperf3', '-c', v4.B, '-t', '5', '-J'], { timeoutMs: 30_000 })).end;
  t.comment(`iperf3 A → B without reloads: ${(base.sum_received.bits_per_second / 1e9).toFixed(2)} Gbit/s, ${base.sum_sent.retransmits} retransmits in 5 s`);
  lab.run(ns.E, ['ping', '-c', '2', '-W', '2', v4.A]);
  const eMac = lab.sh(ns.E, ['cat', '/sys/class/net/x0/address']).trim();
  lab.spawn(ns.B, ['iperf3', '-s', '-1', '-B', v4.B]);
  await sleep(500);
  const pinger = lab.spawn(ns.A, ['ping', '-i', '0.01', '-c', '3000', '-W', '1', v4.B]);
  const iperf = lab.spawn(ns.A, ['iperf3', '-c', v4.B, '-t', '25', '-J']);
  let pingOut = '';
  let iperfOut = '';
  pinger.stdout!.on('data', (c) => (pingOut += c));
  iperf.stdout!.on('data', (c) => (iperfOut += c));
  const pingDone = exited(pinger);
  const iperfDone = exited(iperf);
  await sleep(1000);

  for (let k = 1; k <= 20; k++) {
    lab.file('ixfabric.yaml', registry(k));
    let diff: { added: string[]; removed: string[]; changed: string[]; unchanged: string[] };
    if (k % 2 === 0) {
      diff = daemon.ctl('reload');
    } else {
      daemon.proc!.kill('SIGHUP');
      await waitFor('the SIGHUP reload', () => daemon.logText().split('config reloaded').length - 1 >= k, 5000);
      diff = JSON.parse(daemon.logText().trim().split('\n').filter((l) => l.includes('config reloaded')).pop()!);
    }
    t.ok(diff.unchanged.includes('as64901-vx') && diff.unchanged.includes('as64902-vx'), `reload ${k}: A and B unchanged`);
    t.ok(diff.changed.includes('as64903-eth'), `reload ${k}: C changed`);
    if (k % 2 === 1) {
      t.same(diff.removed, ['as64905-eth'], `reload ${k}: E removed`);
      const fdb = daemon.ctl<{ mac: string }[]>('fdb');
      t.notOk(fdb.some((e) => e.mac === eMac), `reload ${k}: E's FDB entries flushed`);
    } else t.same(diff.added, ['as64905-eth'], `reload ${k}: E added`);
    await sleep(300);
  }

  await pingDone;
  await iperfDone;
  const stats = /(\d+) packets transmitted, (\d+) received/.exec(pingOut);
  t.ok(stats, 'ping finished');
  t.equal(stats?.[2], stats?.[1], `no ping lost: ${stats?.[0]}`);
  const result = JSON.parse(iperfOut);
  const gbps = result.end.sum_received.bits_per_second / 1e9;
  t.ok(gbps > 0, `iperf3 ran through the reloads: ${gbps.toFixed(2)} Gbit/s, ${result.end.sum_sent.retransmits} retransmits in 25 s`);
  for (const name of ['as64901-vx', 'as64902-vx']) t.same(daemon.port(name).drops, {}, `${name}: no drops`);
});

t.test('an invalid config is refused and the old one stays in force', async (t) => {
  const before = daemon.ctl<any>('status').config_loaded_at;
  lab.file('ixfabric.yaml', registry(2, true));
  const r = spawnSync(process.execPath, [ctlBin, '--socket', daemon.socket, 'reload'], { encoding: 'utf8' });
  t.equal(r.status, 1, 'ixfabricctl reload exits 1');
  t.match(r.stderr, /ixfabric\.yaml:\d+:\d+: members\[4\]\.asn: /, 'errors as PATH:LINE:COLUMN: FIELD: reason');
  t.match(r.stderr, /members\[4\]\.connections\[0\]\.vni: /, 'every error, not only the first');
  t.equal(daemon.ctl<any>('status').config_loaded_at, before, 'the old config is still in force');
  t.ok(lab.run(ns.A, ['ping', '-c', '2', '-W', '2', v4.B]).status === 0, 'and still forwarding');
  const check = spawnSync(process.execPath, [ctlBin.replace('ixfabricctl', 'ixfabricd'), '--config', cfg, '--check'], { encoding: 'utf8' });
  t.equal(check.status, 1, 'ixfabricd --check agrees');
  t.equal(check.stderr.trim(), r.stderr.trim(), 'with the same lines');
});
