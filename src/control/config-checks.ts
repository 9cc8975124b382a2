// Rules that span several values: uniqueness across members, addresses inside the peering
// LAN, and per-POP uniqueness of port names, tunnels, listen ports and interfaces. Each
// violation is reported at the later of the two values, naming the earlier one. Values that
// already failed their own check are undefined in the draft and skipped here.

import { ipv4Broadcast, prefixContains, type IpAddress, type IpPrefix } from './config-address.js';
import { knownPops, openvpnInterface, planPorts, type PlannedPort } from './config-ports.js';
import type { ReadContext } from './config-reader.js';
import type { At, Draft, DraftMember } from './config-schema.js';
import { checkRouteServer } from './rs-config.js';

export function checkDraft(ctx: ReadContext, draft: Draft, thisPop: string): void {
  const pops = knownPops(draft, thisPop);
  const isTrunkPop = draft.trunks.some((t) => t.pop === thisPop);
  if (draft.pop.name !== undefined && thisPop !== draft.pop.name && !isTrunkPop) {
    ctx.error('pop.name', `the POP selected to run as ("${thisPop}") is neither pop.name nor a trunk's pop`);
  }
  checkMembers(ctx, draft);
  checkRouteServer(ctx, draft);
  for (const member of draft.members) {
    for (const conn of member.connections) {
      if (conn.pop !== undefined && !pops.includes(conn.pop)) {
        const reason = `unknown POP "${conn.pop}": must be this POP or a trunk's pop (${pops.join(', ')})`;
        ctx.error(`${conn.field}.pop`, reason);
      }
    }
  }
  const reported = new Set<string>();
  for (const pop of pops) checkPop(ctx, planPorts(draft, pop, thisPop), pop, reported);
  checkThisPop(ctx, draft, planPorts(draft, thisPop, thisPop), thisPop);
}

function describe(m: DraftMember): string {
  return m.asn === undefined ? m.field : `${m.field} (AS${m.asn})`;
}

function checkMembers(ctx: ReadContext, draft: Draft): void {
  const asns = new Map<number, DraftMember>();
  const macs = new Map<string, DraftMember>();
  const addrs = new Map<string, DraftMember>();
  for (const m of draft.members) {
    if (m.asn !== undefined) {
      const prev = asns.get(m.asn);
      if (prev) ctx.error(`${m.field}.asn`, `duplicate ASN ${m.asn} (also ${prev.field})`);
      else asns.set(m.asn, m);
    }
    for (const mac of m.macs) {
      const prev = macs.get(mac.value);
      if (prev === m) ctx.error(mac.field, `duplicate MAC ${mac.value}`);
      else if (prev) ctx.error(mac.field, `MAC ${mac.value} is also a MAC of ${describe(prev)}`);
      else macs.set(mac.value, m);
    }
    checkAddresses(ctx, m, m.ipv4, draft.fabric.peeringLan.ipv4, 'fabric.peering_lan.ipv4', addrs);
    checkAddresses(ctx, m, m.ipv6, draft.fabric.peeringLan.ipv6, 'fabric.peering_lan.ipv6', addrs);
  }
}

function checkAddresses(
  ctx: ReadContext,
  m: DraftMember,
  list: At<IpAddress>[],
  lan: IpPrefix | undefined,
  lanField: string,
  seen: Map<string, DraftMember>,
): void {
  const v = list[0]?.value.family === 6 ? 'IPv6' : 'IPv4';
  for (const a of list) {
    const prev = seen.get(a.value.text);
    if (prev === m) ctx.error(a.field, `duplicate address ${a.value.text}`);
    else if (prev) ctx.error(a.field, `${a.value.text} is also an address of ${describe(prev)}`);
    else seen.set(a.value.text, m);
    if (!lan) {
      if (!ctx.failed(lanField)) ctx.error(a.field, `no ${v} peering LAN is configured (${lanField})`);
      continue;
    }
    if (!prefixContains(lan, a.value)) {
      ctx.error(a.field, `${a.value.text} is outside the peering LAN ${lan.text}`);
    } else if (lan.family === 4 && lan.length <= 30) {
      if (a.value.bits === lan.bits) {
        ctx.error(a.field, `${a.value.text} is the network address of ${lan.text}`);
      }
      if (a.value.bits === ipv4Broadcast(lan)) {
        ctx.error(a.field, `${a.value.text} is the broadcast address of ${lan.text}`);
      }
    }
  }
}

