// The compliance suite every port type passes: frames of every size from 60 to 1514 bytes and
// larger ones up to what the MTU allows arrive byte-exact in both directions, the port's
// counters count exactly them, and the port goes down when its interface disappears and
// re-attaches by itself when the interface comes back.
//
// Each port type is attached to a POP next to a reference member R (a veth, MTU 9000).
// ZeroTier ports are AF_PACKET on the POP's zt* interface; no ZeroTier controller exists
// here, so a veth named like one stands in for it (the port code path is identical).
import t from 'tap';
import { Lab, frameTool, sleep, waitFor } from '../helpers/netns.js';
import { Daemon } from '../helpers/daemon.js';
import { icmpEchoFrame } from '../../src/encap/frame-builder.js';

const R = { mac: '02:00:00:00:02:01', v4: '192.0.2.201' };
const X = { mac: '02:00:00:00:02:02', v4: '192.0.2.202' };
const SIZES = [60, 61, 64, 65, 100, 128, 256, 512, 1000, 1024, 1280, 1499, 1500, 1513, 1514];

interface Kind {
  type: string;
  /** Largest frame the member's MTU allows. */
  maxFrame: number;
  /** Extra keys of the `pop` section. */
  pop?: string;
  /** Builds the member side; returns the connection YAML and the member's device. */
  setup(lab: Lab, pop: string, xns: string): { conn: string; dev: string };
  /** Runs once the daemon is up (e.g. hand the TAP to the member). */
  attached?(lab: Lab, pop: string, xns: string): void;
  /** Makes the port's interface disappear and come back; undefined = no interface (VXLAN). */
  remove?(lab: Lab, pop: string, xns: string): void;
  restore?(lab: Lab, pop: string, xns: string): void;
}

function vethMember(kindName: 'ethernet' | 'zerotier'): Kind {
  const name = kindName === 'ethernet' ? 'xe' : 'zt';
  return {
    type: kindName,
    maxFrame: 9014,
    setup(lab, pop, xns) {
      lab.veth(lab.ifname(name), pop, 'x0', xns);
      // ixfabricd brings Ethernet members' links up; a zt* link is ZeroTier's to manage
      lab.ip(pop, `link set ${lab.ifname(name)} mtu 9000${kindName === 'zerotier' ? ' up' : ''}`);
      lab.ip(xns, 'link set x0 mtu 9000');
      return { conn: `{ type: ${kindName}, interface: ${lab.ifname(name)} }`, dev: 'x0' };
    },
    remove(lab, pop) {
      lab.ip(pop, `link del ${lab.ifname(name)}`);
    },
    restore(lab, pop, xns) {
      lab.veth(lab.ifname(name), pop, 'x0', xns);
      lab.ip(pop, `link set ${lab.ifname(name)} mtu 9000${kindName === 'zerotier' ? ' up' : ''}`);
      lab.ip(xns, `link set x0 mtu 9000 address ${X.mac} up`);
    },
  };
}

