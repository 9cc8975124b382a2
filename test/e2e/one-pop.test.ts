// One POP, four members on four kinds of real connections, switched by ixfabricd:
//   A: a kernel vxlan device over an IPv4 underlay     B: a kernel vxlan device over IPv6
//   C: a veth (Ethernet member)                         D: a TAP the daemon creates, moved into D
import t from 'tap';
import { Lab, frameTool, sleep, waitFor } from '../helpers/netns.js';
import { Daemon } from '../helpers/daemon.js';
import { arpFrame, ethernetFrame, icmpEchoFrame, icmpv6Packet, udp4Frame } from '../../src/encap/frame-builder.js';
import { ETHERTYPE_IPV6, ETHERTYPE_LLDP, ETHERTYPE_VLAN } from '../../src/encap/ethernet.js';
import { writeVxlanHeader } from '../../src/encap/vxlan.js';

const lab = new Lab(t, 'p');
const MARK = Buffer.from('IXFHYG');
const members = {
  A: { asn: 64510, mac: '02:00:00:00:00:0a', v4: '192.0.2.10', v6: '2001:db8:ffff::10' },
  B: { asn: 64511, mac: '02:00:00:00:00:0b', v4: '192.0.2.11', v6: '2001:db8:ffff::11' },
  C: { asn: 64512, mac: '02:00:00:00:00:0c', v4: '192.0.2.12', v6: '2001:db8:ffff::12' },
  D: { asn: 64513, mac: '02:00:00:00:00:0d', v4: '192.0.2.13', v6: '2001:db8:ffff::13' },
};
type Name = keyof typeof members;

const pop = lab.ns('pop');
const ns: Record<Name, string> = { A: lab.ns('a'), B: lab.ns('b'), C: lab.ns('c'), D: lab.ns('d') };
const dev: Record<Name, string> = { A: 'vx0', B: 'vx0', C: 'c0', D: lab.ifname('d') };

// underlays
lab.veth(lab.ifname('ua'), pop, 'ua0', ns.A);
lab.ip(pop, `addr add 10.10.1.1/24 dev ${lab.ifname('ua')}`);
lab.ip(pop, `link set ${lab.ifname('ua')} up`);
lab.ip(ns.A, 'addr add 10.10.1.2/24 dev ua0');
lab.ip(ns.A, 'link set ua0 up');
lab.veth(lab.ifname('ub'), pop, 'ub0', ns.B);
for (const [n, d] of [[pop, lab.ifname('ub')], [ns.B, 'ub0']] as const) lab.ip(n, `link set ${d} mtu 1520 up`);
lab.ip(pop, `addr add fd00:10:2::1/64 dev ${lab.ifname('ub')} nodad`);
lab.ip(ns.B, 'addr add fd00:10:2::2/64 dev ub0 nodad');
// members' own devices
lab.ip(ns.A, 'link add vx0 type vxlan id 101 remote 10.10.1.1 local 10.10.1.2 dstport 4789');
lab.ip(ns.A, 'link set vx0 mtu 1450');
lab.ip(ns.B, 'link add vx0 type vxlan id 102 remote fd00:10:2::1 local fd00:10:2::2 dstport 4789');
lab.ip(ns.B, 'link set vx0 mtu 1450');
lab.veth(lab.ifname('c'), pop, 'c0', ns.C);
lab.remoteLike(ns.A, 'vx0');
lab.remoteLike(ns.B, 'vx0');

const config = lab.file(
  'ixfabric.yaml',
  `pop:
  name: lab
  underlay: { ipv4: 10.10.1.1, ipv6: "fd00:10:2::1" }
fabric:
  peering_lan: { ipv4: 192.0.2.0/24, ipv6: "2001:db8:ffff::/64" }
control:
  socket: ${lab.dir}/pop.sock
  metrics: false
  state_dir: ${lab.dir}/state
members:
${(Object.keys(members) as Name[])
  .map((n) => {
    const m = members[n];
    const conn = {
      A: `{ type: vxlan, remote: 10.10.1.2, vni: 101 }`,
      B: `{ type: vxlan, remote: "fd00:10:2::2", vni: 102 }`,
      C: `{ type: ethernet, interface: ${lab.ifname('c')} }`,
      D: `{ type: tap, interface: ${lab.ifname('d')} }`,
    }[n];
    return `  - { asn: ${m.asn}, name: ${n}, macs: ["${m.mac}"], ipv4: [${m.v4}], ipv6: ["${m.v6}"], connections: [${conn}] }`;
  })
  .join('\n')}
`,
);
const daemon = new Daemon(lab, pop, config);

