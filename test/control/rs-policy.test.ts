// The rendered policy, run by a real BIRD without BGP sessions: the route server's config with
// its `protocol bgp` blocks taken out, plus one static protocol per member and family that
// feeds routes (with BGP attributes) through that member's import filter, and one pipe per
// receiving member that applies its export filter into a view table. Then `birdc` shows what
// was filtered and why, and what each member would receive. The live BGP test runs the same
// filters over real sessions.
import t, { type Test } from 'tap';
import type { Config } from '../../src/control/config-types.js';
import { explainLargeCommunity } from '../../src/control/rs-communities.js';
import { renderRouteServer } from '../../src/control/rs-render.js';
import { fixtureConfig, fixtureInputs, startBird, type BirdDaemon } from '../helpers/rs-fixtures.js';

interface Feed {
  id: string;
  from: number;
  prefix: string;
  path?: number[];
  nextHop?: string;
  communities?: [number, number][];
  large?: [number, number, number][];
}

interface Route {
  prefix: string;
  proto: string;
  attrs: Record<string, string>;
}

/** Parses `birdc show route all` output. */
function parseRoutes(text: string): Route[] {
  const out: Route[] = [];
  let prefix = '';
  for (const line of text.split('\n')) {
    const head = /^(\S+)?\s+\S+ \[(\S+) /.exec(line);
    if (head && !line.startsWith('\t')) {
      if (head[1] && head[1] !== 'Table') prefix = head[1];
      out.push({ prefix, proto: head[2] ?? '', attrs: {} });
      continue;
    }
    const kv = /^\t([^:]+):\s*(.*)$/.exec(line);
    const cur = out[out.length - 1];
    if (kv && cur) cur.attrs[kv[1] ?? ''] = kv[2] ?? '';
  }
  return out;
}

function harness(config: Config, text: string, feeds: Feed[], viewers: number[]): string {
  const stripped = text.replace(/^(protocol|template) bgp [^\n]*\{\n(?:.*\n)*?\}\n/gm, '');
  const fam = (p: string) => (p.includes(':') ? 6 : 4);
  const member = (asn: number) => {
    const m = config.members.find((x) => x.asn === asn);
    if (!m) throw new Error(`no member AS${asn}`);
    return m;
  };
  const blocks: string[] = [stripped];
  const groups = new Map<string, Feed[]>();
  for (const f of feeds) {
    const key = `${f.from}_v${fam(f.prefix)}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  for (const [key, list] of groups) {
    const v = key.endsWith('v6') ? 6 : 4;
    const m = member(list[0]?.from ?? 0);
    const routes = list.map((f) => {
      const attrs = [...(f.path ?? [f.from])].reverse().map((a) => `bgp_path.prepend(${a});`);
      attrs.push(`bgp_next_hop = ${f.nextHop ?? (v === 4 ? m.ipv4[0] : m.ipv6[0])};`);
      for (const c of f.communities ?? []) attrs.push(`bgp_community.add((${c.join(', ')}));`);
      for (const c of f.large ?? []) attrs.push(`bgp_large_community.add((${c.join(', ')}));`);
      return `  route ${f.prefix} blackhole { ${attrs.join(' ')} };`;
    });
    blocks.push(`protocol static feed_as${key} {
  ipv${v} { table master${v}; import keep filtered on; import filter m_as${key}_import; };
${routes.join('\n')}
}`);
  }
  for (const asn of viewers) {
    for (const v of [4, 6]) {
      if (!text.includes(`filter m_as${asn}_v${v}_export {`)) continue;
      blocks.push(`ipv${v} table view_as${asn}_v${v};
protocol pipe out_as${asn}_v${v} {
  table master${v}; peer table view_as${asn}_v${v}; import none; export filter m_as${asn}_v${v}_export;
}`);
    }
  }
  return `${blocks.join('\n\n')}\n`;
}

interface Outcome {
  filtered: Map<string, number[]>;
  accepted: Map<string, Route>;
  views: Map<number, Map<string, Route>>;
}

async function run(t: Test, name: string, feeds: Feed[], viewers: number[]): Promise<Outcome> {
  const config = fixtureConfig(`${name}.yaml`);
  const rsAsn = config.routeServer?.asn ?? 0;
  const text = harness(config, renderRouteServer(config, await fixtureInputs(config, name)), feeds, viewers);
  // RS_DEBUG=1 keeps the harness config for inspection.
  if (process.env.RS_DEBUG) (await import('node:fs')).writeFileSync(`/tmp/harness-${name}.conf`, text);
  const bird: BirdDaemon = await startBird(text);
  t.teardown(() => bird.stop());
  await new Promise((r) => setTimeout(r, 300));
  const byId = (routes: Route[]) => new Map(routes.map((r) => [feeds.find((f) => f.prefix === r.prefix)?.id ?? r.prefix, r]));
  const filtered = new Map<string, number[]>();
  for (const r of parseRoutes(bird.birdc('show route all filtered'))) {
    const id = feeds.find((f) => f.prefix === r.prefix)?.id ?? r.prefix;
    const reasons = [...(r.attrs['BGP.large_community'] ?? '').matchAll(/\((\d+), 1101, (\d+)\)/g)]
      .filter((m) => Number(m[1]) === rsAsn)
      .map((m) => Number(m[2]));
    filtered.set(id, reasons);
  }
  const accepted = byId([...parseRoutes(bird.birdc('show route all table master4')), ...parseRoutes(bird.birdc('show route all table master6'))]);
  const views = new Map<number, Map<string, Route>>();
  for (const asn of viewers) {
    views.set(asn, byId([
      ...parseRoutes(bird.birdc(`show route all table view_as${asn}_v4`)),
      ...(text.includes(`table view_as${asn}_v6;`) ? parseRoutes(bird.birdc(`show route all table view_as${asn}_v6`)) : []),
    ]));
  }
  return { filtered, accepted, views };
}

// Route server 4200000100 (large communities only), IRR, RPKI, blackhole next hops, graceful shutdown.
const RS = 4200000100;
const A = 210500;
const B = 210501;
const Z = 210600;

t.test('every-option registry: each check rejects with its reason, the rest is accepted', async (t) => {
  const feeds: Feed[] = [
    { id: 'ok', from: A, prefix: '185.1.0.0/24' },
    { id: 'too-long', from: A, prefix: '185.1.1.0/25' },
    { id: 'bogon', from: A, prefix: '10.0.0.0/16' },
    { id: 'peering-lan', from: A, prefix: '185.201.0.0/25' },
    { id: 'first-as', from: A, prefix: '185.5.2.0/24', path: [B] },
    { id: 'transit-free', from: A, prefix: '185.5.3.0/24', path: [A, 174, 210510] },
    { id: 'next-hop', from: A, prefix: '185.5.4.0/24', nextHop: '185.201.0.11' },
    { id: 'irr-prefix', from: A, prefix: '185.8.0.0/24' },
    { id: 'irr-origin', from: A, prefix: '185.1.0.0/22', path: [A, 210777] },
    { id: 'rpki-invalid', from: A, prefix: '185.1.4.0/24' },
    { id: 'too-short', from: A, prefix: '8.0.0.0/9' },
    { id: 'path-too-long', from: A, prefix: '185.5.1.0/24', path: Array(25).fill(A) },
    { id: 'blackhole', from: A, prefix: '185.1.0.1/32', communities: [[65535, 666]] },
    { id: 'scrub-gs', from: A, prefix: '185.1.1.0/24', communities: [[65535, 0]], large: [[RS, 1101, 3], [RS, 1000, 1]] },
    { id: 'not-to-b', from: A, prefix: '185.1.2.0/24', large: [[RS, 0, B]] },
    { id: 'only-to-z', from: A, prefix: '185.1.3.0/24', large: [[RS, 0, 0], [RS, 1, Z]] },
    { id: 'prepend-b', from: A, prefix: '185.1.0.0/23', large: [[RS, 102, B]] },
    { id: 'v6-ok', from: A, prefix: '2a0c:1::/48' },
    { id: 'v6-ula', from: A, prefix: 'fc00::/48' },
    { id: 'v6-too-long', from: A, prefix: '2a0c:1::/56' },
    { id: 'v6-not-global', from: A, prefix: '4000::/16' },
    { id: 'v6-blackhole-too-long', from: A, prefix: '2a0c:1:1::/128', communities: [[65535, 666]] },
    { id: 'v6-blackhole', from: A, prefix: '2a0c:1:1::/64', communities: [[65535, 666]] },
    { id: 'zeta-ok', from: Z, prefix: '185.6.0.0/24' },
  ];
  const o = await run(t, 'every-option', feeds, [B, Z]);
  const expected: Record<string, number> = {
    'too-long': 1, bogon: 3, 'peering-lan': 16, 'first-as': 7, 'transit-free': 14, 'next-hop': 8,
    'irr-prefix': 9, 'irr-origin': 10, 'rpki-invalid': 13, 'too-short': 2, 'path-too-long': 5,
    'v6-ula': 3, 'v6-too-long': 1, 'v6-not-global': 3, 'v6-blackhole-too-long': 1,
  };
  for (const [id, reason] of Object.entries(expected)) {
    t.same(o.filtered.get(id), [reason], `${id}: kept as filtered with (RS, 1101, ${reason}) = ${explainLargeCommunity(RS, [RS, 1101, reason])}`);
  }
  t.same([...o.filtered.keys()].sort(), Object.keys(expected).sort(), 'nothing else is filtered');
  const lc = (id: string) => o.accepted.get(id)?.attrs['BGP.large_community'] ?? '';
  t.match(lc('ok'), `(${RS}, 1000, 1)`, 'RPKI valid tag');
  t.match(lc('ok'), `(${RS}, 1001, 1)`, 'IRR valid tag');
  t.match(lc('blackhole'), `(${RS}, 1000, 3)`, 'blackhole routes are not RPKI checked');
  t.notMatch(lc('scrub-gs'), `(${RS}, 1101, 3)`, "a member cannot set the route server's own tags");
  t.equal(o.accepted.get('scrub-gs')?.attrs['BGP.local_pref'], '0', 'GRACEFUL_SHUTDOWN from a member: local pref 0');

  const b = o.views.get(B) ?? new Map<string, Route>();
  const z = o.views.get(Z) ?? new Map<string, Route>();
  t.ok(b.has('ok') && z.has('ok'), 'a plain route reaches every member');
  t.notOk(b.has('not-to-b'), `(${RS}, 0, ${B}): not to B`);
  t.ok(z.has('not-to-b'), '... but to Z');
  t.notOk(b.has('only-to-z'), `(${RS}, 0, 0) + (${RS}, 1, ${Z}): not to B`);
  t.ok(z.has('only-to-z'), '... only to Z');
  t.equal(b.get('prepend-b')?.attrs['BGP.as_path'], `${A} ${A} ${A}`, `(${RS}, 102, ${B}): prepended twice towards B`);
  t.equal(z.get('prepend-b')?.attrs['BGP.as_path'], `${A}`, '... not towards Z');
  t.notMatch(z.get('only-to-z')?.attrs['BGP.large_community'] ?? '', `(${RS}, 1, `, 'action communities are removed on export');
  t.match(z.get('only-to-z')?.attrs['BGP.large_community'] ?? '', `(${RS}, 1000, 1)`, 'informational tags stay');
  const bh = b.get('blackhole');
  t.equal(bh?.attrs['BGP.next_hop'], '185.201.0.66', 'blackhole: next hop rewritten to blackhole.next_hop_ipv4');
  t.match(bh?.attrs['BGP.community'] ?? '', '(65535,65281)', 'blackhole: NO_EXPORT added');
  t.match(b.get('ok')?.attrs['BGP.community'] ?? '', '(65535,0)', 'route_server.graceful_shutdown tags every route sent');
  t.equal(b.get('v6-blackhole')?.attrs['BGP.next_hop'], '2001:7f8:ff::66', 'IPv6 blackhole next hop');
  t.ok(b.has('v6-ok'), 'IPv6 route reaches B');
  t.ok(b.has('zeta-ok'), 'a route from the IX-F member reaches B');
});

t.test('small registry: standard action communities (16-bit route-server ASN)', async (t) => {
  const [RS16, ALPHA, BETA, GAMMA] = [64510, 210500, 210501, 64601];
  const feeds: Feed[] = [
    { id: 'not-to-gamma', from: ALPHA, prefix: '185.1.0.0/24', communities: [[0, GAMMA]] },
    { id: 'only-to-gamma', from: ALPHA, prefix: '185.1.1.0/24', communities: [[0, RS16], [RS16, GAMMA]] },
    { id: 'only-to-beta', from: ALPHA, prefix: '185.1.2.0/24', communities: [[0, RS16]], large: [[RS16, 1, BETA]] },
    { id: 'plain', from: ALPHA, prefix: '185.1.3.0/24', communities: [[0, 99], [RS16, 123], [65000, 1]] },
    { id: 'blackhole', from: ALPHA, prefix: '185.1.3.1/32', communities: [[65535, 666]] },
    { id: 'gamma-transit-free', from: GAMMA, prefix: '185.7.0.0/24', path: [GAMMA, 174] },
    { id: 'gamma-ok', from: GAMMA, prefix: '185.7.1.0/24' },
  ];
  const o = await run(t, 'small', feeds, [BETA, GAMMA]);
  t.same([...o.filtered.entries()], [['gamma-transit-free', [14]]], 'only the path through AS174 is filtered');
  const beta = o.views.get(BETA) ?? new Map<string, Route>();
  const gamma = o.views.get(GAMMA) ?? new Map<string, Route>();
  t.ok(beta.has('not-to-gamma') && !gamma.has('not-to-gamma'), `0:${GAMMA} keeps it from Gamma only`);
  t.ok(gamma.has('only-to-gamma') && !beta.has('only-to-gamma'), `0:${RS16} + ${RS16}:${GAMMA}: only Gamma`);
  t.ok(beta.has('only-to-beta') && !gamma.has('only-to-beta'), `0:${RS16} + (${RS16}, 1, ${BETA}): only Beta (32-bit peer)`);
  t.equal(beta.get('plain')?.attrs['BGP.community'], '(65000,1)', 'action communities removed, the member\'s own kept');
  t.match(beta.get('plain')?.attrs['BGP.large_community'] ?? '', `(${RS16}, 1001, 2)`, 'IRR not checked tag');
  t.match(beta.get('plain')?.attrs['BGP.large_community'] ?? '', `(${RS16}, 1000, 3)`, 'RPKI not checked tag');
  t.equal(beta.get('blackhole')?.attrs['BGP.next_hop'], '185.201.0.10', 'no blackhole next hop configured: kept');
  t.ok(beta.has('gamma-ok'), 'a 16-bit member route reaches Beta');
});
