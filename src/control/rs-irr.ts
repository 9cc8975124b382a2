// IRR data for the route server's origin and prefix checks: bgpq4 expands each member's
// AS-SET (or its own aut-num) into ASNs and IPv4/IPv6 prefix lists (`bgpq4 -j`, JSON), cached
// on disk under `state_dir/irr/` for `irr.cache_ttl_s`. A failed query falls back to the
// stale cache entry (with a warning) and fails only when there is none: an apply must never
// replace a working filter with an empty one because a whois server was unreachable. The
// command runner is injectable so tests use recorded bgpq4 output.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePrefix } from './config-address.js';
import type { Config, RouteServerConfig } from './config-types.js';
import { runCommand, type CommandRunner } from './rs-command.js';
import { routeServerSessions } from './rs-render.js';

/** One entry of a prefix list: `prefix{min,max}` in BIRD terms. */
export interface IrrPrefix {
  prefix: string;
  family: 4 | 6;
  bits: bigint;
  length: number;
  min: number;
  max: number;
}

export interface IrrData {
  /** The IRR object that was expanded (AS-SET or `AS<asn>`). */
  object: string;
  asns: number[];
  ipv4: IrrPrefix[];
  ipv6: IrrPrefix[];
  /** When the data was fetched (ISO 8601); not rendered. */
  fetchedAt: string;
}

export type IrrQuery = 'asns' | 'ipv4' | 'ipv6';

/** The IRR object a member's routes are checked against. */
export function irrObject(m: { asn: number; routeServer: { asSet: string | null } }): string {
  return m.routeServer.asSet ?? `AS${m.asn}`;
}

export function bgpq4Args(object: string, query: IrrQuery, irr: RouteServerConfig['irr']): string[] {
  const args = ['-j', '-l', 'irr'];
  if (irr.server !== null) args.push('-h', irr.server);
  if (irr.sources.length > 0) args.push('-S', irr.sources.join(','));
  args.push(query === 'asns' ? '-t' : query === 'ipv4' ? '-4' : '-6');
  args.push(object);
  return args;
}

function onlyList(stdout: string): unknown[] {
  const json: unknown = JSON.parse(stdout);
  const lists = json && typeof json === 'object' ? Object.values(json) : [];
  const list = lists[0];
  if (lists.length !== 1 || !Array.isArray(list)) throw new Error('expected one named list (bgpq4 -j output)');
  return list;
}

/** Parses `bgpq4 -j -4|-6` output. */
export function parseBgpq4Prefixes(stdout: string, family: 4 | 6): IrrPrefix[] {
  const out: IrrPrefix[] = [];
  for (const e of onlyList(stdout)) {
    const o = e as { prefix?: unknown; exact?: unknown; 'greater-equal'?: unknown; 'less-equal'?: unknown };
    const p = typeof o.prefix === 'string' ? parsePrefix(o.prefix, family) : undefined;
    if (!p) throw new Error(`not an IPv${family} prefix: ${JSON.stringify(o.prefix)}`);
    const ge = typeof o['greater-equal'] === 'number' ? o['greater-equal'] : p.length;
    const le = typeof o['less-equal'] === 'number' ? o['less-equal'] : o.exact === false ? (family === 4 ? 32 : 128) : p.length;
    if (!(ge >= p.length && le >= ge && le <= (family === 4 ? 32 : 128))) {
      throw new Error(`bad length range for ${p.text}: ${ge}-${le}`);
    }
    out.push({ prefix: p.text, family, bits: p.bits, length: p.length, min: ge, max: le });
  }
  return sortPrefixes(out);
}

/** Parses `bgpq4 -j -t` output. */
export function parseBgpq4Asns(stdout: string): number[] {
  const asns = onlyList(stdout).map((x) => {
    if (!Number.isSafeInteger(x) || (x as number) < 1 || (x as number) > 4294967295) {
      throw new Error(`not an ASN: ${JSON.stringify(x)}`);
    }
    return x as number;
  });
  return [...new Set(asns)].sort((a, b) => a - b);
}

/** Address order, then length, then range; duplicates removed. Deterministic render order. */
export function sortPrefixes(list: IrrPrefix[]): IrrPrefix[] {
  const sorted = [...list].sort((a, b) =>
    a.bits < b.bits ? -1 : a.bits > b.bits ? 1 : a.length - b.length || a.min - b.min || a.max - b.max,
  );
  return sorted.filter((p, i) => {
    const q = sorted[i - 1];
    return !q || q.prefix !== p.prefix || q.min !== p.min || q.max !== p.max;
  });
}

