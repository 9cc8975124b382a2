// IX-F member exports as a member source: importIxf's field-by-field checks, and
// `members_from_ixf` in the config (YAML members win, errors at the key with the JSON path).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { formatConfigError, loadConfig } from '../../src/control/config-load.js';
import { importIxf } from '../../src/control/ixf-import.js';
import { fixtureConfig } from '../helpers/rs-fixtures.js';

t.test('members of an IX-F export', async (t) => {
  const { members, errors } = importIxf({
    version: '0.6',
    member_list: [
      {
        asnum: 64500,
        name: ' Alpha ',
        connection_list: [
          { ixp_id: 1, vlan_list: [
            { ipv4: { address: '192.0.2.10', routeserver: false, max_prefix: 0, as_macro: 'as-alpha', mac_addresses: ['02:00:00:00:00:01'] },
              ipv6: { address: '2001:DB8::10', routeserver: false, max_prefix: 20, mac_addresses: ['02-00-00-00-00-01'] } },
          ] },
          { ixp_id: 2, state: 'active', if_list: [{ switch_id: 1 }] },
          { ixp_id: 1, vlan_list: [{ ipv4: { address: '192.0.2.10' } }, { ipv4: { address: '192.0.2.11' } }] },
        ],
      },
      { asnum: 64501, connection_list: [] },
    ],
  });
  t.same(errors, []);
  t.same(members.map(({ field, fields, ...m }) => m), [
    {
      asn: 64500,
      name: 'Alpha',
      macs: ['02:00:00:00:00:01'],
      ipv4: ['192.0.2.10', '192.0.2.11'],
      ipv6: ['2001:db8::10'],
      routeServer: { enabled: false, asSet: 'AS-ALPHA', maxPrefix: { ipv4: null, ipv6: 20 } },
    },
    { asn: 64501, name: 'AS64501', macs: [], ipv4: [], ipv6: [], routeServer: { enabled: true, asSet: null, maxPrefix: { ipv4: null, ipv6: null } } },
  ], 'addresses and MACs deduplicated, max_prefix 0 = not set, no name = AS<asn>');
});

t.test('every problem is reported with its JSON path', async (t) => {
  t.same(importIxf([]).errors, [{ field: '(document)', reason: 'must be a JSON object (an IX-F member export)' }]);
  t.same(importIxf({ version: 1 }).errors.map((e) => e.field), ['version', 'member_list']);
  const r = importIxf({
    version: '1.0',
    member_list: [
      'x',
      { asnum: 'AS1', connection_list: [] },
      { asnum: 64502, name: '', connection_list: {} },
      { asnum: 64503, connection_list: [{ vlan_list: [{ ipv4: { address: '2001:db8::1', routeserver: 'yes', max_prefix: -1, as_macro: 'AS FOO', mac_addresses: ['01:00:5e:00:00:01'] }, ipv6: 'x' }] }] },
    ],
  });
  t.same(r.errors.map((e) => `${e.field}: ${e.reason}`), [
    'member_list[0]: must be an object',
    'member_list[1].asnum: must be an integer between 1 and 4294967295',
    'member_list[2].name: must be a non-empty string',
    'member_list[2].connection_list: must be a list',
    'member_list[3].connection_list[0].vlan_list[0].ipv4.address: must be an IPv4 address',
    'member_list[3].connection_list[0].vlan_list[0].ipv4.routeserver: must be true or false',
    'member_list[3].connection_list[0].vlan_list[0].ipv4.max_prefix: must be an integer between 0 and 10000000',
    'member_list[3].connection_list[0].vlan_list[0].ipv4.as_macro: must be an AS-SET or aut-num name such as AS-EXAMPLE, AS64500:AS-CUSTOMERS or RIPE::AS-EXAMPLE',
    'member_list[3].connection_list[0].vlan_list[0].ipv4.mac_addresses[0]: must be a unicast MAC (multicast bit of the first octet set)',
    'member_list[3].connection_list[0].vlan_list[0].ipv6: must be an object',
  ]);
});

t.test('members_from_ixf in the config', async (t) => {
  const c = fixtureConfig('every-option.yaml');
  t.same(c.members.map((m) => `${m.asn} ${m.source} ${m.name}`), [
    '210500 yaml Alpha Networks',
    '210501 yaml Beta Networks',
    '210502 yaml Gamma Two Routers',
    '210503 yaml Delta (no route server)',
    '210504 yaml Epsilon (no address yet)',
    '210600 ixf Zeta from IX-F',
    '210601 ixf AS210601',
  ], 'YAML members first; the IX-F entry for AS210500 is skipped (the YAML one wins)');
  t.same(c.members[5]?.routeServer, { enabled: true, maxPrefix: { ipv4: 300, ipv6: 100, action: 'disable' }, asSet: 'AS-ZETA', passive: false });
  t.same(c.members[5]?.macs, ['02:00:00:00:06:00']);
  t.same(c.members[5]?.ipv6, ['2001:7f8:ff::60']);

  const dir = mkdtempSync(join(tmpdir(), 'ixf-import-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cfg = join(dir, 'cfg.yaml');
  const write = (json: unknown, extra = '') => {
    writeFileSync(join(dir, 'm.json'), JSON.stringify(json));
    writeFileSync(cfg, `pop: { name: x, underlay: { ipv4: 198.51.100.1 } }
fabric: { peering_lan: { ipv4: 185.201.0.0/24 } }
${extra}members_from_ixf: m.json
`);
    const r = loadConfig(cfg);
    return r.ok ? [] : r.errors.map(formatConfigError);
  };
  t.same(write({ version: '1.0', member_list: [{ asnum: 0, connection_list: [] }] }), [
    `${cfg}:3:19: members_from_ixf.member_list[0].asnum: must be an integer between 1 and 4294967295`,
  ]);
  t.same(
    write({ version: '1.0', member_list: [
      { asnum: 1, connection_list: [{ vlan_list: [{ ipv4: { address: '185.201.1.1' } }] }] },
      { asnum: 1, connection_list: [{ vlan_list: [{ ipv4: { address: '185.201.0.9', mac_addresses: ['02:00:00:00:00:09'] } }] }] },
    ] }, 'members: [{ asn: 2, name: Y, macs: ["02:00:00:00:00:09"] }]\n'),
    [
      `${cfg}:4:19: members_from_ixf.member_list[0].connection_list[0].vlan_list[0].ipv4.address: 185.201.1.1 is outside the peering LAN 185.201.0.0/24`,
      `${cfg}:4:19: members_from_ixf.member_list[1].asn: duplicate ASN 1 (also members_from_ixf.member_list[0])`,
      `${cfg}:4:19: members_from_ixf.member_list[1].connection_list[0].vlan_list[0].ipv4.mac_addresses[0]: MAC 02:00:00:00:00:09 is also a MAC of members[0] (AS2)`,
    ].sort(),
  );
  writeFileSync(cfg, 'pop: { name: x, underlay: { ipv4: 198.51.100.1 } }\nfabric: { peering_lan: { ipv4: 185.201.0.0/24 } }\nmembers_from_ixf: nope.json\n');
  const r = loadConfig(cfg);
  t.match(r.ok ? [] : r.errors.map(formatConfigError), [new RegExp(`^${cfg}:3:19: members_from_ixf: cannot read the IX-F file ${dir}/nope.json: ENOENT`)]);
});
