// The `route_server` section and the members' `route_server` maps: reading (with the same
// positions and error style as the rest of the config), cross-field checks (addresses inside
// the peering LAN, bounds that must be ordered) and the normalised form. The config loader
// calls in here from config-schema.ts, config-checks.ts and config-normalise.ts; the keys are
// documented in docs/config.md and their effect in docs/route-server.md.

import { ipv4Broadcast, prefixContains, type IpAddress, type IpPrefix } from './config-address.js';
import type { Leaf, MapReader, ReadContext } from './config-reader.js';
import type { Draft } from './config-schema.js';
import type {
  MaxPrefixAction,
  MaxPrefixConfig,
  MemberRouteServerConfig,
  RouteServerConfig,
} from './config-types.js';
import * as v from './config-values.js';
import { DEFAULT_TRANSIT_FREE_ASNS } from './rs-bogons.js';

export const RS_DEFAULTS = {
  birdConfig: '/etc/bird/bird.conf',
  birdcSocket: '/run/bird/bird.ctl',
  maxAsPath: 32,
  prefixLen: { ipv4: { min: 8, max: 24 }, ipv6: { min: 12, max: 48 } },
  maxPrefix: { ipv4: 1000, ipv6: 1000, action: 'restart' as MaxPrefixAction },
  irrCacheTtlS: 86400,
  blackholeMaxLen: { ipv4: 32, ipv6: 128 },
} as const;

export interface DraftRouteServer {
  field: string;
  asn?: number;
  routerId?: IpAddress;
  ipv4?: IpAddress;
  ipv6?: IpAddress;
  birdConfig?: string;
  birdcSocket?: string;
  maxAsPath?: number;
  prefixLen: Record<'ipv4' | 'ipv6', { min?: number; max?: number }>;
  transitFreeAsns?: number[];
  maxPrefix: DraftMaxPrefix;
  roaFile?: string | null;
  irr: { enabled?: boolean; sources?: string[]; server?: string | null; cacheTtlS?: number };
  blackhole: {
    enabled?: boolean;
    maxLenIpv4?: number;
    maxLenIpv6?: number;
    nextHopIpv4?: IpAddress;
    nextHopIpv6?: IpAddress;
  };
  gracefulShutdown?: boolean;
}

export interface DraftMaxPrefix {
  ipv4?: number;
  ipv6?: number;
  action?: MaxPrefixAction;
}

export interface DraftMemberRouteServer {
  enabled?: boolean;
  maxPrefix: DraftMaxPrefix;
  asSet?: string;
  passive?: boolean;
}

const MAX_PREFIX_ACTIONS: readonly MaxPrefixAction[] = ['restart', 'disable', 'warn', 'block'];

export const maxPrefixAction: Leaf<MaxPrefixAction> = {
  want: `one of ${MAX_PREFIX_ACTIONS.join(', ')}`,
  parse: (s) => {
    const a = MAX_PREFIX_ACTIONS.find((x) => x === s.value);
    return a ? { ok: true, value: a } : { ok: false };
  },
};

const SET_PART = '(?:AS[0-9]{1,10}|AS-[A-Z0-9_-]{1,64})';
const AS_SET_RE = new RegExp(`^(?:[A-Z0-9-]{1,32}::)?${SET_PART}(?::${SET_PART}){0,8}$`, 'i');

/** An IRR object bgpq4 can expand: `AS-EXAMPLE`, `AS64500:AS-CUSTOMERS`, `RIPE::AS-EXAMPLE`. */
export const asSetName: Leaf<string> = {
  want: 'an AS-SET or aut-num name such as AS-EXAMPLE, AS64500:AS-CUSTOMERS or RIPE::AS-EXAMPLE',
  parse: (s) => {
    const t = typeof s.value === 'string' ? s.value.trim() : '';
    return AS_SET_RE.test(t) ? { ok: true, value: t.toUpperCase() } : { ok: false };
  },
};

