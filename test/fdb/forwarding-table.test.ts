import t from 'tap';
import { ForwardingTable, LEARN_LIMIT, LEARN_MOVED, LEARN_NEW, LEARN_PINNED, LEARN_REFRESHED, LEARN_STATIC_CONFLICT } from '../../src/fdb/forwarding-table.js';
import { FDB_ENTRIES, FDB_EVICTED, FDB_EXPIRED, FDB_LEARNED, FDB_LIMIT_HITS, FDB_MOVED, FDB_PINNED } from '../../src/fdb/fdb-stats.js';
import { KIND_LEARNED, KIND_REMOTE, KIND_STATIC } from '../../src/fdb/fdb-entry.js';

const mac = (n: number) => 0x020000000000 + n;

t.test('learn, refresh, lookup', async (t) => {
  const f = new ForwardingTable();
  t.equal(f.learn(mac(1), 3, 0), LEARN_NEW);
  t.equal(f.learn(mac(1), 3, 1), LEARN_REFRESHED);
  t.equal(f.lookup(mac(1)), 3);
  t.equal(f.lookup(mac(2)), -1);
  t.equal(f.peek(mac(1))!.lastSeen, 1, 'timestamp refreshed in place');
  t.equal(f.stats[FDB_LEARNED], 1);
  t.equal(f.stats[FDB_ENTRIES], 1);
});

t.test('aging: default 300 s, refreshed entries stay, walk stops at fresh ones', async (t) => {
  const f = new ForwardingTable();
  t.equal(f.agingS, 300);
  f.learn(mac(1), 1, 0);
  f.learn(mac(2), 2, 0);
  f.learn(mac(3), 3, 100);
  f.learn(mac(1), 1, 250); // refreshed
  t.equal(f.age(299), 0);
  t.equal(f.age(300), 1, 'mac 2 expires at 300 s');
  t.equal(f.lookup(mac(2)), -1);
  t.equal(f.age(399.5), 0);
  t.equal(f.age(400), 1, 'mac 3');
  t.equal(f.age(549), 0);
  t.equal(f.age(550), 1, 'mac 1');
  t.equal(f.stats[FDB_EXPIRED], 3);
  t.equal(f.size, 0);
});

t.test('aging sees a refresh made within the same second as the insert', async (t) => {
  const f = new ForwardingTable({ agingS: 10 });
  f.learn(mac(1), 1, 0);
  f.learn(mac(2), 2, 0.2);
  f.learn(mac(1), 1, 0.9); // not re-touched (under a second), but lastSeen moves
  t.equal(f.age(10.1), 0, 'mac 1 last seen at 0.9');
  t.equal(f.age(10.2), 1, 'mac 2 expires');
  t.equal(f.age(10.9), 1, 'mac 1 expires');
});

t.test('per-port learned-MAC limit', async (t) => {
  const f = new ForwardingTable({ defaultPortLimit: 2 });
  t.equal(f.learn(mac(1), 1, 0), LEARN_NEW);
  t.equal(f.learn(mac(2), 1, 0), LEARN_NEW);
  t.equal(f.learn(mac(3), 1, 0), LEARN_LIMIT);
  t.equal(f.lookup(mac(3)), -1, 'not learned');
  t.equal(f.stats[FDB_LIMIT_HITS], 1);
  f.setPortLimit(2, 5);
  for (let i = 10; i < 15; i++) t.equal(f.learn(mac(i), 2, 0), LEARN_NEW);
  t.equal(f.learn(mac(15), 2, 0), LEARN_LIMIT);
  f.setPortRemote(3, true);
  for (let i = 100; i < 200; i++) t.equal(f.learn(mac(i), 3, 0), LEARN_NEW);
  t.equal(f.peek(mac(100))!.kind, KIND_REMOTE, 'trunk MACs are remote and unlimited');
  t.equal(f.peek(mac(10))!.kind, KIND_LEARNED);
});

t.test('global cap evicts from the port with the most MACs', async (t) => {
  const f = new ForwardingTable({ maxEntries: 10, defaultPortLimit: 100 });
  for (let i = 0; i < 3; i++) f.learn(mac(i), 1, 0);
  for (let i = 10; i < 17; i++) f.learn(mac(i), 2, 0); // port 2 floods
  t.equal(f.size, 10);
  t.equal(f.learn(mac(20), 1, 1), LEARN_NEW);
  t.equal(f.size, 10, 'stays at the cap');
  t.equal(f.stats[FDB_EVICTED], 1);
  t.equal(f.lookup(mac(10)), -1, "port 2's oldest went");
  for (let i = 0; i < 3; i++) t.equal(f.lookup(mac(i)), 1, 'port 1 keeps its MACs');
  for (let i = 30; i < 1000; i++) f.learn(mac(i), 2, 2);
  t.equal(f.size, 10);
  for (let i = 0; i < 3; i++) t.equal(f.lookup(mac(i)), 1, 'a flood from port 2 never evicts port 1');
  t.equal(f.learnedOnPort(2), 6);
});

