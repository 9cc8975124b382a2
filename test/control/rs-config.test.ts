// The route_server section and members' route_server maps: defaults, normalisation and every
// error in the loader's `PATH:LINE:COLUMN: FIELD: reason` style.
import t from 'tap';
import { formatConfigError, parseConfig } from '../../src/control/config-load.js';
import type { Config } from '../../src/control/config-types.js';
import { DEFAULT_TRANSIT_FREE_ASNS } from '../../src/control/rs-bogons.js';

// Lines 1-9; the sections under test follow on line 10.
const HEADER = `pop:
  name: fmt
  underlay:
    ipv4: 198.51.100.1
    ipv6: 2001:db8:100::1
fabric:
  peering_lan:
    ipv4: 185.201.0.0/24
    ipv6: 2001:7f8:ff::/64
`;

function errorsOf(text: string): string[] {
  const r = parseConfig(text, 'cfg.yaml');
  return r.ok ? [] : r.errors.map(formatConfigError);
}

function configOf(text: string): Config {
  const r = parseConfig(text, 'cfg.yaml');
  if (!r.ok) throw new Error(r.errors.map(formatConfigError).join('\n'));
  return r.config;
}

t.test('defaults', async (t) => {
  const c = configOf(`${HEADER}route_server:
  asn: 64510
  ipv4: 185.201.0.1
members:
  - { asn: 210500, name: A, ipv4: [185.201.0.10] }
`);
  t.same(c.routeServer, {
    asn: 64510,
    routerId: '185.201.0.1',
    ipv4: '185.201.0.1',
    ipv6: null,
    birdConfig: '/etc/bird/bird.conf',
    birdcSocket: '/run/bird/bird.ctl',
    maxAsPath: 32,
    prefixLen: { ipv4: { min: 8, max: 24 }, ipv6: { min: 12, max: 48 } },
    transitFreeAsns: [...DEFAULT_TRANSIT_FREE_ASNS].sort((a, b) => a - b),
    maxPrefix: { ipv4: 1000, ipv6: 1000, action: 'restart' },
    rpki: { roaFile: null },
    irr: { enabled: false, sources: [], server: null, cacheTtlS: 86400 },
    blackhole: { enabled: true, maxLenIpv4: 32, maxLenIpv6: 128, nextHopIpv4: null, nextHopIpv6: null },
    gracefulShutdown: false,
  });
  t.same(c.members[0]?.routeServer, {
    enabled: true,
    maxPrefix: { ipv4: 1000, ipv6: 1000, action: 'restart' },
    asSet: null,
    passive: false,
  });
  t.same(c.ixf, { ixpId: 1, ixfId: 0, shortname: 'fmt', name: null, country: null, vlanId: 1 });
  t.equal(configOf(HEADER).routeServer, null, 'no section, no route server');
});

t.test('member settings override the section; values are normalised', async (t) => {
  const c = configOf(`${HEADER}route_server:
  asn: 4200000100
  router_id: 10.0.0.1
  ipv6: 2001:7F8:FF:0::1
  max_prefix: { ipv4: 500, action: disable }
  transit_free_asns: [3356, 174, 3356]
  irr: { enabled: true, sources: [ripe, Arin], server: "rr.example.net:4343" }
members:
  - asn: 210500
    name: A
    route_server: { as_set: "ripe::as-alpha", max_prefix: { ipv6: 7 }, passive: true, enabled: false }
`);
  t.equal(c.routeServer?.ipv6, '2001:7f8:ff::1');
  t.same(c.routeServer?.transitFreeAsns, [174, 3356]);
  t.same(c.routeServer?.irr, { enabled: true, sources: ['RIPE', 'ARIN'], server: 'rr.example.net:4343', cacheTtlS: 86400 });
  t.same(c.members[0]?.routeServer, {
    enabled: false,
    maxPrefix: { ipv4: 500, ipv6: 7, action: 'disable' },
    asSet: 'RIPE::AS-ALPHA',
    passive: true,
  });
});