/** Runs bgpq4 three times (ASNs, IPv4, IPv6) for one object. */
export async function fetchIrr(
  object: string,
  irr: RouteServerConfig['irr'],
  runner: CommandRunner = runCommand,
  now: Date = new Date(),
): Promise<IrrData> {
  const run = async (q: IrrQuery) => {
    const r = await runner('bgpq4', bgpq4Args(object, q, irr), { timeoutMs: 120000 });
    if (r.code !== 0) throw new Error(`bgpq4 ${q} ${object} failed (exit ${r.code}): ${r.stderr.trim()}`);
    return r.stdout;
  };
  const asns = parseBgpq4Asns(await run('asns'));
  const ipv4 = parseBgpq4Prefixes(await run('ipv4'), 4);
  const ipv6 = parseBgpq4Prefixes(await run('ipv6'), 6);
  return { object, asns, ipv4, ipv6, fetchedAt: now.toISOString() };
}

interface CacheFile {
  object: string;
  sources: string[];
  server: string | null;
  fetched_at: string;
  asns: number[];
  ipv4: { prefix: string; min: number; max: number }[];
  ipv6: { prefix: string; min: number; max: number }[];
}

export function cachePath(dir: string, object: string, irr: RouteServerConfig['irr']): string {
  const key = createHash('sha256').update(JSON.stringify([object, irr.sources, irr.server])).digest('hex');
  return join(dir, `${object.replace(/[^A-Za-z0-9_-]/g, '_')}-${key.slice(0, 12)}.json`);
}

function fromCache(c: CacheFile): IrrData {
  const prefixes = (fam: 4 | 6, list: CacheFile['ipv4']) =>
    sortPrefixes(
      list.map((e) => {
        const p = parsePrefix(e.prefix, fam);
        if (!p) throw new Error(`bad cached prefix ${e.prefix}`);
        return { prefix: p.text, family: fam, bits: p.bits, length: p.length, min: e.min, max: e.max };
      }),
    );
  return { object: c.object, asns: c.asns, ipv4: prefixes(4, c.ipv4), ipv6: prefixes(6, c.ipv6), fetchedAt: c.fetched_at };
}

function toCache(d: IrrData, irr: RouteServerConfig['irr']): CacheFile {
  const plain = (l: IrrPrefix[]) => l.map((p) => ({ prefix: p.prefix, min: p.min, max: p.max }));
  return {
    object: d.object,
    sources: irr.sources,
    server: irr.server,
    fetched_at: d.fetchedAt,
    asns: d.asns,
    ipv4: plain(d.ipv4),
    ipv6: plain(d.ipv6),
  };
}

export interface ResolveIrrOptions {
  /** Cache directory; default `<control.state_dir>/irr`. */
  cacheDir?: string;
  runner?: CommandRunner;
  now?: Date;
  /** Ignore fresh cache entries (always query; the cache remains the fallback). */
  refresh?: boolean;
}

export interface ResolvedIrr {
  /** IRR data by member ASN (members with at least one route-server session). */
  byAsn: Map<number, IrrData>;
  warnings: string[];
}

/** IRR data for every route-server member; one bgpq4 expansion per distinct object. */
export async function resolveIrr(config: Config, opts: ResolveIrrOptions = {}): Promise<ResolvedIrr> {
  const rs = config.routeServer;
  const byAsn = new Map<number, IrrData>();
  const warnings: string[] = [];
  if (!rs || !rs.irr.enabled) return { byAsn, warnings };
  const dir = opts.cacheDir ?? join(config.control.stateDir, 'irr');
  const now = opts.now ?? new Date();
  const byObject = new Map<string, IrrData>();
  const withSessions = new Set(routeServerSessions(config).map((x) => x.asn));
  for (const m of config.members) {
    if (!withSessions.has(m.asn)) continue;
    const object = irrObject(m);
    let data = byObject.get(object);
    if (!data) {
      data = await cachedFetch(object, rs.irr, dir, now, opts, warnings);
      byObject.set(object, data);
    }
    byAsn.set(m.asn, data);
  }
  return { byAsn, warnings };
}

async function cachedFetch(
  object: string,
  irr: RouteServerConfig['irr'],
  dir: string,
  now: Date,
  opts: ResolveIrrOptions,
  warnings: string[],
): Promise<IrrData> {
  const file = cachePath(dir, object, irr);
  let cached: IrrData | undefined;
  try {
    cached = fromCache(JSON.parse(readFileSync(file, 'utf8')) as CacheFile);
  } catch {
    cached = undefined; // absent or unreadable: fetch
  }
  const age = cached ? (now.getTime() - Date.parse(cached.fetchedAt)) / 1000 : Infinity;
  if (cached && !opts.refresh && age >= 0 && age < irr.cacheTtlS) return cached;
  try {
    const data = await fetchIrr(object, irr, opts.runner, now);
    mkdirSync(dir, { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, `${JSON.stringify(toCache(data, irr), null, 1)}\n`);
    renameSync(tmp, file);
    return data;
  } catch (e) {
    if (!cached) throw new Error(`IRR data for ${object}: ${(e as Error).message} (and no cached copy in ${dir})`);
    warnings.push(`IRR data for ${object}: ${(e as Error).message}; using the cached copy from ${cached.fetchedAt}`);
    return cached;
  }
}
