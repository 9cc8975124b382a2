// Registry → BIRD 2 route-server configuration, as one self-contained text (ROAs and IRR
// prefix lists inline, so `bird -p` checks exactly what is applied). Pure and deterministic:
// the text depends only on the config and the resolved inputs (IRR data, ROAs), members come
// in registry order, sets are sorted, no timestamps or paths. Names the live tests and
// `rs status` rely on:
//   protocol  m_as<ASN>_v4 / m_as<ASN>_v6   one per member address; a member's 2nd, 3rd...
//             address of a family adds _2, _3 (m_as64500_v4_2)
//   filters   m_as<ASN>_v4_import / _export  (shared by that member's sessions of the family)
//   tables    master4, master6 (sorted, secondary export), rpki4, rpki6 (roa tables)
//   templates rs_client_v4, rs_client_v6; ROA statics rpki_roa4, rpki_roa6
// Session parameters (neighbor, AS, local address, passive) live in the protocol; policy
// lives in the filters, so a policy-only change never touches protocol options.

import type { Config, MemberConfig, RouteServerConfig } from './config-types.js';
import type { IrrData, IrrPrefix } from './rs-irr.js';
import { birdSet, memberFilters, policyDefines, policyFunctions, type Family } from './rs-policy.js';
import { renderRoaTables, sortRoas, type Roa } from './rs-rpki.js';

export interface RouteServerInputs {
  /** IRR data by member ASN: required for every member with sessions when `irr.enabled`. */
  irr?: ReadonlyMap<number, IrrData>;
  /** The ROAs of `rpki.roa_file`: required when it is set. */
  roas?: readonly Roa[];
}

export interface RouteServerSession {
  /** BIRD protocol name, e.g. `m_as64500_v4`. */
  name: string;
  asn: number;
  memberName: string;
  family: Family;
  /** The member's address (BGP neighbor). */
  neighbor: string;
  /** The route server's address of that family. */
  local: string;
}

export function sessionName(asn: number, family: Family, index = 0): string {
  return `m_as${asn}_v${family}${index > 0 ? `_${index + 1}` : ''}`;
}

/** Every BGP session the rendered config has, in render order. */
export function routeServerSessions(config: Config): RouteServerSession[] {
  const rs = config.routeServer;
  if (!rs) return [];
  const out: RouteServerSession[] = [];
  for (const m of config.members) {
    if (!m.routeServer.enabled) continue;
    for (const family of [4, 6] as const) {
      const local = family === 4 ? rs.ipv4 : rs.ipv6;
      if (local === null) continue;
      (family === 4 ? m.ipv4 : m.ipv6).forEach((neighbor, i) => {
        out.push({ name: sessionName(m.asn, family, i), asn: m.asn, memberName: m.name, family, neighbor, local });
      });
    }
  }
  return out;
}

/** Text safe inside a BIRD string or comment: printable, no quotes or backslashes. */
export function birdText(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f"\\]/g, ' ').replace(/\s+/g, ' ').trim();
}

function prefixElement(p: IrrPrefix, min: number, max: number): string {
  return min === p.length && max === p.length ? p.prefix : `${p.prefix}{${min},${max}}`;
}

function irrDefines(m: MemberConfig, d: IrrData, fams: Family[], rs: RouteServerConfig): string {
  const id = `IRR_AS${m.asn}`;
  const lines = [
    `# IRR ${d.object}: ${d.asns.length} ASNs, ${d.ipv4.length} IPv4 and ${d.ipv6.length} IPv6 prefixes.`,
    `define ${id}_ASNS = ${birdSet(d.asns.map(String))};`,
  ];
  for (const fam of fams) {
    const list = fam === 4 ? d.ipv4 : d.ipv6;
    const bhMax = fam === 4 ? rs.blackhole.maxLenIpv4 : rs.blackhole.maxLenIpv6;
    lines.push(`define ${id}_V${fam} = ${birdSet(list.map((p) => prefixElement(p, p.min, p.max)))};`);
    if (rs.blackhole.enabled) {
      const bh = list.filter((p) => p.length <= bhMax).map((p) => prefixElement(p, p.length, bhMax));
      lines.push(`define ${id}_V${fam}_BH = ${birdSet(bh)};`);
    }
  }
  return lines.join('\n');
}