t.test('errors in the route_server section', async (t) => {
  t.same(
    errorsOf(`${HEADER}route_server:
  asn: AS64510
  ipv4: 185.202.0.1
  ipv6: 2001:7f8:ff::10
  bird_config: bird.conf
  max_as_path: 0
  prefix_len:
    ipv4: { min: 25, max: 24 }
    ipv7: {}
  max_prefix: { ipv4: 0, action: reboot }
  transit_free_asns: [174, -1]
  rpki: { roa_file: roas.json }
  irr: { enabled: yes, sources: ["RIPE NCC"], server: "rr example", cache_ttl_s: -5 }
  blackhole: { max_len_ipv4: 20, next_hop_ipv6: 2001:db8::66 }
  graceful_shutdown: 1
  colour: blue
members:
  - asn: 210500
    name: A
    ipv6: [2001:7f8:ff::10]
`),
    [
      'cfg.yaml:11:8: route_server.asn: must be an integer between 1 and 4294967295',
      'cfg.yaml:12:9: route_server.ipv4: 185.202.0.1 is outside the peering LAN 185.201.0.0/24',
      'cfg.yaml:13:9: route_server.ipv6: 2001:7f8:ff::10 is also an address of members[0]',
      'cfg.yaml:14:16: route_server.bird_config: must be an absolute path',
      'cfg.yaml:15:16: route_server.max_as_path: must be an integer between 1 and 255',
      'cfg.yaml:17:27: route_server.prefix_len.ipv4.max: must not be smaller than min (25)',
      'cfg.yaml:18:5: route_server.prefix_len.ipv7: unknown key',
      'cfg.yaml:19:23: route_server.max_prefix.ipv4: must be an integer between 1 and 10000000',
      'cfg.yaml:19:34: route_server.max_prefix.action: must be one of restart, disable, warn, block',
      'cfg.yaml:20:28: route_server.transit_free_asns[1]: must be an integer between 1 and 4294967295',
      'cfg.yaml:21:21: route_server.rpki.roa_file: must be an absolute path',
      'cfg.yaml:22:19: route_server.irr.enabled: must be true or false',
      'cfg.yaml:22:34: route_server.irr.sources[0]: must be an IRR source name such as RIPE or ARIN',
      'cfg.yaml:22:55: route_server.irr.server: must be a whois server host or host:port, e.g. rr.ntt.net',
      'cfg.yaml:22:82: route_server.irr.cache_ttl_s: must be an integer between 0 and 31536000',
      'cfg.yaml:23:30: route_server.blackhole.max_len_ipv4: must not be smaller than prefix_len.ipv4.max (24)',
      'cfg.yaml:23:49: route_server.blackhole.next_hop_ipv6: 2001:db8::66 is outside the peering LAN 2001:7f8:ff::/64',
      'cfg.yaml:24:22: route_server.graceful_shutdown: must be true or false',
      'cfg.yaml:25:3: route_server.colour: unknown key',
    ],
  );
});

t.test('required keys and address rules', async (t) => {
  t.same(errorsOf(`${HEADER}route_server:
  bird_config: /etc/bird/bird.conf
`), [
    'cfg.yaml:11:3: route_server.asn: required',
    'cfg.yaml:11:3: route_server: needs an ipv4 or an ipv6 address (or both)',
  ]);
  t.same(errorsOf(`${HEADER}route_server:
  asn: 64510
  ipv6: 2001:7f8:ff::1
`), ['cfg.yaml:11:3: route_server.router_id: required when the route server has no ipv4 address']);
  t.same(errorsOf(`${HEADER}route_server: { asn: 64510, ipv4: 185.201.0.0 }
`), ['cfg.yaml:10:35: route_server.ipv4: 185.201.0.0 is the network or broadcast address of 185.201.0.0/24']);
  // The route server's own port: a member entry without sessions may carry its addresses.
  const own = configOf(`${HEADER}route_server: { asn: 64510, ipv4: 185.201.0.1, ipv6: 2001:7f8:ff::1 }
members:
  - { asn: 64510, name: RS port, ipv4: [185.201.0.1], ipv6: [2001:7f8:ff::1], route_server: { enabled: false } }
`);
  t.same(own.members[0]?.ipv4, ['185.201.0.1'], "the route server's port member holds its address");
  t.same(errorsOf(`${HEADER}route_server: { asn: 64510, ipv4: 185.201.0.1 }
members:
  - { asn: 64511, name: A, ipv4: [185.201.0.1] }
`), ['cfg.yaml:10:35: route_server.ipv4: 185.201.0.1 is also an address of members[0]'], 'but not a member with sessions');
});

t.test('errors in a member route_server map', async (t) => {
  t.same(
    errorsOf(`${HEADER}members:
  - asn: 210500
    name: A
    route_server:
      enabled: maybe
      as_set: "AS-FOO AS-BAR"
      max_prefix: { ipv6: 1.5, action: warn, extra: 1 }
      passive: "no"
      community: 1
`),
    [
      'cfg.yaml:14:16: members[0].route_server.enabled: must be true or false',
      'cfg.yaml:15:15: members[0].route_server.as_set: must be an AS-SET or aut-num name such as AS-EXAMPLE, AS64500:AS-CUSTOMERS or RIPE::AS-EXAMPLE',
      'cfg.yaml:16:27: members[0].route_server.max_prefix.ipv6: must be an integer between 1 and 10000000',
      'cfg.yaml:16:46: members[0].route_server.max_prefix.extra: unknown key',
      'cfg.yaml:17:16: members[0].route_server.passive: must be true or false',
      'cfg.yaml:18:7: members[0].route_server.community: unknown key',
    ],
  );
});

t.test('errors in the ixf section', async (t) => {
  t.same(errorsOf(`${HEADER}ixf:
  shortname: ""
  country: Netherlands
  ixf_id: -1
  url: https://example.net
`), [
    'cfg.yaml:11:14: ixf.shortname: must be a non-empty string',
    'cfg.yaml:12:12: ixf.country: must be an ISO 3166-1 alpha-2 country code such as NL',
    'cfg.yaml:13:11: ixf.ixf_id: must be an integer between 0 and 2147483647',
    'cfg.yaml:14:3: ixf.url: unknown key',
  ]);
});
