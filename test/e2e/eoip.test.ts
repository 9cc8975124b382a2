// EoIP members end to end. There is no kernel EoIP driver here, so each member namespace runs
// ixfabric-eoip (the project's codec + a TAP device) as its MikroTik stand-in; what ixfabricd
// sends is checked with tshark's MIKROTIK EoIP and EtherIP dissectors.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Lab, exited, frameTool, sleep, waitFor } from '../helpers/netns.js';
import { Daemon } from '../helpers/daemon.js';
import { repoRoot } from '../helpers/paths.js';
import { writeEoipV4Header } from '../../src/encap/eoip.js';
import { icmpEchoFrame } from '../../src/encap/frame-builder.js';

const lab = new Lab(t, 'e');
const endpointBin = join(repoRoot, 'bin', 'ixfabric-eoip.js');
const pop = lab.ns('pop');
const e4 = lab.ns('e4');
const e6 = lab.ns('e6');
const vx = lab.ns('vx');
const eth = lab.ns('eth');

lab.veth(lab.ifname('u4'), pop, 'u0', e4);
lab.ip(pop, `addr add 10.40.0.1/24 dev ${lab.ifname('u4')}`);
lab.ip(pop, `link set ${lab.ifname('u4')} up`);
lab.ip(e4, 'addr add 10.40.0.2/24 dev u0');
lab.ip(e4, 'link set u0 up');
lab.veth(lab.ifname('u6'), pop, 'u0', e6);
lab.ip(pop, `addr add fd00:40::1/64 dev ${lab.ifname('u6')} nodad`);
lab.ip(pop, `link set ${lab.ifname('u6')} up`);
lab.ip(e6, 'addr add fd00:40::2/64 dev u0 nodad');
lab.ip(e6, 'link set u0 up');
lab.veth(lab.ifname('uv'), pop, 'u0', vx);
lab.ip(pop, `addr add 10.41.0.1/24 dev ${lab.ifname('uv')}`);
lab.ip(pop, `link set ${lab.ifname('uv')} up`);
lab.ip(vx, 'addr add 10.41.0.2/24 dev u0');
lab.ip(vx, 'link set u0 up');
lab.ip(vx, 'route add 10.40.0.0/24 via 10.41.0.1'); // the POP's underlay address is 10.40.0.1
lab.ip(vx, 'link add vx0 type vxlan id 501 remote 10.40.0.1 local 10.41.0.2 dstport 4789');
lab.ip(vx, 'link set vx0 mtu 1450 address 02:00:00:00:05:03 up');
lab.remoteLike(vx, 'vx0');
lab.ip(vx, 'addr add 192.0.2.53/24 dev vx0');
lab.veth(lab.ifname('c'), pop, 'c0', eth);
lab.ip(eth, 'link set c0 address 02:00:00:00:05:04 up');
lab.ip(eth, 'addr add 192.0.2.54/24 dev c0');

const config = (withE4: boolean) => `pop: { name: lab, underlay: { ipv4: 10.40.0.1, ipv6: "fd00:40::1" } }
fabric: { peering_lan: { ipv4: 192.0.2.0/24 } }
control: { socket: ${lab.dir}/pop.sock, metrics: false, state_dir: ${lab.dir}/state }
members:
${withE4 ? '  - { asn: 64801, name: E4, ipv4: [192.0.2.51], connections: [{ type: eoip, remote: 10.40.0.2, tunnel_id: 100, keepalive_s: 1, timeout_s: 3 }] }\n' : ''}  - { asn: 64802, name: E6, ipv4: [192.0.2.52], connections: [{ type: eoip, remote: "fd00:40::2", tunnel_id: 291 }] }
  - { asn: 64803, name: V, ipv4: [192.0.2.53], connections: [{ type: vxlan, remote: 10.41.0.2, vni: 501 }] }
  - { asn: 64804, name: C, ipv4: [192.0.2.54], connections: [{ type: ethernet, interface: ${lab.ifname('c')} }] }
`;
const cfgPath = lab.file('ixfabric.yaml', config(true));
const daemon = new Daemon(lab, pop, cfgPath);