const kinds: Kind[] = [
  vethMember('ethernet'),
  vethMember('zerotier'),
  {
    // Custom L2 transit: any L2 interface. This kernel has no 802.1Q module, so the transit is a
    // kernel tunnel device (a vxlan interface on the POP, VNI 400 on port 4790), which the port
    // treats like any other interface.
    type: 'l2',
    maxFrame: 8950 + 14,
    setup(lab, pop, xns) {
      lab.veth(lab.ifname('tr'), pop, 'tr0', xns);
      lab.ip(pop, `link set ${lab.ifname('tr')} mtu 9000 up`);
      lab.ip(pop, `addr add 10.31.0.1/24 dev ${lab.ifname('tr')}`);
      lab.ip(xns, 'link set tr0 mtu 9000 up');
      lab.ip(xns, 'addr add 10.31.0.2/24 dev tr0');
      this.restore!(lab, pop, xns);
      lab.ip(xns, 'link add x0 type vxlan id 400 remote 10.31.0.1 local 10.31.0.2 dstport 4790');
      lab.ip(xns, 'link set x0 mtu 8950');
      return { conn: `{ type: l2, interface: ${lab.ifname('l2')} }`, dev: 'x0' };
    },
    remove(lab, pop) {
      lab.ip(pop, `link del ${lab.ifname('l2')}`);
    },
    restore(lab, pop) {
      lab.ip(pop, `link add ${lab.ifname('l2')} type vxlan id 400 remote 10.31.0.2 local 10.31.0.1 dstport 4790`);
      lab.ip(pop, `link set ${lab.ifname('l2')} mtu 8950`);
    },
  },
  {
    type: 'tap',
    maxFrame: 9014,
    setup(lab) {
      return { conn: `{ type: tap, interface: ${lab.ifname('tp')}, mtu: 9000 }`, dev: lab.ifname('tp') };
    },
    attached(lab, pop, xns) {
      lab.ip(pop, `link set ${lab.ifname('tp')} netns ${xns}`);
      lab.ip(xns, `link set ${lab.ifname('tp')} mtu 9000 address ${X.mac} up`);
    },
    remove(lab, _pop, xns) {
      lab.ip(xns, `link del ${lab.ifname('tp')}`);
    },
    // the daemon re-creates its TAP by itself; hand it to the member again
  },
  vxlanMember('vxlan'),
  { ...vxlanMember('vxlan (dgram transport)'), pop: ', vxlan_transport: dgram' },
];

function vxlanMember(type: string): Kind {
  return {
    type,
    maxFrame: 8950 + 14,
    setup(lab, pop, xns) {
      lab.veth(lab.ifname('ul'), pop, 'ul0', xns);
      lab.ip(pop, `link set ${lab.ifname('ul')} mtu 9000 up`);
      lab.ip(pop, `addr add 10.30.0.1/24 dev ${lab.ifname('ul')}`);
      lab.ip(xns, 'link set ul0 mtu 9000 up');
      lab.ip(xns, 'addr add 10.30.0.2/24 dev ul0');
      lab.ip(xns, 'link add x0 type vxlan id 300 remote 10.30.0.1 local 10.30.0.2 dstport 4789');
      lab.ip(xns, 'link set x0 mtu 8950');
      return { conn: '{ type: vxlan, remote: 10.30.0.2, vni: 300 }', dev: 'x0' };
    },
  };
}

