// IX-F member export JSON (Euro-IX schema 1.0, also the older 0.6/0.7 files, which have the
// same member shape) as a source of members: `members_from_ixf: PATH` in the config, so a
// registry exported by another IX tool can feed the fabric and the route server. The file is
// checked here field by field (the schema itself is not shipped at run time); its errors are
// reported at the `members_from_ixf` key with the JSON path in the field, e.g.
// `members_from_ixf.member_list[3].connection_list[0].vlan_list[0].ipv4.address`.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseIPv4, parseIPv6, parseUnicastMac, type IpAddress } from './config-address.js';
import type { MapReader } from './config-reader.js';
import type { At, DraftMember } from './config-schema.js';
import * as v from './config-values.js';
import { asSetName } from './rs-config.js';

export interface IxfMember {
  asn: number;
  name: string;
  macs: string[];
  ipv4: string[];
  ipv6: string[];
  routeServer: {
    /** False only when every address says `routeserver: false`. */
    enabled: boolean;
    asSet: string | null;
    maxPrefix: { ipv4: number | null; ipv6: number | null };
  };
  /** JSON path of the entry, e.g. `member_list[3]`, and of each value taken from it. */
  field: string;
  fields: { macs: string[]; ipv4: string[]; ipv6: string[] };
}

export interface IxfImportError {
  field: string;
  reason: string;
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const isUint = (x: unknown, max: number): x is number => Number.isSafeInteger(x) && (x as number) >= 0 && (x as number) <= max;

/** Members of an IX-F export, in file order, with every problem found. */
export function importIxf(json: unknown): { members: IxfMember[]; errors: IxfImportError[] } {
  const errors: IxfImportError[] = [];
  const err = (field: string, reason: string) => errors.push({ field, reason });
  const members: IxfMember[] = [];
  if (!isObj(json)) {
    err('(document)', 'must be a JSON object (an IX-F member export)');
    return { members, errors };
  }
  if (typeof json.version !== 'string' || !/^(0\.[4-9]|1\.[0-9])$/.test(json.version)) {
    err('version', 'must be an IX-F schema version such as "1.0"');
  }
  if (!Array.isArray(json.member_list)) {
    err('member_list', 'must be a list');
    return { members, errors };
  }
  json.member_list.forEach((entry, i) => {
    const m = readMember(entry, `member_list[${i}]`, err);
    if (m) members.push(m);
  });
  return { members, errors };
}

function readMember(entry: unknown, field: string, err: (f: string, r: string) => void): IxfMember | undefined {
  if (!isObj(entry)) {
    err(field, 'must be an object');
    return undefined;
  }
  const asn = entry.asnum;
  if (!isUint(asn, 4294967295) || asn === 0) {
    err(`${field}.asnum`, 'must be an integer between 1 and 4294967295');
    return undefined;
  }
  let name = `AS${asn}`;
  if (entry.name !== undefined) {
    if (typeof entry.name === 'string' && entry.name.trim() !== '') name = entry.name.trim();
    else err(`${field}.name`, 'must be a non-empty string');
  }
  const m: IxfMember = {
    asn,
    name,
    macs: [],
    ipv4: [],
    ipv6: [],
    routeServer: { enabled: true, asSet: null, maxPrefix: { ipv4: null, ipv6: null } },
    field,
    fields: { macs: [], ipv4: [], ipv6: [] },
  };
  const flags: boolean[] = [];
  const conns = entry.connection_list;
  if (!Array.isArray(conns)) {
    err(`${field}.connection_list`, 'must be a list');
    return m;
  }
  conns.forEach((c, ci) => {
    const cf = `${field}.connection_list[${ci}]`;
    if (!isObj(c)) return err(cf, 'must be an object');
    if (c.vlan_list === undefined) return;
    if (!Array.isArray(c.vlan_list)) return err(`${cf}.vlan_list`, 'must be a list');
    c.vlan_list.forEach((vl, vi) => {
      const vf = `${cf}.vlan_list[${vi}]`;
      if (!isObj(vl)) return err(vf, 'must be an object');
      for (const fam of ['ipv4', 'ipv6'] as const) {
        if (vl[fam] === undefined) continue;
        readFamily(vl[fam], `${vf}.${fam}`, fam, m, flags, err);
      }
    });
  });
  if (flags.length > 0 && flags.every((f) => !f)) m.routeServer.enabled = false;
  return m;
}

function readFamily(
  x: unknown,
  f: string,
  fam: 'ipv4' | 'ipv6',
  m: IxfMember,
  flags: boolean[],
  err: (f: string, r: string) => void,
): void {
  if (!isObj(x)) return err(f, 'must be an object');
  if (x.address !== undefined) {
    const a = typeof x.address === 'string' ? (fam === 'ipv4' ? parseIPv4 : parseIPv6)(x.address.trim()) : undefined;
    if (!a) err(`${f}.address`, `must be an ${fam === 'ipv4' ? 'IPv4' : 'IPv6'} address`);
    else if (!m[fam].includes(a.text)) {
      m[fam].push(a.text);
      m.fields[fam].push(`${f}.address`);
    }
  }
  if (x.routeserver !== undefined) {
    if (typeof x.routeserver === 'boolean') flags.push(x.routeserver);
    else err(`${f}.routeserver`, 'must be true or false');
  }
  if (x.max_prefix !== undefined) {
    // 0 is how several tools say "not set".
    if (!isUint(x.max_prefix, 10000000)) err(`${f}.max_prefix`, 'must be an integer between 0 and 10000000');
    else if (x.max_prefix > 0) m.routeServer.maxPrefix[fam] = x.max_prefix;
  }
  if (x.as_macro !== undefined && x.as_macro !== '') {
    const parsed = asSetName.parse({ value: x.as_macro, source: String(x.as_macro), plain: false, integer: false });
    if (!parsed.ok) err(`${f}.as_macro`, `must be ${asSetName.want}`);
    else if (m.routeServer.asSet === null) m.routeServer.asSet = parsed.value;
  }
  if (x.mac_addresses !== undefined) {
    if (!Array.isArray(x.mac_addresses)) return err(`${f}.mac_addresses`, 'must be a list');
    x.mac_addresses.forEach((mac, i) => {
      const r = typeof mac === 'string' ? parseUnicastMac(mac.trim()) : undefined;
      if (!r?.ok) return err(`${f}.mac_addresses[${i}]`, r?.reason ?? 'must be a MAC address');
      if (!m.macs.includes(r.mac)) {
        m.macs.push(r.mac);
        m.fields.macs.push(`${f}.mac_addresses[${i}]`);
      }
    });
  }
}

/**
 * `members_from_ixf: PATH` (relative paths are relative to the config file): the file's
 * members as draft members. A member whose ASN is also in the YAML `members` list is skipped:
 * the YAML entry wins (so the YAML can add connections and policy to an imported member).
 */
export function readMembersFromIxf(r: MapReader, yaml: DraftMember[]): DraftMember[] {
  const key = 'members_from_ixf';
  const path = r.leaf(key, v.nonEmptyText);
  if (path === undefined) return [];
  const ctx = r.ctx;
  const abs = resolve(dirname(ctx.path), path);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(abs, 'utf8'));
  } catch (e) {
    ctx.error(key, `cannot read the IX-F file ${abs}: ${(e as Error).message}`);
    return [];
  }
  const { members, errors } = importIxf(json);
  for (const e of errors) ctx.error(`${key}.${e.field}`, e.reason, ctx.at(key));
  const taken = new Set(yaml.map((m) => m.asn));
  const at = <T>(values: T[], fields: string[]): At<T>[] =>
    values.map((value, i) => ({ value, field: `${key}.${fields[i] ?? ''}` }));
  const addr = (t: string) => (t.includes(':') ? parseIPv6(t) : parseIPv4(t)) as IpAddress;
  return members
    .filter((m) => !taken.has(m.asn))
    .map((m) => ({
      field: `${key}.${m.field}`,
      asn: m.asn,
      name: m.name,
      macs: at(m.macs, m.fields.macs),
      ipv4: at(m.ipv4.map(addr), m.fields.ipv4),
      ipv6: at(m.ipv6.map(addr), m.fields.ipv6),
      policy: {},
      connections: [],
      routeServer: {
        enabled: m.routeServer.enabled,
        maxPrefix: {
          ipv4: m.routeServer.maxPrefix.ipv4 ?? undefined,
          ipv6: m.routeServer.maxPrefix.ipv6 ?? undefined,
        },
        asSet: m.routeServer.asSet ?? undefined,
      },
      source: 'ixf' as const,
    }));
}