function template(rs: RouteServerConfig, fam: Family, rpki: boolean): string {
  const local = fam === 4 ? rs.ipv4 : rs.ipv6;
  return `template bgp rs_client_v${fam} {
  local ${local} as RS_ASN;
  rs client;
  interpret communities off;
  ipv${fam} {
    table master${fam};
    import keep filtered on;
    secondary on;
    next hop keep on;
${rpki ? '    rpki reload on;\n' : ''}  };
}
`;
}

function memberSection(m: MemberConfig, rs: RouteServerConfig, inputs: RouteServerInputs, rpki: boolean): string {
  const head = `# ${'-'.repeat(88)}\n# AS${m.asn} ${birdText(m.name)}`;
  if (!m.routeServer.enabled) return `${head}: no sessions (route_server.enabled: false)\n`;
  const fams = ([4, 6] as const).filter((fam) => (fam === 4 ? rs.ipv4 : rs.ipv6) !== null && (fam === 4 ? m.ipv4 : m.ipv6).length > 0);
  if (fams.length === 0) return `${head}: no sessions (no peering-LAN address of a family the route server has)\n`;
  const out = [head, ''];
  let irr: IrrData | undefined;
  if (rs.irr.enabled) {
    irr = inputs.irr?.get(m.asn);
    if (!irr) throw new Error(`no IRR data for AS${m.asn} (irr.enabled is true): resolve the inputs first`);
    out.push(irrDefines(m, irr, fams, rs), '');
  }
  const mp = m.routeServer.maxPrefix;
  for (const fam of fams) {
    const base = sessionName(m.asn, fam);
    const addrs = fam === 4 ? m.ipv4 : m.ipv6;
    const id = `IRR_AS${m.asn}_V${fam}`;
    out.push(
      memberFilters({
        base,
        asn: m.asn,
        family: fam,
        nextHops: addrs,
        irr: irr ? { asns: `IRR_AS${m.asn}_ASNS`, prefixes: id, blackhole: rs.blackhole.enabled ? `${id}_BH` : id } : null,
        rpki,
      }),
    );
    addrs.forEach((addr, i) => {
      out.push(`protocol bgp ${sessionName(m.asn, fam, i)} from rs_client_v${fam} {
  description "AS${m.asn} ${birdText(m.name)}";
  neighbor ${addr} as ${m.asn};
${m.routeServer.passive ? '  passive on;\n' : ''}  ipv${fam} {
    import limit ${fam === 4 ? mp.ipv4 : mp.ipv6} action ${mp.action};
    import filter ${base}_import;
    export filter ${base}_export;
  };
}
`);
    });
  }
  return out.join('\n');
}

/** The route server's bird.conf for this registry; throws when inputs it needs are missing. */
export function renderRouteServer(config: Config, inputs: RouteServerInputs = {}): string {
  const rs = config.routeServer;
  if (!rs) throw new Error('the config has no route_server section');
  const rpki = rs.rpki.roaFile !== null;
  if (rpki && !inputs.roas) throw new Error('no ROAs (rpki.roa_file is set): resolve the inputs first');
  const sessions = routeServerSessions(config);
  const members = config.members.filter((m) => m.routeServer.enabled).length;
  const parts = [
    `# ixfabric route server: BIRD 2 configuration rendered from the member registry.
# Do not edit: \`ixfabricctl rs apply\` replaces it. docs/route-server.md explains every part.
# Route server AS${rs.asn}, router id ${rs.routerId}; ${members} members with sessions, ${sessions.length} sessions.
# Sessions: m_as<ASN>_v4 / m_as<ASN>_v6 (a member's further addresses: _2, _3, ...).
# Filtered routes carry (${rs.asn}, 1101, reason): \`birdc show route filtered all\`.

log syslog all;
router id ${rs.routerId};
timeformat protocol iso long;
`,
    policyDefines(rs, config.fabric.peeringLan),
    '',
    `ipv4 table master4 sorted;
ipv6 table master6 sorted;
${rpki ? 'roa4 table rpki4;\nroa6 table rpki6;\n' : ''}
protocol device {
}
`,
  ];
  if (rpki) parts.push(renderRoaTables(sortRoas(inputs.roas ?? [])));
  parts.push(policyFunctions(rs, { rpki }));
  for (const fam of [4, 6] as const) {
    if ((fam === 4 ? rs.ipv4 : rs.ipv6) !== null) parts.push(template(rs, fam, rpki));
  }
  for (const m of config.members) parts.push(memberSection(m, rs, inputs, rpki));
  return `${parts.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}