export const irrSource: Leaf<string> = {
  want: 'an IRR source name such as RIPE or ARIN',
  parse: (s) => {
    const t = typeof s.value === 'string' ? s.value.trim() : '';
    return /^[A-Za-z][A-Za-z0-9-]{0,31}$/.test(t) ? { ok: true, value: t.toUpperCase() } : { ok: false };
  },
};

/** An IRR whois server for bgpq4 `-h`: host or host:port (IPv6 in brackets). */
export const irrServer: Leaf<string> = {
  want: 'a whois server host or host:port, e.g. rr.ntt.net',
  parse: (s) => {
    const t = typeof s.value === 'string' ? s.value.trim() : '';
    const host = /^([A-Za-z0-9][A-Za-z0-9.-]{0,252}|\[[0-9a-fA-F:.]+\])(?::([0-9]{1,5}))?$/.exec(t);
    const port = host?.[2] === undefined ? 43 : Number(host[2]);
    return host && port >= 1 && port <= 65535 ? { ok: true, value: t } : { ok: false };
  },
};

function readMaxPrefix(r: MapReader | undefined, defaults: boolean): DraftMaxPrefix {
  if (!r) return defaults ? { ...RS_DEFAULTS.maxPrefix } : {};
  const leaf = (k: 'ipv4' | 'ipv6') =>
    defaults ? r.opt(k, v.intRange(1, 10000000), RS_DEFAULTS.maxPrefix[k]) : r.leaf(k, v.intRange(1, 10000000));
  const mp: DraftMaxPrefix = {
    ipv4: leaf('ipv4'),
    ipv6: leaf('ipv6'),
    action: defaults
      ? r.opt('action', maxPrefixAction, RS_DEFAULTS.maxPrefix.action)
      : r.leaf('action', maxPrefixAction),
  };
  r.done();
  return mp;
}

function readLenBounds(r: MapReader | undefined, fam: 'ipv4' | 'ipv6'): { min?: number; max?: number } {
  const d = RS_DEFAULTS.prefixLen[fam];
  if (!r) return { ...d };
  const bits = fam === 'ipv4' ? 32 : 128;
  const out = { min: r.opt('min', v.intRange(0, bits), d.min), max: r.opt('max', v.intRange(0, bits), d.max) };
  if (out.min !== undefined && out.max !== undefined && out.min > out.max) {
    r.ctx.error(r.sub('max'), `must not be smaller than min (${out.min})`);
  }
  r.done();
  return out;
}

