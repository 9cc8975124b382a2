// IRR data: bgpq4's JSON output parsed, the on-disk cache (fresh, stale, fallback when a query
// fails), and the real bgpq4 talking to a small IRRd-protocol server on loopback.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { CommandRunner } from '../../src/control/rs-command.js';
import { bgpq4Args, fetchIrr, parseBgpq4Asns, parseBgpq4Prefixes, resolveIrr } from '../../src/control/rs-irr.js';
import { fixtureBgpq4, fixtureConfig } from '../helpers/rs-fixtures.js';

const IRR = { enabled: true, sources: ['RIPE', 'ARIN'], server: 'rr.example.net', cacheTtlS: 3600 };

t.test('bgpq4 arguments', async (t) => {
  t.same(bgpq4Args('AS-ALPHA', 'ipv4', IRR), ['-j', '-l', 'irr', '-h', 'rr.example.net', '-S', 'RIPE,ARIN', '-4', 'AS-ALPHA']);
  t.same(bgpq4Args('AS64500', 'asns', { ...IRR, server: null, sources: [] }), ['-j', '-l', 'irr', '-t', 'AS64500']);
});

t.test('bgpq4 JSON output', async (t) => {
  const p = parseBgpq4Prefixes(
    `{ "irr": [
    { "prefix": "185.1.4.0\\/24", "exact": true },
    { "prefix": "185.1.0.0\\/22", "exact": false, "less-equal": 24 },
    { "prefix": "185.7.0.0\\/16", "exact": false, "greater-equal": 20, "less-equal": 24 },
    { "prefix": "185.1.4.0\\/24", "exact": true }
] }`,
    4,
  );
  t.same(
    p.map((x) => [x.prefix, x.min, x.max]),
    [['185.1.0.0/22', 22, 24], ['185.1.4.0/24', 24, 24], ['185.7.0.0/16', 20, 24]],
    'sorted by address, duplicates removed',
  );
  t.same(parseBgpq4Prefixes('{ "irr": [\n] }', 6), [], 'an unknown AS-SET expands to nothing');
  t.same(parseBgpq4Asns('{"irr": [\n  210510,210500,210500\n]}'), [210500, 210510]);
  t.throws(() => parseBgpq4Prefixes('{ "irr": [ { "prefix": "2a0c::/32", "exact": true } ] }', 4), /not an IPv4 prefix/);
  t.throws(() => parseBgpq4Prefixes('{ "irr": [ { "prefix": "185.1.0.0/22", "exact": false, "less-equal": 20 } ] }', 4), /bad length range/);
  t.throws(() => parseBgpq4Asns('{"irr": ["AS1"]}'), /not an ASN/);
  t.throws(() => parseBgpq4Asns('ERROR: something'), /JSON/);
});

t.test('cache: fresh entries are reused, stale ones refreshed, failures fall back', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ixf-irr-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const config = fixtureConfig('every-option.yaml');
  const t0 = new Date('2024-05-01T12:00:00Z');
  const runner = fixtureBgpq4();
  const first = await resolveIrr(config, { cacheDir: dir, runner, now: t0 });
  t.equal(runner.calls.length, 5 * 3, 'five distinct objects, three queries each');
  t.same([...first.byAsn.keys()], [210500, 210501, 210502, 210600, 210601], 'members with sessions only');
  t.same(first.byAsn.get(210500)?.asns, [210500, 210510]);
  t.equal(readdirSync(dir).length, 5, 'one cache file per object');

  const again = await resolveIrr(config, { cacheDir: dir, runner, now: new Date(t0.getTime() + 3599_000) });
  t.equal(runner.calls.length, 15, 'within cache_ttl_s nothing is queried');
  t.same(again.byAsn.get(210502)?.ipv4.map((p) => p.prefix), ['185.3.0.0/23', '185.3.2.0/24']);

  const failing: CommandRunner = async () => ({ code: 1, stdout: '', stderr: 'connection refused' });
  const stale = await resolveIrr(config, { cacheDir: dir, runner: failing, now: new Date(t0.getTime() + 7200_000) });
  t.equal(stale.warnings.length, 5, 'stale entries are used when bgpq4 fails, with a warning each');
  t.match(stale.warnings[0], /connection refused; using the cached copy from 2024-05-01T12:00:00.000Z/);
  t.same(stale.byAsn.get(210500)?.ipv4, first.byAsn.get(210500)?.ipv4);

  await t.rejects(
    resolveIrr(config, { cacheDir: join(dir, 'empty'), runner: failing, now: t0 }),
    /IRR data for AS-ALPHA: bgpq4 asns AS-ALPHA failed \(exit 1\): connection refused \(and no cached copy/,
  );
  const refreshed = fixtureBgpq4();
  await resolveIrr(config, { cacheDir: dir, runner: refreshed, now: t0, refresh: true });
  t.equal(refreshed.calls.length, 15, 'refresh ignores fresh entries');
  const off = await resolveIrr(fixtureConfig('small.yaml'), { cacheDir: dir, runner: failing });
  t.equal(off.byAsn.size, 0, 'irr.enabled false: nothing to do');
});

/** Answers the IRRd queries bgpq4 sends (`!i`, `!g`, `!6`, `!s-lc`...) from a table. */
function fakeIrrd(data: Record<string, string>) {
  const server = createServer((s) => {
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const q = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (q === '!!') continue;
        if (q === '!q') s.end();
        else if (q === '!s-lc') s.write('A10\nRADB,RIPE\nC\n');
        else if (q === '!a') s.write('F not supported\n');
        else if (q.startsWith('!n') || q.startsWith('!s')) s.write('C\n');
        else {
          const ans = Object.entries(data).find(([k]) => k.toLowerCase() === q.toLowerCase())?.[1];
          s.write(ans ? `A${ans.length + 1}\n${ans}\nC\n` : 'D\n');
        }
      }
    });
    s.on('error', () => undefined);
  });
  return new Promise<{ port: number; close: () => void }>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as AddressInfo).port, close: () => server.close() })),
  );
}

t.test('the real bgpq4 against an IRRd on loopback', async (t) => {
  const irrd = await fakeIrrd({
    '!iAS-ALPHA,1': 'AS210500 AS210510',
    '!gAS210500': '185.1.0.0/22 185.1.4.0/24',
    '!gAS210510': '185.1.4.0/24 185.10.0.0/24',
    '!6AS210500': '2a0c:1::/32',
  });
  t.teardown(irrd.close);
  const d = await fetchIrr('AS-ALPHA', { ...IRR, server: `127.0.0.1:${irrd.port}`, sources: [] });
  t.same(d.asns, [210500, 210510]);
  t.same(d.ipv4.map((p) => `${p.prefix}{${p.min},${p.max}}`), ['185.1.0.0/22{22,22}', '185.1.4.0/24{24,24}', '185.10.0.0/24{24,24}']);
  t.same(d.ipv6.map((p) => p.prefix), ['2a0c:1::/32']);
  const none = await fetchIrr('AS-UNKNOWN', { ...IRR, server: `127.0.0.1:${irrd.port}`, sources: [] });
  t.same([none.asns, none.ipv4, none.ipv6], [[], [], []], 'an unknown AS-SET is empty, not an error (its routes are all filtered)');
});
