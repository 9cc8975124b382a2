// Which ports a POP opens and what they are called. A registry file can describe the whole
// exchange: a member connection belongs to its `pop` (default: this POP), and a trunk entry
// `pop: X` is the trunk towards X, opened by every POP except X itself. Port names are the
// configured `name`, else `as<ASN>-<abbr>` (suffix 2, 3... for a member's further connections
// of one type on that POP) and `trunk-<pop>`.

import type { Draft, DraftConnection, DraftMember, DraftTrunk } from './config-schema.js';
import type { ConnectionType } from './config-types.js';

export const TYPE_ABBR: Record<ConnectionType, string> = {
  vxlan: 'vx',
  eoip: 'eoip',
  openvpn: 'ovpn',
  zerotier: 'zt',
  ethernet: 'eth',
  l2: 'l2',
  tap: 'tap',
};

export type PlannedPort =
  | {
      kind: 'member';
      /** Undefined when it cannot be derived (the ASN or type was invalid; already reported). */
      name: string | undefined;
      named: boolean;
      field: string;
      offset: number;
      member: DraftMember;
      conn: DraftConnection;
    }
  | {
      kind: 'trunk';
      name: string | undefined;
      named: boolean;
      field: string;
      offset: number;
      trunk: DraftTrunk;
    };

/** The POPs a registry knows: this POP, `pop.name` and every trunk's pop. */
export function knownPops(draft: Draft, thisPop: string): string[] {
  const pops = [thisPop];
  if (draft.pop.name !== undefined) pops.push(draft.pop.name);
  for (const t of draft.trunks) if (t.pop !== undefined) pops.push(t.pop);
  return [...new Set(pops)];
}

/** The POP a connection belongs to. */
export function connectionPop(conn: DraftConnection, thisPop: string): string {
  return conn.pop ?? thisPop;
}

/** The ports `pop` opens, in file order. `thisPop` is where connections without `pop` go. */
export function planPorts(draft: Draft, pop: string, thisPop: string): PlannedPort[] {
  const ports: PlannedPort[] = [];
  for (const member of draft.members) {
    const count = new Map<ConnectionType, number>();
    for (const conn of member.connections) {
      if (connectionPop(conn, thisPop) !== pop) continue;
      let name = conn.name;
      if (conn.type !== undefined) {
        const n = (count.get(conn.type) ?? 0) + 1;
        count.set(conn.type, n);
        if (name === undefined && member.asn !== undefined) {
          name = `as${member.asn}-${TYPE_ABBR[conn.type]}${n > 1 ? n : ''}`;
        }
      }
      ports.push({
        kind: 'member',
        name,
        named: conn.name !== undefined,
        field: conn.field,
        offset: conn.offset,
        member,
        conn,
      });
    }
  }
  for (const trunk of draft.trunks) {
    if (trunk.pop === undefined || trunk.pop === pop) continue;
    ports.push({
      kind: 'trunk',
      name: trunk.name ?? `trunk-${trunk.pop}`,
      named: trunk.name !== undefined,
      field: trunk.field,
      offset: trunk.offset,
      trunk,
    });
  }
  return ports.sort((a, b) => a.offset - b.offset);
}

/** The TAP device of an openvpn connection: configured, else `ovpn<listen_port>`. */
export function openvpnInterface(conn: DraftConnection): string | undefined {
  if (conn.interface !== undefined) return conn.interface;
  return conn.listenPort === undefined ? undefined : `ovpn${conn.listenPort}`;
}