function portOf(n: Name): string {
  return { A: 'as64510-vx', B: 'as64511-vx', C: 'as64512-eth', D: 'as64513-tap' }[n];
}

/** What the daemon showed right after it started, before any member device was up. */
let atStart: { ports: { name: string; rx_packets: number; tx_packets: number; drops: Record<string, number> }[]; fdb: { mac: string; kind: string }[]; log: string };

t.before(async () => {
  await daemon.start();
  atStart = { ports: daemon.ctl('ports'), fdb: daemon.ctl('fdb'), log: daemon.logText() };
  // D: the daemon made the TAP in the POP namespace; hand it to member D.
  await waitFor('TAP port up', () => daemon.port(portOf('D')).state === 'up');
  lab.ip(pop, `link set ${dev.D} netns ${ns.D}`);
  for (const n of Object.keys(members) as Name[]) {
    const m = members[n];
    lab.ip(ns[n], `link set ${dev[n]} address ${m.mac}`);
    lab.ip(ns[n], `addr add ${m.v4}/24 dev ${dev[n]}`);
    lab.ip(ns[n], `addr add ${m.v6}/64 dev ${dev[n]} nodad`);
    lab.ip(ns[n], `link set ${dev[n]} up`);
  }
});

t.after(() => daemon.stop());

function ping(from: Name, to: string, extra: string[] = []): boolean {
  const r = lab.run(ns[from], ['ping', '-c', '2', '-i', '0.2', '-W', '2', ...extra, to], { timeoutMs: 15_000 });
  return r.status === 0;
}

t.test('full-mesh ping over IPv4 and IPv6', async (t) => {
  const names = Object.keys(members) as Name[];
  for (const a of names) {
    for (const b of names) {
      if (a === b) continue;
      t.ok(ping(a, members[b].v4), `${a} → ${b} IPv4`);
      t.ok(ping(a, members[b].v6), `${a} → ${b} IPv6`);
    }
  }
});

t.test('the largest frames the MTU allows', async (t) => {
  // VXLAN members have an inner MTU of 1450: 1422 bytes of ICMP payload + 28 = 1450.
  for (const [a, b] of [['A', 'B'], ['B', 'C'], ['C', 'A'], ['D', 'A']] as [Name, Name][]) t.ok(ping(a, members[b].v4, ['-M', 'do', '-s', '1422']), `${a} → ${b}: 1450-byte IP packet, DF`);
  t.ok(ping('C', members.D.v4, ['-M', 'do', '-s', '1472']), 'C → D: 1500-byte IP packet, DF');
  t.notOk(ping('A', members.C.v4, ['-M', 'do', '-s', '1423']), 'A cannot send more than its MTU');
});

/** iperf3 TCP for 3 s from member `from` to member `to` over IPv4; Gbit/s received. */
async function iperfGbps(from: Name, to: Name): Promise<number> {
  lab.spawn(ns[to], ['iperf3', '-s', '-1', '-B', members[to].v4]);
  await sleep(500);
  const r = lab.sh(ns[from], ['iperf3', '-c', members[to].v4, '-t', '3', '-J'], { timeoutMs: 30_000 });
  return JSON.parse(r).end.sum_received.bits_per_second / 1e9;
}

t.test('iperf3 TCP between A (VXLAN) and C (Ethernet)', async (t) => {
  const gbps = await iperfGbps('A', 'C');
  t.ok(gbps > 0.01, `A → C: ${gbps.toFixed(2)} Gbit/s`);
  t.comment(`iperf3 TCP A (vxlan) → C (veth): ${gbps.toFixed(2)} Gbit/s`);
});

t.test('iperf3 TCP between the two VXLAN members A and B (quick figure)', async (t) => {
  // the quick end-to-end figure of the one-POP topology; 64-byte pps between two VXLAN members
  // is measured by `npm run bench:e2e -- --quick` (trafgen), not in the suite
  const gbps = await iperfGbps('A', 'B');
  t.ok(gbps > 0.01, `A → B: ${gbps.toFixed(2)} Gbit/s`);
  t.comment(`iperf3 TCP A (vxlan, IPv4 underlay) → B (vxlan, IPv6 underlay): ${gbps.toFixed(2)} Gbit/s`);
});

