// The BIRD filter language pieces of the route server's policy. Shared checks are functions
// (one copy, parameterised by the member's ASN and IRR sets); each member gets its own import
// and export filter that calls them in a fixed order, so a policy change is a filter change
// and `birdc configure` reloads routes without resetting the session. A failed check tags the
// route with (RS_ASN, 1101, reason) and rejects it; `import keep filtered on` keeps it, so
// `birdc show route filtered all` shows why. The first failed check wins; order:
//   scrub RS_ASN:1000-1999 from the member → blackhole allowed? (17) → peering LAN (16) →
//   bogon (3) → too short (2) → too long (1) → empty path (6) → first AS (7) → path length (5)
//   → transit-free (14) → next hop (8) → IRR origin (10) → IRR prefix (9) → RPKI invalid (13)
//   → accept (info tags; GRACEFUL_SHUTDOWN sets local pref 0).

import type { RouteServerConfig } from './config-types.js';
import { BOGONS_V4, BOGONS_V6, GLOBAL_UNICAST_V6 } from './rs-bogons.js';
import {
  ACTION,
  ACTION_FUNCTIONS,
  INFO,
  REASONS,
  REJECT_FUNCTION,
  RESERVED_FUNCTIONS,
  WELL_KNOWN,
  hasStandardActions,
} from './rs-communities.js';

export type Family = 4 | 6;
const f = (fam: Family) => `v${fam}`;
const comm = (c: readonly [number, number]) => `(${c[0]}, ${c[1]})`;
const info = (i: { fn: number; value: number }) => `bgp_large_community.add((RS_ASN, ${i.fn}, ${i.value}));`;

/** A BIRD set literal, one element per line when long. */
export function birdSet(items: readonly string[], indent = '  '): string {
  if (items.length === 0) return '[ ]';
  if (items.length <= 6) return `[ ${items.join(', ')} ]`;
  return `[\n${items.map((x) => `${indent}${x}`).join(',\n')}\n]`;
}

/** `define`s the policy functions read: the scheme's constants and the fixed lists. */
export function policyDefines(rs: RouteServerConfig, lan: { ipv4: string | null; ipv6: string | null }): string {
  const lines = [
    `define RS_ASN = ${rs.asn};`,
    `define RS_MAX_AS_PATH = ${rs.maxAsPath};`,
    `define RS_V4_MIN_LEN = ${rs.prefixLen.ipv4.min};`,
    `define RS_V4_MAX_LEN = ${rs.prefixLen.ipv4.max};`,
    `define RS_V6_MIN_LEN = ${rs.prefixLen.ipv6.min};`,
    `define RS_V6_MAX_LEN = ${rs.prefixLen.ipv6.max};`,
    `define RS_V4_BLACKHOLE_MAX_LEN = ${rs.blackhole.maxLenIpv4};`,
    `define RS_V6_BLACKHOLE_MAX_LEN = ${rs.blackhole.maxLenIpv6};`,
    '',
    '# Bogons: every more specific of these is rejected (RS_ASN:1101:3).',
    ...BOGONS_V4.map((b) => `#   ${b.prefix.padEnd(18)} ${b.why}`),
    `define RS_BOGONS_V4 = ${birdSet(BOGONS_V4.map((b) => `${b.prefix}+`))};`,
    ...BOGONS_V6.map((b) => `#   ${b.prefix.padEnd(18)} ${b.why}`),
    `#   and everything outside ${GLOBAL_UNICAST_V6} (global unicast)`,
    `define RS_BOGONS_V6 = ${birdSet(BOGONS_V6.map((b) => `${b.prefix}+`))};`,
    `define RS_GLOBAL_UNICAST_V6 = [ ${GLOBAL_UNICAST_V6}+ ];`,
    '',
    "# The exchange's peering LAN and anything inside it (RS_ASN:1101:16).",
    `define RS_PEERING_LAN_V4 = ${birdSet(lan.ipv4 ? [`${lan.ipv4}+`] : [])};`,
    `define RS_PEERING_LAN_V6 = ${birdSet(lan.ipv6 ? [`${lan.ipv6}+`] : [])};`,
    '',
    '# Transit-free ASNs: rejected anywhere in a path but as the sending member (RS_ASN:1101:14).',
    `define RS_TRANSIT_FREE = ${birdSet(rs.transitFreeAsns.map(String))};`,
  ];
  return lines.join('\n');
}

