// What the control socket answers: one function per command of CONTRACT.md, over the
// daemon's state. Queries read the shared counters directly and ask the dataplane worker only
// for the FDB, so they never stall forwarding. Shapes are documented in docs/control-protocol.md.

import type { DataplaneClient } from '../dataplane/dataplane-client.js';
import type { FdbDump } from '../dataplane/port-spec.js';
import { KIND_NAMES } from '../fdb/fdb-entry.js';
import { FDB_ENTRIES } from '../fdb/fdb-stats.js';
import { macToString, parseMac } from '../encap/mac.js';
import type { Config, PortDiff } from './config-types.js';
import type { ControlHandler } from './control-server.js';
import { pageByKey } from './control-server.js';
import type { PortManager } from './port-manager.js';

export interface DaemonState {
  version: string;
  startedAt: Date;
  config: Config;
  configLoadedAt: Date;
  pm: PortManager;
  dp: DataplaneClient;
  reload(): Promise<PortDiff>;
  /** Extra commands added by other modules (route server, OpenVPN, IX-F). */
  extra?: Record<string, (args: Record<string, unknown>) => Promise<unknown> | unknown>;
}

interface FdbRow {
  mac: string;
  port: string;
  kind: string;
  age_s: number;
}

/** A dump is reused for a couple of seconds, so paging through 100,000 entries asks the worker once. */
const DUMP_REUSE_MS = 2000;

export function createHandlers(s: DaemonState): ControlHandler {
  let cached: { key: string; at: number; rows: FdbRow[] } | null = null;

  const portName = (id: number): string => {
    for (const p of s.pm.ports.values()) if (p.id === id) return p.name;
    return `#${id}`;
  };

  function rows(d: FdbDump): FdbRow[] {
    const out: FdbRow[] = new Array(d.macs.length);
    for (let i = 0; i < d.macs.length; i++) {
      out[i] = { mac: macToString(d.macs[i]!), port: portName(d.ports[i]!), kind: KIND_NAMES[d.kinds[i]!] ?? 'learned', age_s: Math.round(d.ages[i]! * 10) / 10 };
    }
    return out;
  }

  function portId(name: unknown): number | undefined {
    if (name === undefined || name === null) return undefined;
    const p = s.pm.ports.get(String(name));
    if (!p) throw new Error(`no port named ${String(name)}`);
    return p.id;
  }

  function portsAnswer() {
    const c = s.dp.counters;
    const out = [...s.pm.ports.values()].map((p) => ({
      name: p.name,
      type: p.config.kind === 'trunk' ? 'trunk' : p.config.type,
      member_asn: p.config.memberAsn,
      state: p.state,
      ...counterFields(c.port(p.id)),
      reason: p.reason,
      since: new Date(p.since).toISOString(),
    }));
    for (const l of s.pm.socketSlots()) {
      out.push({ name: l.key, type: 'listener', member_asn: null, state: 'up', ...counterFields(c.port(l.slot)), reason: null, since: s.startedAt.toISOString() });
    }
    return out;
  }

  const handlers: Record<string, (args: Record<string, unknown>) => Promise<unknown> | unknown> = {
    status: () => ({
      pop: s.config.pop,
      version: s.version,
      uptime_s: Math.round((Date.now() - s.startedAt.getTime()) / 1000),
      ports: s.pm.ports.size,
      members: s.config.members.filter((m) => m.ports.length > 0).length,
      fdb_entries: s.dp.counters.values[FDB_ENTRIES]!,
      config_path: s.config.path,
      config_loaded_at: s.configLoadedAt.toISOString(),
    }),
    ports: () => portsAnswer(),
    members: () =>
      s.config.members.map((m) => ({ asn: m.asn, name: m.name, macs: m.macs, ipv4: m.ipv4, ipv6: m.ipv6, ports: m.ports })),
    fdb: async (args) => {
      const port = portId(args.port);
      let mac: number | undefined;
      if (args.mac !== undefined && args.mac !== null) {
        const m = parseMac(String(args.mac));
        if (m === null) throw new Error(`not a MAC address: ${String(args.mac)}`);
        mac = m;
      }
      const key = `${port ?? ''}/${mac ?? ''}`;
      const fresh = args.cursor && cached && cached.key === key && Date.now() - cached.at < DUMP_REUSE_MS;
      if (!fresh) cached = { key, at: Date.now(), rows: rows(await s.dp.fdbDump({ port, mac })) };
      return pageByKey(cached!.rows, (r) => r.mac, { cursor: args.cursor, limit: args.limit });
    },
    'fdb.flush': async (args) => {
      cached = null;
      return { flushed: await s.dp.fdbFlush(portId(args.port)) };
    },
    reload: () => s.reload(),
  };

  return async (cmd, args) => {
    const h = handlers[cmd] ?? s.extra?.[cmd];
    if (!h) throw Object.assign(new Error(`unknown command: ${cmd}`), { code: 'unknown_command' });
    return h(args);
  };
}

function counterFields(c: ReturnType<DataplaneClient['counters']['port']>) {
  return { rx_packets: c.rx_packets, tx_packets: c.tx_packets, rx_bytes: c.rx_bytes, tx_bytes: c.tx_bytes, drops: c.drops, flood_packets: c.flood_packets };
}
