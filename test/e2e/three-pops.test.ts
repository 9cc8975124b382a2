// Three POPs, each running ixfabricd with one member, joined by a full mesh of VXLAN trunks
// over an underlay network. M1 can also reach POP 2 (a second connection), so it can move.
import t from 'tap';
import { Lab, frameTool, sleep, waitFor } from '../helpers/netns.js';
import { Daemon } from '../helpers/daemon.js';
import { request } from '../../src/control/control-client.js';
import { arpFrame } from '../../src/encap/frame-builder.js';

const lab = new Lab(t, 't');
const wan = lab.ns('wan');
lab.ip(wan, `link add ${lab.ifname('br')} type bridge`);
lab.ip(wan, `link set ${lab.ifname('br')} up`);

const pops = [1, 2, 3].map((i) => ({ i, ns: lab.ns(`pop${i}`), underlay: `10.20.0.${i}` }));
for (const p of pops) {
  lab.veth(lab.ifname(`w${p.i}`), wan, 'wan0', p.ns);
  lab.ip(wan, `link set ${lab.ifname(`w${p.i}`)} master ${lab.ifname('br')} up`);
  lab.ip(p.ns, `addr add ${p.underlay}/24 dev wan0`);
  lab.ip(p.ns, 'link set wan0 up');
}

const M = [1, 2, 3].map((i) => ({ i, ns: lab.ns(`m${i}`), mac: `02:00:00:00:01:0${i}`, v4: `192.0.2.${i}`, asn: 64600 + i }));
// M1 → POP1 (and a spare link to POP2 for the move), M2 → POP2, M3 → POP3
lab.veth(lab.ifname('m1'), pops[0]!.ns, 'p1', M[0]!.ns);
lab.veth(lab.ifname('m1b'), pops[1]!.ns, 'p2', M[0]!.ns);
lab.veth(lab.ifname('m2'), pops[1]!.ns, 'p2', M[1]!.ns);
lab.veth(lab.ifname('m3'), pops[2]!.ns, 'p3', M[2]!.ns);
const memberDev = ['p1', 'p2', 'p3'];
M.forEach((m, k) => {
  lab.ip(m.ns, `link set ${memberDev[k]} address ${m.mac}`);
  lab.ip(m.ns, `addr add ${m.v4}/24 dev ${memberDev[k]}`);
  lab.ip(m.ns, `link set ${memberDev[k]} up`);
});
lab.ip(M[0]!.ns, `link set p2 address ${M[0]!.mac}`); // the spare link, down until the move

function registry(self: number): string {
  return `pop:
  name: pop${self}
  underlay: { ipv4: 10.20.0.${self} }
fabric:
  peering_lan: { ipv4: 192.0.2.0/24 }
control:
  socket: ${lab.dir}/pop${self}.sock
  metrics: false
  state_dir: ${lab.dir}/state${self}
trunks:
${pops.map((p) => `  - { pop: pop${p.i}, remote: ${p.underlay}, vni: 10 }`).join('\n')}
members:
  - asn: ${M[0]!.asn}
    name: M1
    macs: ["${M[0]!.mac}"]
    ipv4: [${M[0]!.v4}]
    connections:
      - { pop: pop1, type: ethernet, interface: ${lab.ifname('m1')} }
      - { pop: pop2, type: ethernet, interface: ${lab.ifname('m1b')} }
  - { asn: ${M[1]!.asn}, name: M2, macs: ["${M[1]!.mac}"], ipv4: [${M[1]!.v4}], connections: [{ pop: pop2, type: ethernet, interface: ${lab.ifname('m2')} }] }
  - { asn: ${M[2]!.asn}, name: M3, macs: ["${M[2]!.mac}"], ipv4: [${M[2]!.v4}], connections: [{ pop: pop3, type: ethernet, interface: ${lab.ifname('m3')} }] }
`;
}
const daemons = pops.map((p) => new Daemon(lab, p.ns, lab.file(`pop${p.i}.yaml`, registry(p.i)), `pop${p.i}`));

