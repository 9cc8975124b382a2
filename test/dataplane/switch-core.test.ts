import t from 'tap';
import { A, B, C, TRUNK1, TRUNK2, makeCore, one, ping, run } from '../helpers/core-fixture.js';
import { icmpEchoFrame, arpFrame } from '../../src/encap/frame-builder.js';
import { EGRESS_DROP, EGRESS_FLOOD } from '../../src/dataplane/switch-core.js';
import { memberPolicy } from '../../src/dataplane/port-policy.js';
import { parseMac } from '../../src/encap/mac.js';

const REMOTE = { mac: '02:00:00:00:99:01', ipv4: '192.0.2.99', ipv6: '2001:db8:ffff::99', port: TRUNK1 };

t.test('unknown unicast floods, then known unicast goes to one port', async (t) => {
  const core = makeCore();
  t.equal(one(core, ping(A, B), A.port).egress, EGRESS_FLOOD);
  t.equal(one(core, ping(B, A), B.port).egress, A.port, 'A was learned');
  t.equal(one(core, ping(A, B), A.port).egress, B.port);
  t.equal(core.counters.port(A.port).flood_packets, 1);
  t.equal(core.counters.port(A.port).rx_packets, 2);
  t.equal(core.counters.port(A.port).rx_bytes, 2 * 98);
});

t.test('flood lists: split horizon and never back to the ingress port', async (t) => {
  const core = makeCore();
  t.same([...core.floodList(A.port)], [B.port, C.port, TRUNK1, TRUNK2]);
  t.same([...core.floodList(TRUNK1)], [A.port, B.port, C.port], 'a trunk never floods to another trunk');
  core.setPortUp(B.port, false);
  t.same([...core.floodList(A.port)], [C.port, TRUNK1, TRUNK2], 'down ports get no floods');
  core.setPortUp(B.port, true);
  core.removePort(C.port);
  t.same([...core.floodList(A.port)], [B.port, TRUNK1, TRUNK2]);
});

t.test('unicast never hairpins and never crosses two trunks', async (t) => {
  const core = makeCore();
  one(core, ping(REMOTE as typeof A, A), TRUNK1);
  t.equal(core.fdb.peek(parseMac(REMOTE.mac)!)!.kind, 2, 'learned as remote');
  const r = one(core, icmpEchoFrame({ dst: REMOTE.mac, src: '02:00:00:00:98:01', srcIp: '192.0.2.98', dstIp: REMOTE.ipv4 }), TRUNK2);
  t.equal(r.reason, 'split_horizon');
  one(core, ping(A, B), A.port);
  const hairpin = one(core, icmpEchoFrame({ dst: A.mac, src: '02:00:00:00:00:0c', srcIp: C.ipv4, dstIp: A.ipv4 }), C.port);
  t.equal(hairpin.egress, A.port);
  const c2 = one(core, icmpEchoFrame({ dst: '02:00:00:00:00:0c', src: '02:00:00:00:00:0d', srcIp: C.ipv4, dstIp: A.ipv4 }), C.port);
  t.equal(c2.reason, 'same_port');
});

t.test('a port that goes down loses its MACs; frames to them flood again', async (t) => {
  const core = makeCore();
  one(core, ping(B, A), B.port);
  t.equal(one(core, ping(A, B), A.port).egress, B.port);
  core.setPortUp(B.port, false);
  t.equal(core.fdb.lookup(parseMac(B.mac)!), -1);
  t.equal(one(core, ping(A, B), A.port).egress, EGRESS_FLOOD);
});

t.test('static entries on a down port are not forwarded to', async (t) => {
  const core = makeCore({ statics: true });
  core.setPortUp(B.port, false);
  t.equal(one(core, ping(A, B), A.port).reason, 'port_down');
});

t.test('a member moving to another POP is re-learned on the trunk at its first frame', async (t) => {
  const core = makeCore();
  one(core, ping(C, A), C.port);
  t.equal(core.fdb.lookup(parseMac(C.mac)!), C.port);
  one(core, ping(C, A), TRUNK1, 5);
  t.equal(core.fdb.lookup(parseMac(C.mac)!), TRUNK1);
  t.equal(one(core, ping(A, C), A.port, 5).egress, TRUNK1);
});

t.test('mac_pinned: a bouncing MAC is pinned and its frames elsewhere dropped', async (t) => {
  const core = makeCore();
  const f = ping(C, A);
  const outcomes = [];
  for (let i = 0; i < 8; i++) outcomes.push(one(core, f, i % 2 ? TRUNK1 : C.port, 1 + i * 0.1).reason);
  t.same(outcomes.slice(0, 5), [undefined, undefined, undefined, undefined, undefined]);
  t.equal(outcomes[5], 'mac_pinned');
});

t.test('a batch mixes ports and decisions', async (t) => {
  const core = makeCore();
  const out = run(core, [
    [ping(A, B), A.port],
    [ping(B, A), B.port],
    [ping(A, B), A.port],
    [Buffer.alloc(10), C.port],
    [arpFrame({ op: 1, senderMac: C.mac, senderIp: C.ipv4, targetIp: A.ipv4 }), C.port],
  ]);
  t.same(out.map((o) => o.egress), [EGRESS_FLOOD, A.port, B.port, EGRESS_DROP, EGRESS_FLOOD]);
  t.equal(out[3]!.reason, 'malformed');
});

t.test('frames for a port that was removed are counted, not crashed on', async (t) => {
  const core = makeCore();
  const r = one(core, ping(A, B), 40);
  t.equal(r.reason, 'unknown_tunnel');
});

t.test('replacing a port keeps its state consistent', async (t) => {
  const core = makeCore({ statics: true });
  core.setPort(A.port, { policy: memberPolicy({ macs: ['02:00:00:00:00:aa'] }), group: 0, staticMacs: [parseMac('02:00:00:00:00:aa')!] }, 2);
  t.equal(core.fdb.lookup(parseMac(A.mac)!), -1, 'old static removed');
  t.equal(core.fdb.lookup(parseMac('02:00:00:00:00:aa')!), A.port);
  t.equal(one(core, ping(A, B), A.port).reason, 'src_mac', 'new policy in force');
});