t.test('the start-up warm-up leaves nothing behind', async (t) => {
  t.match(atStart.log, /"frames":25600,"ms":\d+,"msg":"dataplane code warmed up with synthetic frames"/, 'the warm-up ran and is logged');
  // D's TAP is up in the POP namespace from the start, and that kernel's own IPv6 housekeeping
  // (router solicitations, MLD) really arrives on it; no other device is up yet
  for (const p of atStart.ports.filter((x) => x.name !== portOf('D'))) {
    t.equal(p.rx_packets + p.tx_packets, 0, `${p.name}: no packets counted before the members were up`);
    t.same(Object.values(p.drops ?? {}).filter((n) => n > 0), [], `${p.name}: no drops counted`);
  }
  t.same(atStart.fdb.map((e) => e.kind).filter((k) => k !== 'static'), [], 'the FDB holds only the configured MACs');
  t.equal(atStart.fdb.length, Object.keys(members).length);
});

t.test('the FDB shows each member MAC on its port', async (t) => {
  const fdb = daemon.ctl<{ mac: string; port: string; kind: string }[]>('fdb');
  for (const n of Object.keys(members) as Name[]) {
    const e = fdb.find((x) => x.mac === members[n].mac);
    t.ok(e, `${n}'s MAC is in the FDB`);
    t.equal(e?.port, portOf(n));
    t.equal(e?.kind, 'static', 'configured MACs of single-connection members are static');
  }
  const one = daemon.ctl<unknown[]>('fdb', '--port', portOf('C'));
  t.ok(one.length >= 1);
});

t.test('hygiene: frames a member must not send never reach the others and are counted', async (t) => {
  const C = members.C;
  const marked = (b: Buffer) => Buffer.concat([b, MARK]);
  const ra = Buffer.concat([Buffer.from('86000000400000000000000000000000', 'hex'), Buffer.from([253, 1]), MARK]);
  const arpReply = arpFrame({ op: 2, senderMac: C.mac, senderIp: members.A.v4, targetMac: members.B.mac, targetIp: members.B.v4 });
  MARK.copy(arpReply, 42);
  const frames: [string, Buffer][] = [
    ['link_local', ethernetFrame({ dst: '01:80:c2:00:00:00', src: C.mac, ethertype: 38 }, marked(Buffer.from('424203000000000080000000000000000000', 'hex')))],
    ['link_local', ethernetFrame({ dst: '01:80:c2:00:00:0e', src: C.mac, ethertype: ETHERTYPE_LLDP }, marked(Buffer.alloc(20)))],
    ['ra_guard', ethernetFrame({ dst: '33:33:00:00:00:01', src: C.mac, ethertype: ETHERTYPE_IPV6 }, icmpv6Packet('fe80::c', 'ff02::1', ra))],
    ['dhcp_guard', udp4Frame({ dst: 'ff:ff:ff:ff:ff:ff', src: C.mac, srcIp: C.v4, dstIp: '255.255.255.255', sport: 67, dport: 68, payload: marked(Buffer.alloc(240)) })],
    ['arp_spoof', arpReply],
    ['vlan_tagged', Buffer.concat([icmpEchoFrame({ dst: members.A.mac, src: C.mac, srcIp: C.v4, dstIp: members.A.v4, tags: [[ETHERTYPE_VLAN, 100]] }), MARK])],
    ['src_mac', Buffer.concat([icmpEchoFrame({ dst: members.A.mac, src: '02:66:66:66:66:66', srcIp: C.v4, dstIp: members.A.v4 }), MARK])],
  ];
  const before = daemon.port(portOf('C')).drops;
  const captures = (['A', 'B', 'D'] as Name[]).map((n) => ({ n, proc: lab.spawn(ns[n], [process.execPath, frameTool, 'capture', dev[n], '3000']) }));
  const outputs = captures.map(({ n, proc }) => new Promise<[Name, string[]]>((resolve) => {
    let out = '';
    proc.stdout!.on('data', (c) => (out += c));
    proc.on('exit', () => resolve([n, out.trim() ? (JSON.parse(out) as string[]) : []]));
  }));
  await sleep(700);
  // A frame C may send, marked the same way: it must reach everybody (the captures work).
  const legit = arpFrame({ op: 1, senderMac: C.mac, senderIp: C.v4, targetIp: '192.0.2.99' });
  Buffer.from('IXFOK!').copy(legit, 42);
  const all = [...frames.map(([, f]) => f), legit];
  const sent = JSON.parse(lab.sh(ns.C, [process.execPath, frameTool, 'send', 'c0'], { timeoutMs: 10_000, input: JSON.stringify(all.map((f) => f.toString('hex'))) }));
  t.equal(sent.sent, all.length, 'all injected');
  for (const [n, seen] of await Promise.all(outputs)) {
    const leaked = seen.filter((h) => h.includes(MARK.toString('hex')));
    t.equal(leaked.length, 0, `nothing reached ${n}`);
    t.equal(seen.filter((h) => h.includes(Buffer.from('IXFOK!').toString('hex'))).length, 1, `the allowed broadcast reached ${n} once`);
  }
  const after = daemon.port(portOf('C')).drops;
  const expected: Record<string, number> = {};
  for (const [reason] of frames) expected[reason] = (expected[reason] ?? 0) + 1;
  for (const [reason, n] of Object.entries(expected)) t.equal((after[reason] ?? 0) - (before[reason] ?? 0), n, `${reason} +${n}`);
  // the first spoof of a port per minute is logged with the MAC and the address it claimed
  const spoof = await waitFor('the arp_spoof log line', () =>
    daemon.logText().split('\n').filter((l) => l.includes('"reason":"arp_spoof"')).map((l) => JSON.parse(l)).find((l) => l.port === portOf('C')), 3000);
  t.equal(spoof.src_mac, C.mac, 'logged with the source MAC');
  t.equal(spoof.arp_sender_ip, members.A.v4, 'and the address it claimed');
  t.equal(spoof.level, 'warn');
});