/** Reads `route_server`; undefined when the section is absent. */
export function readRouteServer(r: MapReader | undefined): DraftRouteServer | undefined {
  if (!r) return undefined;
  const req = { required: true };
  const pl = r.map('prefix_len');
  const irr = r.map('irr');
  const bh = r.map('blackhole');
  const rpki = r.map('rpki');
  const rs: DraftRouteServer = {
    field: r.field,
    asn: r.leaf('asn', v.asn, req),
    routerId: r.leaf('router_id', v.ipv4Address),
    ipv4: r.leaf('ipv4', v.ipv4Address),
    ipv6: r.leaf('ipv6', v.ipv6Address),
    birdConfig: r.opt('bird_config', v.absolutePath(4095, 'PATH_MAX'), RS_DEFAULTS.birdConfig),
    birdcSocket: r.opt('birdc_socket', v.absolutePath(107, 'a Unix socket path'), RS_DEFAULTS.birdcSocket),
    maxAsPath: r.opt('max_as_path', v.intRange(1, 255), RS_DEFAULTS.maxAsPath),
    prefixLen: { ipv4: readLenBounds(pl?.map('ipv4'), 'ipv4'), ipv6: readLenBounds(pl?.map('ipv6'), 'ipv6') },
    transitFreeAsns: r.has('transit_free_asns')
      ? r.list('transit_free_asns', (n, f) => r.ctx.leaf(f, n, v.asn))
      : [...DEFAULT_TRANSIT_FREE_ASNS],
    maxPrefix: readMaxPrefix(r.map('max_prefix'), true),
    roaFile: rpki ? rpki.opt('roa_file', v.absolutePath(4095, 'PATH_MAX'), null) : null,
    irr: {
      enabled: irr ? irr.opt('enabled', v.bool, false) : false,
      sources: irr?.list('sources', (n, f) => r.ctx.leaf(f, n, irrSource)) ?? [],
      server: irr ? irr.opt('server', irrServer, null) : null,
      cacheTtlS: irr ? irr.opt('cache_ttl_s', v.intRange(0, 31536000), RS_DEFAULTS.irrCacheTtlS) : RS_DEFAULTS.irrCacheTtlS,
    },
    blackhole: {
      enabled: bh ? bh.opt('enabled', v.bool, true) : true,
      maxLenIpv4: bh ? bh.opt('max_len_ipv4', v.intRange(0, 32), 32) : 32,
      maxLenIpv6: bh ? bh.opt('max_len_ipv6', v.intRange(0, 128), 128) : 128,
      nextHopIpv4: bh?.leaf('next_hop_ipv4', v.ipv4Address),
      nextHopIpv6: bh?.leaf('next_hop_ipv6', v.ipv6Address),
    },
    gracefulShutdown: r.opt('graceful_shutdown', v.bool, false),
  };
  if (!r.has('ipv4') && !r.has('ipv6')) r.ctx.error(r.field, 'needs an ipv4 or an ipv6 address (or both)');
  if (!r.has('router_id') && !r.has('ipv4') && r.has('ipv6')) {
    r.ctx.error(r.sub('router_id'), 'required when the route server has no ipv4 address', r.ctx.at(r.field));
  }
  for (const m of [pl, irr, bh, rpki]) m?.done();
  r.done();
  return rs;
}

/** Reads a member's `route_server` map (absent = all defaults). */
export function readMemberRouteServer(r: MapReader | undefined): DraftMemberRouteServer {
  if (!r) return { maxPrefix: {} };
  const rs: DraftMemberRouteServer = {
    enabled: r.leaf('enabled', v.bool),
    maxPrefix: readMaxPrefix(r.map('max_prefix'), false),
    asSet: r.leaf('as_set', asSetName),
    passive: r.leaf('passive', v.bool),
  };
  r.done();
  return rs;
}

/** Cross-field rules of the route server: its addresses, blackhole bounds and next hops. */
export function checkRouteServer(ctx: ReadContext, draft: Draft): void {
  const rs = draft.routeServer;
  if (!rs) return;
  // A member without sessions may carry the route server's addresses: that entry is the route
  // server's own port on the fabric (its ARP/ND guards need the addresses).
  const memberAddrs = new Map<string, string>();
  for (const m of draft.members) {
    if (m.routeServer.enabled === false) continue;
    for (const a of [...m.ipv4, ...m.ipv6]) memberAddrs.set(a.value.text, m.field);
  }
  const lanAddress = (a: IpAddress | undefined, field: string, own: boolean) => {
    if (!a) return;
    const fam = a.family === 4 ? 'ipv4' : 'ipv6';
    const lan: IpPrefix | undefined = draft.fabric.peeringLan[fam];
    if (!lan) {
      if (!ctx.failed(`fabric.peering_lan.${fam}`)) {
        ctx.error(field, `no IPv${a.family} peering LAN is configured (fabric.peering_lan.${fam})`);
      }
      return;
    }
    if (!prefixContains(lan, a)) ctx.error(field, `${a.text} is outside the peering LAN ${lan.text}`);
    else if (lan.family === 4 && lan.length <= 30 && (a.bits === lan.bits || a.bits === ipv4Broadcast(lan))) {
      ctx.error(field, `${a.text} is the network or broadcast address of ${lan.text}`);
    }
    const member = memberAddrs.get(a.text);
    if (own && member) ctx.error(field, `${a.text} is also an address of ${member}`);
  };
  lanAddress(rs.ipv4, `${rs.field}.ipv4`, true);
  lanAddress(rs.ipv6, `${rs.field}.ipv6`, true);
  lanAddress(rs.blackhole.nextHopIpv4, `${rs.field}.blackhole.next_hop_ipv4`, false);
  lanAddress(rs.blackhole.nextHopIpv6, `${rs.field}.blackhole.next_hop_ipv6`, false);
  for (const [fam, key] of [['ipv4', 'max_len_ipv4'], ['ipv6', 'max_len_ipv6']] as const) {
    const max = rs.prefixLen[fam].max;
    const bh = fam === 'ipv4' ? rs.blackhole.maxLenIpv4 : rs.blackhole.maxLenIpv6;
    if (max !== undefined && bh !== undefined && bh < max) {
      ctx.error(`${rs.field}.blackhole.${key}`, `must not be smaller than prefix_len.${fam}.max (${max})`);
    }
  }
}