t.test('static MACs never age and never move', async (t) => {
  const f = new ForwardingTable({ agingS: 10 });
  f.addStatic(mac(1), 1, 0);
  f.learn(mac(2), 2, 0);
  t.equal(f.peek(mac(1))!.kind, KIND_STATIC);
  t.equal(f.age(1000), 1, 'only the learned one expires');
  t.equal(f.lookup(mac(1)), 1);
  t.equal(f.learn(mac(1), 5, 1000), LEARN_STATIC_CONFLICT);
  t.equal(f.lookup(mac(1)), 1);
  t.equal(f.learn(mac(1), 1, 1000), LEARN_REFRESHED);
  t.equal(f.flushPort(1), 0, 'flush keeps statics');
  t.equal(f.lookup(mac(1)), 1);
  t.ok(f.removeStatic(mac(1)));
  t.equal(f.lookup(mac(1)), -1);
  f.learn(mac(3), 3, 0);
  f.addStatic(mac(3), 4, 0);
  t.equal(f.lookup(mac(3)), 4, 'static replaces a learned entry');
  t.equal(f.learnedOnPort(3), 0);
});

t.test('MAC moves, then damping pins a bouncing MAC', async (t) => {
  const f = new ForwardingTable({ moveLimit: 3, moveWindowS: 10, pinS: 30 });
  f.learn(mac(1), 1, 0);
  t.equal(f.learn(mac(1), 2, 1), LEARN_MOVED);
  t.equal(f.lookup(mac(1)), 2);
  t.equal(f.learnedOnPort(1), 0);
  t.equal(f.learn(mac(1), 1, 2), LEARN_MOVED);
  t.equal(f.learn(mac(1), 2, 3), LEARN_MOVED);
  t.equal(f.stats[FDB_MOVED], 3);
  t.equal(f.learn(mac(1), 1, 4), LEARN_PINNED, 'fourth move within 10 s');
  t.equal(f.lookup(mac(1)), 2, 'stays where it was');
  t.equal(f.stats[FDB_PINNED], 1);
  t.equal(f.learn(mac(1), 1, 20), LEARN_PINNED, 'still pinned');
  t.equal(f.learn(mac(1), 2, 20), LEARN_REFRESHED, 'its own port keeps working');
  t.equal(f.learn(mac(1), 1, 35), LEARN_MOVED, 'after the pin time it may move again');
  const g = new ForwardingTable({ moveLimit: 3, moveWindowS: 10 });
  g.learn(mac(1), 1, 0);
  for (let i = 1; i <= 20; i++) t.equal(g.learn(mac(1), 1 + (i % 2), i * 11), LEARN_MOVED, 'slow moves never pin');
});

t.test('a move respects the new port limit', async (t) => {
  const f = new ForwardingTable({ defaultPortLimit: 1 });
  f.learn(mac(1), 1, 0);
  f.learn(mac(2), 2, 0);
  t.equal(f.learn(mac(1), 2, 1), LEARN_LIMIT);
  t.equal(f.lookup(mac(1)), 1);
});

t.test('flush by port and forgetting a port', async (t) => {
  const f = new ForwardingTable({ defaultPortLimit: 10 });
  for (let i = 0; i < 5; i++) f.learn(mac(i), 1, 0);
  for (let i = 5; i < 8; i++) f.learn(mac(i), 2, 0);
  f.addStatic(mac(9), 2, 0);
  t.equal(f.flushPort(1), 5);
  t.equal(f.lookup(mac(0)), -1);
  t.equal(f.learn(mac(0), 1, 1), LEARN_NEW, 'relearned after flush');
  t.equal(f.forgetPort(2, 4), 4, 'learned and static');
  t.equal(f.size, 1);
  t.equal(f.flushAll(), 1);
  t.equal(f.stats[FDB_ENTRIES], 0);
});

t.test('limits change at run time', async (t) => {
  const f = new ForwardingTable({ maxEntries: 10, defaultPortLimit: 100 });
  for (let i = 0; i < 10; i++) f.learn(mac(i), 1 + (i % 2), i);
  f.setLimits(100, 4);
  t.equal(f.size, 4, 'a lower cap evicts down to it');
  t.equal(f.agingS, 100);
  f.setLimits(100, 200000);
  t.equal(f.size, 4, 'a bigger cap keeps the entries');
  for (let i = 100; i < 150; i++) t.equal(f.learn(mac(i), 3, 20), LEARN_NEW);
  t.equal(f.age(100 + 9.5), 4, 'aging order survives the rebuild');
});
