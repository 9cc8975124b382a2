// Golden files: each registry renders byte-identically to test/fixtures/rs/<name>.bird.conf
// (UPDATE_GOLDEN=1 rewrites them), twice in a row gives the same bytes, and the real
// `bird -p -c` accepts every golden file.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parseConfig } from '../../src/control/config-load.js';
import { renderRouteServer, routeServerSessions, sessionName } from '../../src/control/rs-render.js';
import { FIXTURES, birdParse, configFrom, fixtureConfig, fixtureInputs, generateMembers200 } from '../helpers/rs-fixtures.js';
import { repoRoot } from '../helpers/paths.js';

const UPDATE = process.env.UPDATE_GOLDEN === '1';

t.test('the 200-member registry is the generated one', async (t) => {
  const file = join(FIXTURES, 'members-200.yaml');
  if (UPDATE) writeFileSync(file, generateMembers200());
  t.equal(readFileSync(file, 'utf8'), generateMembers200(), 'regenerate with UPDATE_GOLDEN=1');
});

for (const name of ['small', 'members-200', 'every-option']) {
  t.test(`golden ${name}.bird.conf`, async (t) => {
    const config = fixtureConfig(`${name}.yaml`);
    const inputs = await fixtureInputs(config, name);
    const text = renderRouteServer(config, inputs);
    const golden = join(FIXTURES, `${name}.bird.conf`);
    if (UPDATE) writeFileSync(golden, text);
    t.ok(existsSync(golden), `${golden} exists (UPDATE_GOLDEN=1 creates it)`);
    t.equal(text, readFileSync(golden, 'utf8'), 'byte-identical to the golden file');
    const again = renderRouteServer(fixtureConfig(`${name}.yaml`), await fixtureInputs(config, name));
    t.equal(again, text, 'rendering twice gives the same bytes');
    const parsed = birdParse(readFileSync(golden, 'utf8'));
    t.ok(parsed.ok, `bird -p accepts it${parsed.output ? `: ${parsed.output}` : ''}`);
  });
}

t.test('session names are deterministic and documented', async (t) => {
  t.equal(sessionName(64500, 4), 'm_as64500_v4');
  t.equal(sessionName(64500, 6, 1), 'm_as64500_v6_2');
  const sessions = routeServerSessions(fixtureConfig('every-option.yaml'));
  t.same(
    sessions.map((s) => `${s.name} ${s.neighbor}`),
    [
      'm_as210500_v4 185.201.0.10',
      'm_as210500_v6 2001:7f8:ff::10',
      'm_as210501_v4 185.201.0.11',
      'm_as210501_v6 2001:7f8:ff::11',
      'm_as210502_v4 185.201.0.12',
      'm_as210502_v4_2 185.201.0.13',
      'm_as210600_v4 185.201.0.60',
      'm_as210600_v6 2001:7f8:ff::60',
      'm_as210601_v4 185.201.0.61',
    ],
    'disabled members and members without addresses have none; IX-F members follow the YAML ones',
  );
});

t.test('policy-only changes leave the protocol blocks alone', async (t) => {
  const base = readFileSync(join(FIXTURES, 'small.yaml'), 'utf8');
  const render = (text: string) => {
    const r = parseConfig(text, 'small.yaml');
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    return renderRouteServer(r.config);
  };
  const protocols = (text: string) => text.split('\n\n').filter((b) => b.includes('protocol bgp ')).join('\n\n');
  const a = render(base);
  const b = render(base.replace('  ipv6: 2001:7f8:ff::1\n', '  ipv6: 2001:7f8:ff::1\n  max_as_path: 20\n  transit_free_asns: [174]\n'));
  t.not(a, b, 'the config changed');
  t.equal(protocols(a), protocols(b), 'every protocol bgp block is unchanged');
});

t.test('missing inputs are refused, not rendered as empty filters', async (t) => {
  const c = fixtureConfig('every-option.yaml');
  t.throws(() => renderRouteServer(c, {}), /no ROAs/);
  t.throws(() => renderRouteServer(c, { roas: [] }), /no IRR data for AS210500/);
  const noRs = fixtureConfig('small.yaml');
  t.throws(() => renderRouteServer({ ...noRs, routeServer: null }), /no route_server section/);
});

t.test('the example config renders and bird -p accepts it', async (t) => {
  const text = renderRouteServer(configFrom(join(repoRoot, 'examples', 'ixfabric.yaml')));
  t.match(text, 'protocol bgp m_as64500_v4 from rs_client_v4 {');
  const parsed = birdParse(text);
  t.ok(parsed.ok, parsed.output);
});