const endpoints = new Map<string, import('node:child_process').ChildProcess>();
function startEndpoint(ns: string, local: string, remote: string, tid: number): void {
  endpoints.set(ns, lab.spawn(ns, [process.execPath, endpointBin, '--local', local, '--remote', remote, '--tunnel-id', String(tid), '--tap', 'eoip0', '--keepalive', '1'], join(lab.dir, `eoip-${tid}.log`)));
}

async function endpointUp(ns: string, addr: string, mac: string): Promise<void> {
  await waitFor('eoip0', () => lab.run(ns, ['ip', 'link', 'show', 'eoip0']).status === 0, 5000);
  lab.ip(ns, `link set eoip0 address ${mac} up`);
  lab.ip(ns, `addr add ${addr}/24 dev eoip0`);
}

function ping(ns: string, to: string, extra: string[] = []): boolean {
  return lab.run(ns, ['ping', '-c', '2', '-i', '0.2', '-W', '2', ...extra, to], { timeoutMs: 15_000 }).status === 0;
}

t.before(async () => {
  await daemon.start();
  startEndpoint(e4, '10.40.0.2', '10.40.0.1', 100);
  startEndpoint(e6, 'fd00:40::2', 'fd00:40::1', 291);
  await endpointUp(e4, '192.0.2.51', '02:00:00:00:05:01');
  await endpointUp(e6, '192.0.2.52', '02:00:00:00:05:02');
});
t.after(() => daemon.stop());

t.test('EoIP ports come up with the first keepalive', async (t) => {
  await waitFor('EoIP v4 port up', () => daemon.port('as64801-eoip').state === 'up', 5000);
  await waitFor('EoIP v6 port up', () => daemon.port('as64802-eoip').state === 'up', 5000);
  t.pass('both up');
});

t.test('EoIP members ping VXLAN and Ethernet members across the fabric', async (t) => {
  for (const [ns, name] of [[e4, 'E4 (IPv4 underlay)'], [e6, 'E6 (IPv6 underlay)']] as const) {
    t.ok(ping(ns, '192.0.2.53'), `${name} → VXLAN member`);
    t.ok(ping(ns, '192.0.2.54'), `${name} → Ethernet member`);
  }
  t.ok(ping(e4, '192.0.2.52'), 'E4 → E6');
  t.ok(ping(e4, '192.0.2.53', ['-s', '1400']), 'large frames');
});