/** The shared functions: checks, tags, announcement control. */
export function policyFunctions(rs: RouteServerConfig, opts: { rpki: boolean }): string {
  const out: string[] = [];
  const R = REASONS;
  out.push(`# Tags the route with why it is filtered and rejects it (kept: import keep filtered).
function rs_reject(int reason) {
  bgp_large_community.add((RS_ASN, ${REJECT_FUNCTION}, reason));
  reject;
}

# RS_ASN:${RESERVED_FUNCTIONS.from}-${RESERVED_FUNCTIONS.to}:* are the route server's own tags: members cannot set them.
function rs_scrub() {
  bgp_large_community.delete([(RS_ASN, ${RESERVED_FUNCTIONS.from}..${RESERVED_FUNCTIONS.to}, *)]);
}

# RFC 7999 BLACKHOLE.
function rs_is_blackhole() {
  return ${comm(WELL_KNOWN.blackhole)} ~ bgp_community;
}
`);
  for (const fam of [4, 6] as const) {
    const v = f(fam);
    const blackholeOff = rs.blackhole.enabled
      ? ''
      : `  if rs_is_blackhole() then rs_reject(${R.blackholeOff.code});\n`;
    const global = fam === 6 ? `  if net !~ RS_GLOBAL_UNICAST_V6 then rs_reject(${R.bogon.code});\n` : '';
    out.push(`# Prefix checks, IPv${fam}: blackhole routes may be as long as RS_V${fam}_BLACKHOLE_MAX_LEN.
function rs_check_prefix_${v}() {
${blackholeOff}  if net ~ RS_PEERING_LAN_V${fam} then rs_reject(${R.peeringLan.code});
  if net ~ RS_BOGONS_V${fam} then rs_reject(${R.bogon.code});
${global}  if net.len < RS_V${fam}_MIN_LEN then rs_reject(${R.prefixTooShort.code});
  if rs_is_blackhole() then {
    if net.len > RS_V${fam}_BLACKHOLE_MAX_LEN then rs_reject(${R.prefixTooLong.code});
  } else {
    if net.len > RS_V${fam}_MAX_LEN then rs_reject(${R.prefixTooLong.code});
  }
}

# IRR checks, IPv${fam}: origin in the member's AS-SET, prefix in its prefix list (blackhole
# routes: inside a registered prefix, up to the blackhole length).
function rs_check_irr_${v}(int set asns; prefix set prefixes; prefix set blackhole_prefixes) {
  if !(bgp_path.last ~ asns) then rs_reject(${R.irrOrigin.code});
  if rs_is_blackhole() then {
    if !(net ~ blackhole_prefixes) then rs_reject(${R.irrPrefix.code});
  } else {
    if !(net ~ prefixes) then rs_reject(${R.irrPrefix.code});
  }
  ${info(INFO.irrValid)}
}
`);
    if (opts.rpki) {
      out.push(`# RPKI origin validation, IPv${fam} (blackhole routes are more specific than any ROA allows: not checked).
function rs_check_rpki_${v}() {
  if rs_is_blackhole() then {
    ${info(INFO.rpkiNotChecked)}
  } else {
    if roa_check(rpki${fam}, net, bgp_path.last) = ROA_INVALID then rs_reject(${R.rpkiInvalid.code});
    if roa_check(rpki${fam}, net, bgp_path.last) = ROA_VALID then {
      ${info(INFO.rpkiValid)}
    } else {
      ${info(INFO.rpkiUnknown)}
    }
  }
}
`);
    }
  }
  out.push(`# AS path checks: not empty, sent by the member itself, not too long, no transit-free AS.
function rs_check_path(int peer_as) {
  if bgp_path.len = 0 then rs_reject(${R.pathEmpty.code});
  if bgp_path.first != peer_as then rs_reject(${R.firstAs.code});
  if bgp_path.len > RS_MAX_AS_PATH then rs_reject(${R.pathTooLong.code});
  if delete(bgp_path, peer_as) ~ RS_TRANSIT_FREE then rs_reject(${R.transitFree.code});
}

function rs_irr_not_checked() {
  ${info(INFO.irrNotChecked)}
}

function rs_rpki_not_checked() {
  ${info(INFO.rpkiNotChecked)}
}

# RFC 8326 GRACEFUL_SHUTDOWN from a member: least preferred.
function rs_import_finish() {
  if ${comm(WELL_KNOWN.gracefulShutdown)} ~ bgp_community then bgp_local_pref = 0;
}
`);
  out.push(announceFunction(rs));
  out.push(`# Prepend the sending member's ASN towards peer_as: RS_ASN:${ACTION.prepend1}..${ACTION.prepend3}:peer_as = 1..3 times.
function rs_prepend_for(int peer_as) {
  if (RS_ASN, ${ACTION.prepend3}, peer_as) ~ bgp_large_community then {
    bgp_path.prepend(bgp_path.first);
    bgp_path.prepend(bgp_path.first);
    bgp_path.prepend(bgp_path.first);
  } else if (RS_ASN, ${ACTION.prepend2}, peer_as) ~ bgp_large_community then {
    bgp_path.prepend(bgp_path.first);
    bgp_path.prepend(bgp_path.first);
  } else if (RS_ASN, ${ACTION.prepend1}, peer_as) ~ bgp_large_community then {
    bgp_path.prepend(bgp_path.first);
  }
}
`);
  for (const fam of [4, 6] as const) {
    const nh = fam === 4 ? rs.blackhole.nextHopIpv4 : rs.blackhole.nextHopIpv6;
    const std = hasStandardActions(rs.asn)
      ? `  bgp_community.delete([(0, *)]);\n  bgp_community.delete([(RS_ASN, *)]);\n`
      : '';
    out.push(`# Before a route leaves, IPv${fam}: action communities removed, blackhole marked NO_EXPORT${nh ? ' and sent to the blackhole next hop' : ''}${rs.gracefulShutdown ? ', GRACEFUL_SHUTDOWN added (route_server.graceful_shutdown)' : ''}.
function rs_export_finish_${f(fam)}() {
  bgp_large_community.delete([(RS_ASN, ${ACTION_FUNCTIONS.from}..${ACTION_FUNCTIONS.to}, *)]);
${std}  if rs_is_blackhole() then {
    bgp_community.add(${comm(WELL_KNOWN.noExport)});
${nh ? `    bgp_next_hop = ${nh};\n` : ''}  }
${rs.gracefulShutdown ? `  bgp_community.add(${comm(WELL_KNOWN.gracefulShutdown)});\n` : ''}}
`);
  }
  return out.join('\n');
}