t.test('malformed and unknown VXLAN input is counted and disturbs nothing', async (t) => {
  lab.ip(ns.A, 'addr add 10.10.1.9/24 dev ua0');
  const vx = (vni: number, flags = 0x08) => {
    const b = Buffer.alloc(8 + 60);
    writeVxlanHeader(b, 0, vni);
    b[0] = flags;
    icmpEchoFrame({ dst: members.C.mac, src: members.A.mac, srcIp: members.A.v4, dstIp: members.C.v4, size: 60 }).copy(b, 8);
    return b;
  };
  const listener = () => daemon.ctl<any[]>('ports').find((p) => p.type === 'listener' && p.name.startsWith('vxlan4'));
  const before = listener().drops;
  const send = (src: string, payloads: Buffer[]) =>
    lab.sh(ns.A, [process.execPath, frameTool, 'udp', src, '10.10.1.1', '4789'], { input: JSON.stringify(payloads.map((p) => p.toString('hex'))) });
  send('10.10.1.2', [vx(999)]); // unknown VNI
  send('10.10.1.9', [vx(101)]); // unknown remote
  send('10.10.1.2', [Buffer.from('0800'), vx(101, 0x00), Buffer.alloc(9500, 0x08)]); // truncated, I flag clear, oversized
  await waitFor('drop counters', () => {
    const d = listener().drops;
    return (d.unknown_tunnel ?? 0) - (before.unknown_tunnel ?? 0) === 2 && (d.malformed ?? 0) - (before.malformed ?? 0) === 3;
  }, 5000);
  t.pass('2 unknown_tunnel, 3 malformed on the VXLAN listener');
  t.ok(ping('A', members.C.v4), 'A still reaches C');
  t.ok(ping('B', members.D.v6), 'B still reaches D');
  t.equal(daemon.port(portOf('A')).drops.unknown_tunnel ?? 0, 0, 'nothing blamed on the member port');
  // the first drop of each reason per socket and minute is logged with the remote and the VNI
  const tunnelLog = () => daemon.logText().split('\n').filter((l) => l.includes('tunnel packet dropped')).map((l) => JSON.parse(l));
  const logged = (await waitFor('the tunnel drop log lines', () => (tunnelLog().length >= 2 ? tunnelLog() : null), 3000))!;
  const unknown = logged.filter((l) => l.reason === 'unknown_tunnel');
  t.equal(unknown.length, 1, 'one unknown_tunnel line in the minute');
  t.match(unknown[0], { socket: /^vxlan4/, remote: '10.10.1.2', vni: 999 }, 'with the remote and the VNI that did not match');
  const malformed = logged.filter((l) => l.reason === 'malformed');
  t.equal(malformed.length, 1, 'one malformed line in the minute');
  t.match(malformed[0], { remote: '10.10.1.2' }, 'with the remote');
  t.notOk('vni' in malformed[0], 'and no VNI (the header was not valid)');
});

t.test('SIGTERM stops the daemon gracefully and removes its TAP', async (t) => {
  t.equal(await daemon.stop(), 0, 'exit status 0');
  t.match(daemon.logText(), /"msg":"stopped"/);
  t.not(lab.run(ns.D, ['ip', 'link', 'show', dev.D]).status, 0, "the TAP the daemon created is gone (from D's namespace too)");
});
