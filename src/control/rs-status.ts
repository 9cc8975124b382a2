// `rs status`: each member's route-server sessions and route counts, read from BIRD with
// `birdc show protocols all "m_as*"` and `birdc show route count`, as data (`--json`) or an
// aligned table. The parsers work on BIRD 2.0's text output (captured samples are in
// test/fixtures/rs/) and skip lines they do not know, so an extra line in a later BIRD version
// costs a field, not the command.

import type { Config } from './config-types.js';
import { runCommand, type CommandRunner } from './rs-command.js';
import { routeServerSessions } from './rs-render.js';

export interface ProtocolStatus {
  name: string;
  /** BIRD protocol state: `up`, `start`, `down`, `flush`... */
  state: string;
  /** As printed in the Since column (`timeformat protocol iso long`). */
  since: string;
  info: string;
  description: string | null;
  /** `Established`, `Active`, `Connect`, `Idle`, `OpenSent`, `OpenConfirm`; null if not BGP. */
  bgpState: string | null;
  neighborAddress: string | null;
  neighborAs: number | null;
  lastError: string | null;
  importLimit: number | null;
  /** BIRD marks the limit `[HIT]` once it was exceeded. */
  importLimitHit: boolean;
  routes: { imported: number; filtered: number; exported: number; preferred: number } | null;
}

export interface SessionStatus extends ProtocolStatus {
  asn: number;
  memberName: string;
  family: 4 | 6;
  /** The session is in the registry but BIRD does not know it (not applied yet). */
  missing: boolean;
}

export interface RouteServerStatus {
  sessions: SessionStatus[];
  /** From `show route count`: table name → routes (best and alternatives). */
  tables: Record<string, number>;
}

const HEADER = /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d|\S+)\s*(.*)$/;

/** Parses `birdc show protocols all` output. */
export function parseShowProtocolsAll(text: string): ProtocolStatus[] {
  const out: ProtocolStatus[] = [];
  let cur: ProtocolStatus | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+$/, '');
    if (line === '' || /^BIRD \S+ ready\.$/.test(line) || /^Name\s+Proto\s+Table/.test(line)) continue;
    if (!/^\s/.test(line)) {
      const m = HEADER.exec(line);
      if (!m) continue;
      cur = {
        name: m[1] ?? '',
        state: m[4] ?? '',
        since: m[5] ?? '',
        info: (m[6] ?? '').trim(),
        description: null,
        bgpState: null,
        neighborAddress: null,
        neighborAs: null,
        lastError: null,
        importLimit: null,
        importLimitHit: false,
        routes: null,
      };
      out.push(cur);
      continue;
    }
    if (!cur) continue;
    const kv = /^\s+([A-Za-z][A-Za-z ]*?):\s+(.*)$/.exec(line);
    if (!kv) continue;
    const [, key, value = ''] = kv;
    switch (key) {
      case 'Description':
        cur.description = value.trim();
        break;
      case 'BGP state':
        cur.bgpState = value.trim();
        break;
      case 'Neighbor address':
        cur.neighborAddress = value.trim();
        break;
      case 'Neighbor AS':
        cur.neighborAs = Number(value) || null;
        break;
      case 'Last error':
        cur.lastError = value.trim();
        break;
      case 'Import limit':
        cur.importLimit = Number.parseInt(value, 10) || null;
        cur.importLimitHit = value.includes('[HIT]');
        break;
      case 'Routes': {
        const n = (word: string) => Number(new RegExp(`(\\d+) ${word}`).exec(value)?.[1] ?? 0);
        cur.routes = { imported: n('imported'), filtered: n('filtered'), exported: n('exported'), preferred: n('preferred') };
        break;
      }
      default:
        break;
    }
  }
  return out;
}

/** Parses `birdc show route count`: `N of M routes for K networks in table T`. */
export function parseShowRouteCount(text: string): Record<string, number> {
  const tables: Record<string, number> = {};
  for (const m of text.matchAll(/^(\d+) of (\d+) routes for \d+ networks in table (\S+)$/gm)) {
    tables[m[3] ?? ''] = Number(m[2]);
  }
  return tables;
}

export interface StatusOptions {
  runner?: CommandRunner;
  /** Default `route_server.birdc_socket`. */
  socket?: string;
}

async function birdc(runner: CommandRunner, socket: string, command: string): Promise<string> {
  const r = await runner('birdc', ['-s', socket, command], { timeoutMs: 30000 });
  const text = `${r.stdout}${r.stderr}`;
  if (/Unable to connect/.test(text) || r.code === null) throw new Error(`cannot reach BIRD on ${socket}: ${text.trim()}`);
  return text;
}

/** Every session of the registry with what BIRD says about it, in render order. */
export async function routeServerStatus(config: Config, opts: StatusOptions = {}): Promise<RouteServerStatus> {
  const rs = config.routeServer;
  if (!rs) throw new Error('the config has no route_server section');
  const runner = opts.runner ?? runCommand;
  const socket = opts.socket ?? rs.birdcSocket;
  const protocols = parseShowProtocolsAll(await birdc(runner, socket, 'show protocols all "m_as*"'));
  const tables = parseShowRouteCount(await birdc(runner, socket, 'show route count'));
  const byName = new Map(protocols.map((p) => [p.name, p]));
  const sessions = routeServerSessions(config).map((s): SessionStatus => {
    const p = byName.get(s.name);
    const base: ProtocolStatus = p ?? {
      name: s.name,
      state: 'missing',
      since: '',
      info: 'not in the running BIRD config (rs apply)',
      description: null,
      bgpState: null,
      neighborAddress: s.neighbor,
      neighborAs: s.asn,
      lastError: null,
      importLimit: null,
      importLimitHit: false,
      routes: null,
    };
    return { ...base, asn: s.asn, memberName: s.memberName, family: s.family, missing: !p };
  });
  return { sessions, tables };
}

/** Aligned table: one line per session. */
export function formatRouteServerStatus(status: RouteServerStatus): string {
  const head = ['SESSION', 'ASN', 'MEMBER', 'NEIGHBOR', 'STATE', 'SINCE', 'IMPORTED', 'FILTERED', 'EXPORTED', 'INFO'];
  const rows = status.sessions.map((s) => [
    s.name,
    String(s.asn),
    s.memberName,
    s.neighborAddress ?? '',
    s.bgpState ?? s.state,
    s.since,
    s.routes ? String(s.routes.imported) : '-',
    s.routes ? String(s.routes.filtered) : '-',
    s.routes ? String(s.routes.exported) : '-',
    [s.importLimitHit ? 'max-prefix hit' : '', s.lastError ?? (s.missing ? s.info : '')].filter(Boolean).join('; '),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const totals = Object.entries(status.tables).map(([t, n]) => `${t}: ${n} routes`);
  return [fmt(head), ...rows.map(fmt), ...(totals.length ? ['', totals.join(', ')] : [])].join('\n') + '\n';
}