/** Per-POP uniqueness; `reported` keeps a clash seen from several POPs (trunks) to one error. */
function checkPop(ctx: ReadContext, ports: PlannedPort[], pop: string, reported: Set<string>): void {
  const seen = new Map<string, PlannedPort>();
  // `reason` may return undefined when the clash is already reported another way.
  type Reason = (prev: PlannedPort) => string | undefined;
  const clash = (check: string, key: string, port: PlannedPort, field: string, reason: Reason) => {
    const k = `${check}\0${key}`;
    const prev = seen.get(k);
    if (!prev) {
      seen.set(k, port);
      return;
    }
    const once = `${check}\0${port.field}`;
    const text = reason(prev);
    if (reported.has(once) || text === undefined) return;
    reported.add(once);
    ctx.error(field, text);
  };
  for (const p of ports) {
    if (p.name !== undefined) {
      const name = p.name;
      clash('name', name, p, `${p.field}.name`, (prev) =>
        p.named
          ? `duplicate port name "${name}" on POP ${pop} (also ${prev.field})`
          : `the derived port name "${name}" is already used on POP ${pop} by ${prev.field}: ` +
            'set a distinct name',
      );
    }
    const t = p.kind === 'trunk' ? { ...p.trunk, type: 'vxlan' as const } : p.conn;
    if (t.type === 'vxlan' && t.remote && t.vni !== undefined) {
      const remote = t.remote.text;
      const vni = t.vni;
      clash('vxlan', `${remote}|${vni}`, p, `${p.field}.vni`, (prev) =>
        `VXLAN remote ${remote} with VNI ${vni} is already used on POP ${pop} by ${prev.field} ` +
        '(received VXLAN is told apart by remote address and VNI)',
      );
    }
    if (p.kind === 'trunk') continue;
    const c = p.conn;
    if (c.type === 'eoip' && c.remote && c.tunnelId !== undefined) {
      const remote = c.remote.text;
      const id = c.tunnelId;
      clash('eoip', `${remote}|${id}`, p, `${p.field}.tunnel_id`, (prev) =>
        `EoIP remote ${remote} with tunnel_id ${id} is already used on POP ${pop} by ${prev.field}`,
      );
    }
    if (c.type === 'openvpn' && c.listenPort !== undefined) {
      const port = c.listenPort;
      clash('listen', String(port), p, `${p.field}.listen_port`, (prev) =>
        `listen_port ${port} is already used on POP ${pop} by ${prev.field}`,
      );
    }
    const ifname = c.type === 'openvpn' ? openvpnInterface(c) : c.interface;
    if (ifname !== undefined) {
      clash('ifname', ifname, p, `${p.field}.interface`, (prev) =>
        // Two default openvpn interfaces only clash on a duplicate listen_port (reported).
        derivedInterface(p) && derivedInterface(prev)
          ? undefined
          : `interface ${ifname} is already used on POP ${pop} by ${prev.field}`,
      );
    }
  }
}

function derivedInterface(p: PlannedPort): boolean {
  return p.kind === 'member' && p.conn.type === 'openvpn' && p.conn.interface === undefined;
}

/** Rules that depend on this POP's own settings: tunnel source addresses, the VXLAN port. */
function checkThisPop(ctx: ReadContext, draft: Draft, ports: PlannedPort[], pop: string): void {
  for (const p of ports) {
    const t = p.kind === 'trunk' ? { ...p.trunk, type: 'vxlan' as const, local: undefined } : p.conn;
    if (t.type === 'openvpn' && t.listenPort !== undefined && t.listenPort === draft.pop.vxlanPort) {
      ctx.error(`${p.field}.listen_port`, `listen_port ${t.listenPort} is this POP's vxlan_port`);
    }
    if ((t.type !== 'vxlan' && t.type !== 'eoip') || !t.remote || t.local) continue;
    const fam = t.remote.family === 4 ? 'ipv4' : 'ipv6';
    if (draft.pop.underlay[fam] || ctx.failed(`pop.underlay.${fam}`)) continue;
    const hint = t.type === 'vxlan' && p.kind === 'member' ? ' (or set local)' : '';
    ctx.error(
      `${p.field}.remote`,
      `is an IPv${t.remote.family} address but POP ${pop} has no pop.underlay.${fam}${hint}`,
    );
  }
}
