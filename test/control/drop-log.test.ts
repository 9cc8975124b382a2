// Drop-log rate limiting with a fake clock.
import t from 'tap';
import { Writable } from 'node:stream';
import { createDropLogger, DropLogLimiter } from '../../src/control/drop-log.js';
import { createLogger, resolveLogLevel } from '../../src/control/log.js';

t.test('first drop per port and reason per minute is logged, the rest summarised', async (t) => {
  let now = 1_000_000;
  const l = new DropLogLimiter({ now: () => now });
  t.same(l.record('p1', 'src_mac', { mac: '02:00:00:00:00:09' }), { port: 'p1', reason: 'src_mac', suppressed: 0, details: { mac: '02:00:00:00:00:09' } });
  t.equal(l.record('p1', 'src_mac', { mac: '02:00:00:00:00:0a' }), null);
  t.equal(l.record('p1', 'src_mac'), null);
  t.ok(l.record('p1', 'arp_spoof', { ip: '192.0.2.99' }), 'another reason on the same port is logged');
  t.ok(l.record('p2', 'src_mac'), 'the same reason on another port is logged');
  now += 59_999;
  t.equal(l.record('p1', 'src_mac'), null, 'still inside the minute');
  now += 1;
  t.same(l.record('p1', 'src_mac', { mac: '02:00:00:00:00:0b' }), { port: 'p1', reason: 'src_mac', suppressed: 3, details: { mac: '02:00:00:00:00:0b' } }, 'next minute: logged with the count');
  t.equal(l.record('p1', 'src_mac'), null);
  now += 600_000;
  t.same(l.record('p1', 'src_mac'), { port: 'p1', reason: 'src_mac', suppressed: 1, details: {} });
  now += 60_000;
  t.equal(l.record('p1', 'src_mac')?.suppressed, 0, 'a count is reported once');
});

t.test('pending(): summaries for quiet pairs after their window', async (t) => {
  let now = 0;
  const l = new DropLogLimiter({ now: () => now, windowMs: 1000 });
  l.record('p1', 'bum_rate');
  for (let i = 0; i < 50; i++) l.record('p1', 'bum_rate');
  l.record('p2', 'ethertype');
  t.same(l.pending(), [], 'windows not over yet');
  now = 1000;
  t.same(l.pending(), [{ port: 'p1', reason: 'bum_rate', suppressed: 50, details: {} }]);
  t.same(l.pending(), [], 'reported once');
  now = 1500;
  t.equal(l.record('p1', 'bum_rate'), null, 'a summary restarts the window');
  now = 2000;
  t.same(l.record('p1', 'bum_rate')?.suppressed, 1);
});

t.test('memory stays bounded; forgetPort', async (t) => {
  let now = 0;
  const l = new DropLogLimiter({ now: () => now, maxKeys: 100 });
  for (let i = 0; i < 1000; i++) l.record(`p${i}`, 'malformed');
  t.ok(l.size <= 100, `${l.size} pairs`);
  now = 10;
  t.equal(l.record('p999', 'malformed'), null, 'the newest are kept');
  l.record('p999', 'ethertype');
  l.forgetPort('p999');
  t.ok(l.record('p999', 'malformed'), 'forgotten: logged again');
});

t.test('createDropLogger logs through a pino-like sink', async (t) => {
  let now = 0;
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg?: string }> = [];
  const sink = {
    info: (obj: object, msg?: string) => lines.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
    warn: (obj: object, msg?: string) => lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
  };
  const d = createDropLogger(sink, { now: () => now, level: 'warn' });
  d.drop('as64500-vx', 'ra_guard', { mac: '02:00:00:00:00:01', ip: 'fe80::1' });
  d.drop('as64500-vx', 'ra_guard', { mac: '02:00:00:00:00:01', ip: 'fe80::1' });
  d.drop('as64500-vx', 'ra_guard');
  now = 60_000;
  d.flush();
  t.same(lines, [
    { level: 'warn', obj: { mac: '02:00:00:00:00:01', ip: 'fe80::1', port: 'as64500-vx', reason: 'ra_guard', suppressed: 0 }, msg: 'frame dropped' },
    { level: 'warn', obj: { port: 'as64500-vx', reason: 'ra_guard', suppressed: 2 }, msg: 'frames dropped (summary)' },
  ]);
  const spoof = createDropLogger(sink, { now: () => now });
  spoof.drop('p', 'arp_spoof', { port: 'not-overridden', reason: 'x' });
  t.same(lines.at(-1)?.obj, { port: 'p', reason: 'arp_spoof', suppressed: 0 }, 'details cannot override port and reason');
  t.equal(lines.at(-1)?.level, 'info', 'info by default');
});

function capture(): { stream: Writable; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(c: Buffer, _e, cb) {
      chunks.push(c.toString());
      cb();
    },
  });
  return { stream, lines: () => chunks.join('').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

t.test('log.ts: JSON lines, level from IXFABRIC_LOG_LEVEL', async (t) => {
  t.same(resolveLogLevel(undefined), { level: 'info', invalid: null });
  t.same(resolveLogLevel('DEBUG'), { level: 'debug', invalid: null });
  t.same(resolveLogLevel('loud'), { level: 'info', invalid: 'loud' });

  const c = capture();
  const log = createLogger({ env: { IXFABRIC_LOG_LEVEL: 'warn' }, base: { pop: 'fmt' }, destination: c.stream });
  log.info('hidden');
  log.warn({ port: 'p1' }, 'shown');
  await new Promise((r) => setImmediate(r));
  const lines = c.lines();
  t.equal(lines.length, 1);
  t.match(lines[0], { level: 'warn', pop: 'fmt', port: 'p1', msg: 'shown' });
  t.match(String(lines[0]?.time), /^\d{4}-\d\d-\d\dT/, 'ISO time');

  const c2 = capture();
  const log2 = createLogger({ env: { IXFABRIC_LOG_LEVEL: 'chatty' }, destination: c2.stream });
  log2.info('hello');
  await new Promise((r) => setImmediate(r));
  const l2 = c2.lines();
  t.match(l2[0], { level: 'warn', value: 'chatty' }, 'a bad level is reported');
  t.match(l2[1], { level: 'info', msg: 'hello' }, 'and info is used');
  t.equal(createLogger({ env: {}, destination: capture().stream }).level, 'info', 'default info');
  t.equal(createLogger({ level: 'debug', env: { IXFABRIC_LOG_LEVEL: 'error' }, destination: capture().stream }).level, 'debug', 'explicit level wins');
});