for (const kind of kinds) {
  t.test(`${kind.type} port`, async (t) => {
    const lab = new Lab(t, 'c');
    const pop = lab.ns('pop');
    const rns = lab.ns('r');
    const xns = lab.ns('x');
    lab.withoutIpv6(rns);
    lab.withoutIpv6(xns);
    lab.ip(pop, 'link set lo up');
    lab.veth(lab.ifname('r'), pop, 'r0', rns);
    lab.ip(pop, `link set ${lab.ifname('r')} mtu 9000`);
    lab.ip(rns, `link set r0 mtu 9000 address ${R.mac} up`);
    const { conn, dev } = kind.setup(lab, pop, xns);
    const config = lab.file(
      'ixfabric.yaml',
      `pop: { name: lab, underlay: { ipv4: 10.30.0.1 }${kind.pop ?? ''} }
fabric: { peering_lan: { ipv4: 192.0.2.0/24 } }
control: { socket: ${lab.dir}/pop.sock, metrics: false, state_dir: ${lab.dir}/state }
members:
  - { asn: 64701, name: R, macs: ["${R.mac}"], ipv4: [${R.v4}], connections: [{ type: ethernet, interface: ${lab.ifname('r')} }] }
  - { asn: 64702, name: X, macs: ["${X.mac}"], ipv4: [${X.v4}], connections: [${conn}] }
`,
    );
    const daemon = new Daemon(lab, pop, config);
    await daemon.start();
    t.teardown(() => daemon.stop());
    const xPort = daemon.ctl<any[]>('ports').find((p) => p.member_asn === 64702).name as string;
    await waitFor(`${kind.type} port up`, () => daemon.port(xPort).state === 'up');
    kind.attached?.(lab, pop, xns);
    if (!kind.attached) lab.ip(xns, `link set ${dev} address ${X.mac} up`);

    const sizes = [...SIZES, 4000, kind.maxFrame];
    const frames = (from: typeof X, to: typeof X) => sizes.map((size, k) => {
      const f = icmpEchoFrame({ dst: to.mac, src: from.mac, srcIp: from.v4, dstIp: to.v4, size });
      f.writeUInt16BE(k, 14 + 4); // IPv4 id: tells the frames apart
      return f;
    });

    async function transfer(fromNs: string, fromDev: string, toNs: string, toDev: string, list: Buffer[]): Promise<string[]> {
      const cap = lab.spawn(toNs, [process.execPath, frameTool, 'capture', toDev, '2500']);
      const got = new Promise<string[]>((resolve) => {
        let out = '';
        cap.stdout!.on('data', (c) => (out += c));
        cap.on('exit', () => resolve(out.trim() ? (JSON.parse(out) as string[]) : []));
      });
      await sleep(600);
      const r = JSON.parse(lab.sh(fromNs, [process.execPath, frameTool, 'send', fromDev], { input: JSON.stringify(list.map((f) => f.toString('hex'))) }));
      t.equal(r.sent, list.length, `sent ${list.length} frames from ${fromDev}`);
      return got;
    }

    function checkArrived(list: Buffer[], seen: string[], what: string) {
      for (const f of list) {
        const n = seen.filter((h) => h === f.toString('hex')).length;
        t.equal(n, 1, `${what}: ${f.length}-byte frame arrived byte-exact once`);
      }
    }

    // member → reference
    const before = daemon.port(xPort);
    const out = frames(X, R);
    checkArrived(out, await transfer(xns, dev, rns, 'r0', out), `${kind.type} → R`);
    const after = daemon.port(xPort);
    t.equal(after.rx_packets - before.rx_packets, out.length, 'rx_packets counts exactly the frames');
    t.equal(after.rx_bytes - before.rx_bytes, out.reduce((a, f) => a + f.length, 0), 'rx_bytes counts exactly their bytes');
    t.same(after.drops, before.drops, 'no drops');

    // reference → member
    const back = frames(R, X);
    checkArrived(back, await transfer(rns, 'r0', xns, dev, back), `R → ${kind.type}`);
    const last = daemon.port(xPort);
    t.equal(last.tx_packets - after.tx_packets, back.length, 'tx_packets counts exactly the frames');
    t.equal(last.tx_bytes - after.tx_bytes, back.reduce((a, f) => a + f.length, 0), 'tx_bytes counts exactly their bytes');

    if (!kind.remove) {
      t.comment(`${kind.type}: a tunnel port has no interface on the POP; nothing can disappear`);
      return;
    }
    // A port going down is logged; the TAP comes back at once because the daemon re-creates it.
    const downs = () => daemon.logText().split('\n').filter((l) => l.includes('"port down"') && l.includes(`"port":"${xPort}"`)).length;
    const downsBefore = downs();
    kind.remove(lab, pop, xns);
    await waitFor(`${kind.type} port down`, () => downs() > downsBefore, 5000);
    t.pass('the port went down when its interface disappeared');
    kind.restore?.(lab, pop, xns);
    await waitFor(`${kind.type} port up again`, () => daemon.port(xPort).state === 'up', 5000);
    t.pass('and came back by itself');
    kind.attached?.(lab, pop, xns);
    const again = frames(X, R).slice(0, 3);
    checkArrived(again, await transfer(xns, dev, rns, 'r0', again), 'after re-attach');
  });
}
