// The Euro-IX IX-F member export (JSON schema 1.0) of the registry: the exchange (`ixf`
// section), its peering LAN as one VLAN, and every member with its addresses, MACs and
// route-server settings. `ixfabricctl ixf export` prints it; `members_from_ixf` reads the same
// format back (ixf-import.ts), so export -> import gives the same members. A member's n-th
// IPv4 and n-th IPv6 address share the n-th `vlan_list` entry, as IX-F tools expect.

import type { MapReader } from './config-reader.js';
import type { Config, IxfConfig, MemberConfig } from './config-types.js';
import * as v from './config-values.js';
import type { Leaf } from './config-reader.js';

export interface DraftIxf {
  ixpId?: number;
  ixfId?: number;
  shortname?: string;
  name?: string;
  country?: string;
  vlanId?: number;
}

const country: Leaf<string> = {
  want: 'an ISO 3166-1 alpha-2 country code such as NL',
  parse: (s) => {
    const t = typeof s.value === 'string' ? s.value.trim() : '';
    return /^[A-Za-z]{2}$/.test(t) ? { ok: true, value: t.toUpperCase() } : { ok: false };
  },
};

/** Reads the optional `ixf` section. */
export function readIxf(r: MapReader | undefined): DraftIxf {
  if (!r) return { ixpId: 1, ixfId: 0, vlanId: 1 };
  const d: DraftIxf = {
    ixpId: r.opt('ixp_id', v.intRange(0, 2147483647), 1),
    ixfId: r.opt('ixf_id', v.intRange(0, 2147483647), 0),
    shortname: r.leaf('shortname', v.nonEmptyText),
    name: r.leaf('name', v.nonEmptyText),
    country: r.leaf('country', country),
    vlanId: r.opt('vlan_id', v.intRange(0, 2147483647), 1),
  };
  r.done();
  return d;
}

export function normaliseIxf(d: DraftIxf, pop: string): IxfConfig {
  return {
    ixpId: d.ixpId ?? 1,
    ixfId: d.ixfId ?? 0,
    shortname: d.shortname ?? pop,
    name: d.name ?? null,
    country: d.country ?? null,
    vlanId: d.vlanId ?? 1,
  };
}

type Json = Record<string, unknown>;

/** `2024-05-01T12:00:00Z`: the schema's date-time without fractional seconds. */
function timestamp(now: Date): string {
  return `${now.toISOString().slice(0, 19)}Z`;
}

function lanOf(prefix: string | null): Json | undefined {
  if (prefix === null) return undefined;
  const [address, len] = prefix.split('/');
  return { prefix: address, mask_length: Number(len) };
}

function familyEntry(config: Config, m: MemberConfig, fam: 'ipv4' | 'ipv6', address: string | undefined): Json {
  const rs = m.routeServer;
  const out: Json = {};
  if (address !== undefined) out.address = address;
  if (rs.asSet !== null) out.as_macro = rs.asSet;
  out.max_prefix = rs.maxPrefix[fam];
  out.routeserver = config.routeServer !== null && rs.enabled;
  if (m.macs.length > 0) out.mac_addresses = [...m.macs];
  return out;
}

function memberEntry(config: Config, m: MemberConfig): Json {
  // A member without an address yet still gets one entry: its MACs and settings belong to it.
  const n = Math.max(m.ipv4.length, m.ipv6.length, 1);
  const vlanList: Json[] = [];
  for (let i = 0; i < n; i++) {
    const entry: Json = { vlan_id: config.ixf.vlanId };
    if (config.fabric.peeringLan.ipv4 !== null) entry.ipv4 = familyEntry(config, m, 'ipv4', m.ipv4[i]);
    if (config.fabric.peeringLan.ipv6 !== null) entry.ipv6 = familyEntry(config, m, 'ipv6', m.ipv6[i]);
    vlanList.push(entry);
  }
  return {
    asnum: m.asn,
    member_type: 'peering',
    name: m.name,
    connection_list: [{ ixp_id: config.ixf.ixpId, state: 'active', vlan_list: vlanList }],
  };
}

/** The IX-F member export of a registry; `now` sets the timestamp (tests pass a fixed one). */
export function exportIxf(config: Config, opts: { now?: Date } = {}): Json {
  const x = config.ixf;
  const ixp: Json = { ixp_id: x.ixpId, ixf_id: x.ixfId, shortname: x.shortname };
  if (x.name !== null) ixp.name = x.name;
  if (x.country !== null) ixp.country = x.country;
  const vlan: Json = { id: x.vlanId, name: 'peering-lan' };
  const v4 = lanOf(config.fabric.peeringLan.ipv4);
  const v6 = lanOf(config.fabric.peeringLan.ipv6);
  if (v4) vlan.ipv4 = v4;
  if (v6) vlan.ipv6 = v6;
  ixp.vlan = [vlan];
  return {
    version: '1.0',
    timestamp: timestamp(opts.now ?? new Date()),
    ixp_list: [ixp],
    member_list: config.members.map((m) => memberEntry(config, m)),
  };
}