t.before(async () => {
  await Promise.all(daemons.map((d) => d.start()));
});
t.after(async () => {
  for (const d of daemons) await d.stop();
});

function ping(from: number, to: number): boolean {
  return lab.run(M[from]!.ns, ['ping', '-c', '2', '-i', '0.2', '-W', '2', M[to]!.v4], { timeoutMs: 15_000 }).status === 0;
}

t.test('every member pings every other across the trunks', async (t) => {
  for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) if (a !== b) t.ok(ping(a, b), `M${a + 1} → M${b + 1}`);
  const trunks = daemons[0]!.ctl<any[]>('ports').filter((p) => p.type === 'trunk');
  t.same(trunks.map((p) => p.name).sort(), ['trunk-pop2', 'trunk-pop3'], 'POP 1 skips its own trunk entry');
});

t.test('one broadcast reaches each other member exactly once', async (t) => {
  const probe = arpFrame({ op: 1, senderMac: M[0]!.mac, senderIp: M[0]!.v4, targetIp: '192.0.2.77' });
  const caps = [1, 2].map((k) => {
    const proc = lab.spawn(M[k]!.ns, [process.execPath, frameTool, 'capture', memberDev[k]!, '2500']);
    return new Promise<string[]>((resolve) => {
      let out = '';
      proc.stdout!.on('data', (c) => (out += c));
      proc.on('exit', () => resolve(out.trim() ? (JSON.parse(out) as string[]) : []));
    });
  });
  await sleep(700);
  lab.sh(M[0]!.ns, [process.execPath, frameTool, 'send', 'p1'], { input: JSON.stringify([probe.toString('hex')]) });
  const seen = await Promise.all(caps);
  seen.forEach((frames, k) => {
    const copies = frames.filter((h) => h.startsWith(probe.subarray(0, 42).toString('hex')));
    t.equal(copies.length, 1, `M${k + 2} got the ARP request once`);
  });
});

t.test('a member that moves from POP 1 to POP 2 is re-learned within 1 s of its first frame', async (t) => {
  const m1 = M[0]!;
  t.ok(ping(0, 2), 'M1 reaches M3 from POP 1');
  const where = async (pop: number) => {
    const r = (await request(daemons[pop]!.socket, 'fdb', { mac: m1.mac })) as { entries: { port: string }[] };
    return r.entries[0]?.port;
  };
  t.equal(await where(2), 'trunk-pop1', 'POP 3 has M1 behind POP 1');
  // the move: M1's link to POP 1 goes away, its link to POP 2 comes up with the same MAC and address
  lab.ip(m1.ns, 'link set p1 down');
  lab.ip(m1.ns, `addr del ${m1.v4}/24 dev p1`);
  lab.ip(m1.ns, `addr add ${m1.v4}/24 dev p2`);
  lab.ip(m1.ns, 'link set p2 up');
  await waitFor('POP 2 to have M1 attached', () => daemons[1]!.port('as64601-eth').state === 'up', 5000);
  const t0 = Date.now();
  lab.spawn(m1.ns, ['ping', '-c', '1', '-W', '1', M[2]!.v4]); // the first frame after the move
  await waitFor('POP 3 to learn M1 behind POP 2', async () => (await where(2)) === 'trunk-pop2', 1000, 20);
  const pop3Ms = Date.now() - t0;
  await waitFor('POP 1 to learn M1 behind POP 2', async () => (await where(0)) === 'trunk-pop2', 1000, 20);
  t.ok(pop3Ms <= 1000, `re-learned at POP 3 after ${pop3Ms} ms`);
  t.equal(await where(1), 'as64601-eth', 'POP 2 has M1 on its local port');
  t.ok(ping(0, 1) && ping(0, 2), 'M1 reaches M2 and M3 from its new POP');
});

t.test("killing POP 3's daemon leaves POP 1 and POP 2 working", async (t) => {
  await daemons[2]!.stop('SIGKILL');
  t.ok(ping(1, 0), 'M2 → M1');
  t.ok(ping(0, 1), 'M1 → M2');
  t.notOk(ping(1, 2), 'M3 is gone with its POP');
});