/** The normalised `route_server` section (called only on a draft without errors). */
export function normaliseRouteServer(rs: DraftRouteServer | undefined): RouteServerConfig | null {
  if (!rs) return null;
  const d = RS_DEFAULTS;
  const routerId = rs.routerId?.text ?? rs.ipv4?.text;
  if (rs.asn === undefined || routerId === undefined) throw new Error('route_server: incomplete after validation');
  return {
    asn: rs.asn,
    routerId,
    ipv4: rs.ipv4?.text ?? null,
    ipv6: rs.ipv6?.text ?? null,
    birdConfig: rs.birdConfig ?? d.birdConfig,
    birdcSocket: rs.birdcSocket ?? d.birdcSocket,
    maxAsPath: rs.maxAsPath ?? d.maxAsPath,
    prefixLen: {
      ipv4: { min: rs.prefixLen.ipv4.min ?? d.prefixLen.ipv4.min, max: rs.prefixLen.ipv4.max ?? d.prefixLen.ipv4.max },
      ipv6: { min: rs.prefixLen.ipv6.min ?? d.prefixLen.ipv6.min, max: rs.prefixLen.ipv6.max ?? d.prefixLen.ipv6.max },
    },
    transitFreeAsns: [...new Set(rs.transitFreeAsns ?? [])].sort((a, b) => a - b),
    maxPrefix: fillMaxPrefix(rs.maxPrefix, d.maxPrefix),
    rpki: { roaFile: rs.roaFile ?? null },
    irr: {
      enabled: rs.irr.enabled ?? false,
      sources: [...new Set(rs.irr.sources ?? [])],
      server: rs.irr.server ?? null,
      cacheTtlS: rs.irr.cacheTtlS ?? d.irrCacheTtlS,
    },
    blackhole: {
      enabled: rs.blackhole.enabled ?? true,
      maxLenIpv4: rs.blackhole.maxLenIpv4 ?? d.blackholeMaxLen.ipv4,
      maxLenIpv6: rs.blackhole.maxLenIpv6 ?? d.blackholeMaxLen.ipv6,
      nextHopIpv4: rs.blackhole.nextHopIpv4?.text ?? null,
      nextHopIpv6: rs.blackhole.nextHopIpv6?.text ?? null,
    },
    gracefulShutdown: rs.gracefulShutdown ?? false,
  };
}

function fillMaxPrefix(m: DraftMaxPrefix, d: MaxPrefixConfig): MaxPrefixConfig {
  return { ipv4: m.ipv4 ?? d.ipv4, ipv6: m.ipv6 ?? d.ipv6, action: m.action ?? d.action };
}

/** A member's effective route-server settings; its max-prefix falls back to the section's. */
export function normaliseMemberRouteServer(
  m: DraftMemberRouteServer,
  rs: RouteServerConfig | null,
): MemberRouteServerConfig {
  return {
    enabled: m.enabled ?? true,
    maxPrefix: fillMaxPrefix(m.maxPrefix, rs?.maxPrefix ?? RS_DEFAULTS.maxPrefix),
    asSet: m.asSet ?? null,
    passive: m.passive ?? false,
  };
}
