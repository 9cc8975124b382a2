// The IX-F member export validates against the Euro-IX schema 1.0 (shared/schemas, checked
// with ajv: the schema is draft-04, hence ajv-draft-04) and reads back as the same members.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv04 from 'ajv-draft-04';
import * as formatsModule from 'ajv-formats';
import t from 'tap';
import type { Config, MemberConfig } from '../../src/control/config-types.js';
import { exportIxf } from '../../src/control/ixf-export.js';
import { importIxf } from '../../src/control/ixf-import.js';
import { configFrom, fixtureConfig } from '../helpers/rs-fixtures.js';
import { repoRoot, sharedDir } from '../helpers/paths.js';

const SCHEMA = join(sharedDir, 'schemas', 'ixp-member-list-1.0.schema.json');
const NOW = new Date('2024-05-01T12:34:56.789Z');

type Validate = ((data: unknown) => boolean) & { errors?: unknown };
function validator(): Validate {
  if (!existsSync(SCHEMA)) throw new Error(`the IX-F schema is missing: ${SCHEMA} (shared/ must sit beside the repository)`);
  // ajv-draft-04 is CommonJS: its class is the default export under ESM interop
  const Ajv = ((Ajv04 as unknown as { default?: unknown }).default ?? Ajv04) as new (o: object) => { compile(schema: unknown): unknown };
  const ajv = new Ajv({ allErrors: true, strict: false });
  const addFormats = ((formatsModule as unknown as { default?: unknown }).default ?? formatsModule) as (a: unknown) => void;
  addFormats(ajv);
  return ajv.compile(JSON.parse(readFileSync(SCHEMA, 'utf8'))) as Validate;
}

type Comparable = Pick<MemberConfig, 'asn' | 'name' | 'macs' | 'ipv4' | 'ipv6'> & {
  routeServer: { enabled: boolean; asSet: string | null; maxPrefix: { ipv4: number | null; ipv6: number | null } };
};
const comparable = (m: Comparable) => ({
  asn: m.asn,
  name: m.name,
  macs: m.macs,
  ipv4: m.ipv4,
  ipv6: m.ipv6,
  rs: { enabled: m.routeServer.enabled, asSet: m.routeServer.asSet, v4: m.routeServer.maxPrefix.ipv4, v6: m.routeServer.maxPrefix.ipv6 },
});

const REGISTRIES: [string, () => Config][] = [
  ['example', () => configFrom(join(repoRoot, 'examples', 'ixfabric.yaml'))],
  ['every-option', () => fixtureConfig('every-option.yaml')],
  ['members-200', () => fixtureConfig('members-200.yaml')],
  ['small', () => fixtureConfig('small.yaml')],
];

t.test('exports validate against the IX-F schema 1.0', async (t) => {
  const validate = validator();
  for (const [name, load] of REGISTRIES) {
    const doc = exportIxf(load(), { now: NOW });
    t.ok(validate(doc), `${name}: ${JSON.stringify(validate.errors ?? [])}`);
  }
  const broken = exportIxf(fixtureConfig('small.yaml'), { now: NOW }) as { member_list: Record<string, unknown>[] };
  delete broken.member_list[0]?.asnum;
  t.notOk(validate(broken), 'the validator does reject a member without asnum');
});

t.test('what the export says', async (t) => {
  const doc = exportIxf(fixtureConfig('every-option.yaml'), { now: NOW }) as Record<string, any>;
  t.equal(doc.version, '1.0');
  t.equal(doc.timestamp, '2024-05-01T12:34:56Z');
  t.same(doc.ixp_list, [{
    ixp_id: 7, ixf_id: 999, shortname: 'EVERY-IX', name: 'Every Option Internet Exchange', country: 'DE',
    vlan: [{ id: 100, name: 'peering-lan', ipv4: { prefix: '185.201.0.0', mask_length: 24 }, ipv6: { prefix: '2001:7f8:ff::', mask_length: 64 } }],
  }]);
  t.same(doc.member_list[0], {
    asnum: 210500,
    member_type: 'peering',
    name: 'Alpha Networks',
    connection_list: [{
      ixp_id: 7,
      state: 'active',
      vlan_list: [{
        vlan_id: 100,
        ipv4: { address: '185.201.0.10', as_macro: 'AS-ALPHA', max_prefix: 100, routeserver: true, mac_addresses: ['02:00:00:00:05:00'] },
        ipv6: { address: '2001:7f8:ff::10', as_macro: 'AS-ALPHA', max_prefix: 20, routeserver: true, mac_addresses: ['02:00:00:00:05:00'] },
      }],
    }],
  });
  const gamma = doc.member_list[2].connection_list[0].vlan_list;
  t.same(gamma.map((v: any) => [v.ipv4.address, v.ipv6.address]), [['185.201.0.12', undefined], ['185.201.0.13', undefined]], 'the n-th addresses share the n-th vlan_list entry');
  t.equal(doc.member_list[3].connection_list[0].vlan_list[0].ipv4.routeserver, false, 'route_server.enabled: false');
  t.same(doc.member_list[4].connection_list[0].vlan_list, [{
    vlan_id: 100,
    ipv4: { max_prefix: 500, routeserver: true },
    ipv6: { max_prefix: 100, routeserver: true },
  }], 'a member without addresses keeps its settings');
});

t.test('round trip: export, then import, gives the same members', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ixf-rt-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, load] of REGISTRIES) {
    const config = load();
    const doc = exportIxf(config, { now: NOW });
    const direct = importIxf(JSON.parse(JSON.stringify(doc)));
    t.same(direct.errors, [], `${name}: importIxf finds no error`);
    t.same(direct.members.map(comparable), config.members.map(comparable), `${name}: importIxf gives the same members`);
    // The same file as a member source of a registry without YAML members.
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(doc));
    const lan = config.fabric.peeringLan;
    const yaml = `pop: { name: x, underlay: { ipv4: 198.51.100.1 } }
fabric:
  peering_lan: {${lan.ipv4 ? ` ipv4: ${lan.ipv4}` : ''}${lan.ipv4 && lan.ipv6 ? ',' : ''}${lan.ipv6 ? ` ipv6: "${lan.ipv6}"` : ''} }
${config.routeServer ? `route_server: { asn: ${config.routeServer.asn}, router_id: 10.0.0.1${config.routeServer.ipv6 ? `, ipv6: "${config.routeServer.ipv6}"` : ''} }\n` : ''}members_from_ixf: ${name}.json
`;
    writeFileSync(join(dir, `${name}.yaml`), yaml);
    const back = configFrom(join(dir, `${name}.yaml`));
    const withDefaults = config.members.map(comparable);
    t.same(back.members.map(comparable), withDefaults, `${name}: members_from_ixf gives the same members`);
    t.ok(back.members.every((m) => m.source === 'ixf'), `${name}: marked as IX-F members`);
  }
});