t.test('tshark dissects what ixfabricd sends as MIKROTIK EoIP / EtherIP', async (t) => {
  const pcap4 = join(lab.dir, 'eoip4.pcap');
  const pcap6 = join(lab.dir, 'eoip6.pcap');
  const dumps = [
    lab.spawn(pop, ['tcpdump', '-i', lab.ifname('u4'), '-w', pcap4, '-U', 'ip proto 47 and src host 10.40.0.1']),
    lab.spawn(pop, ['tcpdump', '-i', lab.ifname('u6'), '-w', pcap6, '-U', 'ip6 proto 97 and src host fd00:40::1']),
  ];
  await sleep(1000);
  ping(e4, '192.0.2.54');
  ping(e6, '192.0.2.54');
  await sleep(1500); // and a keepalive or two
  for (const d of dumps) d.kill('SIGINT');
  await sleep(500);
  const rows4 = execFileSync('tshark', ['-r', pcap4, '-T', 'fields', '-E', 'separator=|', '-e', 'gre.proto', '-e', 'gre.key', '-e', 'ip.ttl', '-e', 'ip.flags.df', '-e', 'eth.type'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n').map((l) => l.split('|'));
  t.ok(rows4.length >= 3, `${rows4.length} EoIP packets from the POP`);
  let frames = 0;
  let keepalives = 0;
  for (const [proto, key, ttl, df] of rows4) {
    t.equal(proto, '0x6400', 'MIKROTIK EoIP');
    t.equal(Number(key) & 0xffff, 0x6400, 'key ends in tunnel id 100 little-endian');
    // fields list the outer IPv4 header first, then the inner one of a forwarded frame
    t.equal(ttl!.split(',')[0], '255', 'TTL 255');
    t.equal(df!.split(',')[0], '0', 'DF clear');
    if (Number(key) >>> 16 === 0) keepalives++;
    else frames++;
  }
  t.ok(frames > 0 && keepalives > 0, `${frames} frames, ${keepalives} keepalives`);
  const rows6 = execFileSync('tshark', ['-r', pcap6, '-T', 'fields', '-E', 'separator=|', '-e', 'ipv6.nxt', '-e', 'ipv6.hlim', '-e', 'etherip.ver', '-e', 'frame.len'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n').map((l) => l.split('|'));
  t.ok(rows6.length >= 2, `${rows6.length} EtherIP packets from the POP`);
  for (const [nxt, hlim, ver] of rows6) {
    t.equal(nxt, '97');
    t.equal(hlim, '255', 'hop limit 255');
    t.equal(Number(ver), 291 >> 8, 'EtherIP header carries tunnel 291');
  }
});

t.test('malformed EoIP is counted and dropped', async (t) => {
  const listener = () => daemon.ctl<any[]>('ports').find((p) => p.name.startsWith('eoip4'));
  const before = listener().drops;
  const frame = icmpEchoFrame({ dst: '02:00:00:00:05:04', src: '02:00:00:00:05:01', srcIp: '192.0.2.51', dstIp: '192.0.2.54', size: 60 });
  const eoip = (tid: number, len = frame.length, body = frame) => {
    const b = Buffer.alloc(8 + body.length);
    writeEoipV4Header(b, 0, tid, len);
    body.copy(b, 8);
    return b;
  };
  const badMagic = eoip(100);
  badMagic[2] = 0x65;
  const packets = [badMagic, eoip(100, frame.length + 10), eoip(999), eoip(100, 10, frame.subarray(0, 10)), Buffer.from([0x20, 0x01])];
  lab.sh(e4, [process.execPath, frameTool, 'raw', '10.40.0.2', '10.40.0.1', '47'], { input: JSON.stringify(packets.map((p) => p.toString('hex'))) });
  await waitFor('counters', () => {
    const d = listener().drops;
    return (d.malformed ?? 0) - (before.malformed ?? 0) === 4 && (d.unknown_tunnel ?? 0) - (before.unknown_tunnel ?? 0) === 1;
  }, 5000);
  t.pass('4 malformed (bad magic, length too long, inner frame under 14 bytes, header truncated), 1 unknown tunnel id');
  const line = await waitFor('the unknown tunnel log line', () =>
    daemon.logText().split('\n').filter((l) => l.includes('tunnel packet dropped')).map((l) => JSON.parse(l)).find((l) => l.reason === 'unknown_tunnel'), 3000);
  t.match(line, { socket: /^eoip4/, remote: '10.40.0.2', tunnel_id: 999 }, 'logged with the remote and the tunnel id');
  t.ok(ping(e4, '192.0.2.54'), 'the member still works');
});

t.test('adding or removing one EoIP member never disturbs the others', async (t) => {
  const pinger = lab.spawn(e6, ['ping', '-c', '60', '-i', '0.05', '-W', '1', '192.0.2.53']);
  let out = '';
  pinger.stdout!.on('data', (c) => (out += c));
  await sleep(500);
  lab.file('ixfabric.yaml', config(false));
  t.same(daemon.ctl('reload').removed, ['as64801-eoip'], 'E4 removed');
  await sleep(500);
  lab.file('ixfabric.yaml', config(true));
  t.same(daemon.ctl('reload').added, ['as64801-eoip'], 'E4 added back');
  await exited(pinger);
  t.match(out, / 0% packet loss/, 'E6 lost nothing meanwhile');
  await waitFor('E4 up again', () => daemon.port('as64801-eoip').state === 'up', 5000);
  t.ok(ping(e4, '192.0.2.53'), 'E4 works again');
});

t.test('an EoIP port goes down without keepalives and comes back with them', async (t) => {
  endpoints.get(e4)!.kill('SIGTERM');
  await waitFor('E4 down', () => daemon.port('as64801-eoip').state === 'down', 8000);
  t.match(daemon.port('as64801-eoip').reason, /no keepalive/);
  t.equal(daemon.port('as64802-eoip').state, 'up', 'the other EoIP member stays up');
  startEndpoint(e4, '10.40.0.2', '10.40.0.1', 100);
  await endpointUp(e4, '192.0.2.51', '02:00:00:00:05:01');
  await waitFor('E4 up', () => daemon.port('as64801-eoip').state === 'up', 5000);
  t.ok(ping(e4, '192.0.2.54'), 'and forwards again');
});
