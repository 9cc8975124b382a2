// An OpenVPN member through the whole fabric: ixfabricd supervises one openvpn per member and
// attaches a port to its TAP; the member runs Debian's openvpn as a client with the config
// `ixfabricctl openvpn client-config` prints, and pings a VXLAN member. Killing the server-side
// openvpn gets it restarted, and connectivity comes back by itself.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Lab, ctlBin, waitFor } from '../helpers/netns.js';
import { Daemon } from '../helpers/daemon.js';
import { memberKeyPair } from '../helpers/openvpn-member.js';

const lab = new Lab(t, 'v');
const pop = lab.ns('pop');
const om = lab.ns('om');
const vx = lab.ns('vx');

lab.veth(lab.ifname('uo'), pop, 'u0', om);
lab.ip(pop, `addr add 10.95.0.1/24 dev ${lab.ifname('uo')}`);
lab.ip(pop, `link set ${lab.ifname('uo')} up`);
lab.ip(om, 'addr add 10.95.0.2/24 dev u0');
lab.ip(om, 'link set u0 up');
lab.veth(lab.ifname('uv'), pop, 'u0', vx);
lab.ip(pop, `addr add 10.96.0.1/24 dev ${lab.ifname('uv')}`);
lab.ip(pop, `link set ${lab.ifname('uv')} up`);
lab.ip(vx, 'addr add 10.96.0.2/24 dev u0');
lab.ip(vx, 'link set u0 up');
lab.ip(vx, 'route add 10.95.0.0/24 via 10.96.0.1');
lab.ip(vx, 'link add vx0 type vxlan id 960 remote 10.95.0.1 local 10.96.0.2 dstport 4789');
lab.ip(vx, 'link set vx0 mtu 1450 up');
lab.ip(vx, 'addr add 192.0.2.96/24 dev vx0');
lab.remoteLike(vx, 'vx0');

// The member makes its own key pair (the commands the client config prints) and gives the
// exchange its certificate's fingerprint.
const memberDir = join(lab.dir, 'member');
const fingerprint = memberKeyPair(memberDir, 65301);

const cfg = lab.file(
  'ixfabric.yaml',
  `pop: { name: lab, underlay: { ipv4: 10.95.0.1 } }
fabric: { peering_lan: { ipv4: 192.0.2.0/24 } }
control: { socket: ${lab.dir}/pop.sock, metrics: false, state_dir: ${lab.dir}/state }
members:
  - { asn: 65301, name: OpenVPN member, ipv4: [192.0.2.95], connections: [{ type: openvpn, listen_port: 1195, peer_fingerprint: "${fingerprint}" }] }
  - { asn: 65302, name: VXLAN member, ipv4: [192.0.2.96], connections: [{ type: vxlan, remote: 10.96.0.2, vni: 960 }] }
`,
);
const daemon = new Daemon(lab, pop, cfg);
t.before(() => daemon.start());
t.after(() => daemon.stop());

function ping(): boolean {
  return lab.run(om, ['ping', '-c', '1', '-W', '1', '192.0.2.96'], { timeoutMs: 5000 }).status === 0;
}

t.test('the member connects with the printed client config and reaches a VXLAN member', async (t) => {
  const r = spawnSync(process.execPath, [ctlBin, '--socket', daemon.socket, 'openvpn', 'client-config', 'AS65301'], { encoding: 'utf8' });
  t.equal(r.status, 0, 'ixfabricctl openvpn client-config');
  t.match(r.stdout, /remote 10\.95\.0\.1 1195/, "the POP's address and port");
  t.match(r.stdout, /\npeer-fingerprint [0-9a-f]{2}(:[0-9a-f]{2}){31}\n/, "the POP's fingerprint");
  writeFileSync(join(memberDir, 'ixp.conf'), r.stdout);
  lab.spawn(om, ['sh', '-c', `cd ${memberDir} && exec openvpn --config ixp.conf --dev ixp0 --dev-type tap`], join(lab.dir, 'client.log'));
  await waitFor('the member tap', () => lab.run(om, ['ip', 'link', 'show', 'ixp0']).status === 0, 20_000);
  await waitFor('the OpenVPN port up', () => daemon.port('as65301-ovpn').state === 'up', 20_000);
  await waitFor('ping across the fabric', ping, 30_000, 500);
  t.pass('OpenVPN member → VXLAN member');
  t.match(daemon.logText(), /"port":"as65301-ovpn","openvpn_pid":\d+/, "openvpn's log goes into the daemon's log");
});

t.test("killing the server-side openvpn: restarted, and connectivity comes back by itself", async (t) => {
  const [before] = daemon.ctl<{ pid: number; restarts: number }[]>('openvpn', 'status');
  t.ok(before?.pid, `openvpn runs as pid ${before?.pid}`);
  process.kill(before!.pid, 'SIGKILL');
  await waitFor('a new openvpn', () => {
    const [now] = daemon.ctl<{ pid: number; restarts: number }[]>('openvpn', 'status');
    return now && now.pid && now.pid !== before!.pid && now.restarts > before!.restarts;
  }, 15_000);
  t.pass('restarted with backoff');
  const t0 = Date.now();
  await waitFor('ping again', ping, 60_000, 500);
  t.pass(`connectivity back after ${((Date.now() - t0) / 1000).toFixed(1)} s (the client notices at its ping-restart)`);
});
