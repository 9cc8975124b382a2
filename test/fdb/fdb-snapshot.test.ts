import t from 'tap';
import { BSON } from 'bson';
import { ForwardingTable } from '../../src/fdb/forwarding-table.js';
import { encodeFdbSnapshot, restoreFdbSnapshot } from '../../src/fdb/fdb-snapshot.js';
import { KIND_REMOTE } from '../../src/fdb/fdb-entry.js';

const names = ['p0', 'p1', 'p2', 'p3'];
const portName = (id: number) => names[id];
const portId = (n: string) => (names.indexOf(n) >= 0 ? names.indexOf(n) : undefined);
const mac = (n: number) => 0x020000000000 + n;

t.test('round trip keeps ports, kinds and ages', async (t) => {
  const a = new ForwardingTable({ defaultPortLimit: 100 });
  a.setPortRemote(3, true);
  for (let i = 0; i < 50; i++) a.learn(mac(i), 1 + (i % 3), 1000 - i);
  a.addStatic(mac(99), 1, 0);
  const saved = new Date('2026-11-25T00:00:00Z');
  const bytes = encodeFdbSnapshot(a, portName, 1000, saved);
  const doc = BSON.deserialize(bytes);
  t.equal(doc.entries.length, 50, 'statics are not saved');

  const b = new ForwardingTable({ defaultPortLimit: 100 });
  b.setPortRemote(3, true);
  const r = restoreFdbSnapshot(bytes, b, portId, 5000, new Date(saved.getTime() + 10_000));
  t.equal(r.restored, 50);
  t.equal(r.skipped, 0);
  t.equal(r.snapshotAgeS, 10);
  for (let i = 0; i < 50; i++) {
    const e = b.peek(mac(i))!;
    t.equal(e.port, 1 + (i % 3));
    t.equal(Math.round(5000 - e.lastSeen), i + 10, 'age includes the time on disk');
  }
  t.equal(b.peek(mac(2))!.kind, KIND_REMOTE);
  t.equal(b.age(5000 + 300 - 60), 0, 'nothing expires before its time');
  t.equal(b.age(5241), 1, 'the oldest restored entry (59 s) expires first');
  t.equal(b.lookup(mac(49)), -1);
});

t.test('skips old entries, unknown ports and garbage', async (t) => {
  const a = new ForwardingTable({ defaultPortLimit: 100 });
  a.learn(mac(1), 1, 0); // 290 s old at save
  a.learn(mac(2), 2, 280);
  const saved = new Date('2026-11-25T00:00:00Z');
  const bytes = encodeFdbSnapshot(a, (id) => (id === 2 ? 'gone' : portName(id)), 290, saved);
  const b = new ForwardingTable();
  const r = restoreFdbSnapshot(bytes, b, portId, 0, new Date(saved.getTime() + 20_000));
  t.equal(r.restored, 0);
  t.equal(r.skipped, 2, 'one too old with the time on disk, one on an unknown port');
  t.throws(() => restoreFdbSnapshot(BSON.serialize({ format: 'other' }), b, portId, 0));
  t.throws(() => restoreFdbSnapshot(Buffer.from('garbage!garbage!'), b, portId, 0));
  const weird = BSON.serialize({ format: 'ixfabric-fdb', version: 1, saved_at: saved, aging_s: 300, entries: [{ mac: 'zz' }, 5, null, { mac: '02:00:00:00:00:01', port: 'p1', kind: 'learned', age_s: -3 }] });
  const r2 = restoreFdbSnapshot(weird, b, portId, 0, saved);
  t.equal(r2.skipped, 4);
});