function announceFunction(rs: RouteServerConfig): string {
  const A = ACTION;
  if (!hasStandardActions(rs.asn)) {
    return `# Announcement control (large communities only: RS_ASN does not fit a standard community).
function rs_announce_to(int peer_as) {
  if (RS_ASN, ${A.doNotAnnounceTo}, peer_as) ~ bgp_large_community then return false;
  if (RS_ASN, ${A.doNotAnnounceTo}, 0) ~ bgp_large_community then {
    if (RS_ASN, ${A.announceTo}, peer_as) ~ bgp_large_community then return true;
    return false;
  }
  return true;
}
`;
  }
  return `# Announcement control: 0:peer_as / RS_ASN:${A.doNotAnnounceTo}:peer_as = not to peer_as; 0:RS_ASN / RS_ASN:${A.doNotAnnounceTo}:0 = to nobody
# except those named by RS_ASN:peer_as / RS_ASN:${A.announceTo}:peer_as. Standard forms only for 16-bit peers.
function rs_announce_to(int peer_as) {
  if (RS_ASN, ${A.doNotAnnounceTo}, peer_as) ~ bgp_large_community then return false;
  if peer_as <= 65535 then {
    if (0, peer_as) ~ bgp_community then return false;
  }
  if (RS_ASN, ${A.doNotAnnounceTo}, 0) ~ bgp_large_community || (0, RS_ASN) ~ bgp_community then {
    if (RS_ASN, ${A.announceTo}, peer_as) ~ bgp_large_community then return true;
    if peer_as <= 65535 then {
      if (RS_ASN, peer_as) ~ bgp_community then return true;
    }
    return false;
  }
  return true;
}
`;
}

export interface MemberPolicy {
  /** `m_as<ASN>_v4` / `_v6`: the filters are `<base>_import` and `<base>_export`. */
  base: string;
  asn: number;
  family: Family;
  /** The member's own addresses of this family (allowed next hops). */
  nextHops: string[];
  /** IRR set names (defined next to the filter), or null when IRR is off. */
  irr: { asns: string; prefixes: string; blackhole: string } | null;
  rpki: boolean;
}

/** The member's import and export filters for one family. */
export function memberFilters(p: MemberPolicy): string {
  const v = f(p.family);
  const irr = p.irr ? `rs_check_irr_${v}(${p.irr.asns}, ${p.irr.prefixes}, ${p.irr.blackhole});` : 'rs_irr_not_checked();';
  const rpki = p.rpki ? `rs_check_rpki_${v}();` : 'rs_rpki_not_checked();';
  return `filter ${p.base}_import {
  rs_scrub();
  rs_check_prefix_${v}();
  rs_check_path(${p.asn});
  if bgp_next_hop !~ ${birdSet(p.nextHops)} then rs_reject(${REASONS.nextHop.code});
  ${irr}
  ${rpki}
  rs_import_finish();
  accept;
}

filter ${p.base}_export {
  if !rs_announce_to(${p.asn}) then reject;
  rs_prepend_for(${p.asn});
  rs_export_finish_${v}();
  accept;
}
`;
}
