// `rs status`: BIRD's `show protocols all` and `show route count` (captured from BIRD 2.0.12
// with a live session) parsed and matched to the registry's sessions.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { CommandRunner } from '../../src/control/rs-command.js';
import {
  formatRouteServerStatus,
  parseShowProtocolsAll,
  parseShowRouteCount,
  routeServerStatus,
} from '../../src/control/rs-status.js';
import { repoRoot } from '../helpers/paths.js';
import { configFrom, FIXTURES } from '../helpers/rs-fixtures.js';

const PROTOCOLS = readFileSync(join(FIXTURES, 'show-protocols-all.txt'), 'utf8');
const COUNT = readFileSync(join(FIXTURES, 'show-route-count.txt'), 'utf8');

t.test('show protocols all', async (t) => {
  const p = parseShowProtocolsAll(PROTOCOLS);
  t.same(p.map((x) => x.name), ['m_as64500_v4', 'm_as64500_v6', 'm_as64501_v4', 'm_as64501_v6', 'm_as64502_v4', 'm_as64502_v6', 'm_as64503_v4', 'm_as64503_v6']);
  t.match(p[0], {
    state: 'up',
    since: '2026-11-25 03:11:24',
    info: 'Established',
    description: 'AS64500 Example Networks',
    bgpState: 'Established',
    neighborAddress: '192.0.2.10',
    neighborAs: 64500,
    importLimit: 150,
    routes: { imported: 1, filtered: 2, exported: 0, preferred: 1 },
  });
  t.match(p[2], { state: 'start', bgpState: 'Active', lastError: 'Socket: No route to host', routes: null, importLimit: 1000 });
  t.same(parseShowProtocolsAll('BIRD 2.0.12 ready.\nNo protocols match\n'), []);
  const hit = parseShowProtocolsAll(readFileSync(join(FIXTURES, 'show-protocols-limit-hit.txt'), 'utf8'));
  t.match(hit, [{
    name: 'm_as64500_v4',
    state: 'start',
    info: 'Idle          Automatic shutdown: Route limit exceeded',
    bgpState: 'Idle',
    lastError: 'Automatic shutdown: Route limit exceeded',
    importLimit: 1,
    importLimitHit: true,
  }], 'a session shut down by its max-prefix (action restart)');
});

t.test('show route count', async (t) => {
  t.same(parseShowRouteCount(COUNT), { master4: 1, master6: 1 });
});

t.test('routeServerStatus: every registry session, missing ones marked', async (t) => {
  const config = configFrom(join(repoRoot, 'examples', 'ixfabric.yaml'));
  const seen: string[] = [];
  const runner: CommandRunner = async (cmd, args) => {
    seen.push([cmd, ...args].join(' '));
    const last = args[args.length - 1] ?? '';
    const text = last.startsWith('show protocols') ? PROTOCOLS.replace(/m_as64503_v6[\s\S]*$/, '') : COUNT;
    return { code: 0, stdout: text, stderr: '' };
  };
  const s = await routeServerStatus(config, { runner, socket: '/tmp/x.ctl' });
  t.same(seen, ['birdc -s /tmp/x.ctl show protocols all "m_as*"', 'birdc -s /tmp/x.ctl show route count']);
  t.equal(s.sessions.length, 8);
  t.match(s.sessions[0], { name: 'm_as64500_v4', asn: 64500, memberName: 'Example Networks', family: 4, missing: false });
  t.match(s.sessions[7], { name: 'm_as64503_v6', missing: true, state: 'missing' });
  const table = formatRouteServerStatus(s);
  t.match(table, /^SESSION\s+ASN\s+MEMBER\s+NEIGHBOR\s+STATE\s+SINCE\s+IMPORTED\s+FILTERED\s+EXPORTED\s+INFO\n/);
  t.match(table, /m_as64500_v4\s+64500\s+Example Networks\s+192\.0\.2\.10\s+Established\s+2026-11-25 03:11:24\s+1\s+2\s+0\n/);
  t.match(table, /master4: 1 routes, master6: 1 routes\n$/);
  t.same(JSON.parse(JSON.stringify(s)).tables, { master4: 1, master6: 1 }, 'plain data for --json');
  const down: CommandRunner = async () => ({ code: 1, stdout: '', stderr: 'Unable to connect to server control socket (/tmp/x.ctl): No such file or directory\n' });
  await t.rejects(routeServerStatus(config, { runner: down, socket: '/tmp/x.ctl' }), /cannot reach BIRD on \/tmp\/x.ctl/);
});
