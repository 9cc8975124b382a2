// Warm-restart snapshot of the learned part of a forwarding table, as one BSON document
// (`bson` package). Ports are stored by name, because port ids are not stable across
// restarts; static entries are not stored, they come from the config.

import { BSON } from 'bson';
import { KIND_NAMES, KIND_REMOTE, KIND_STATIC } from './fdb-entry.js';
import type { ForwardingTable } from './forwarding-table.js';
import { LEARN_NEW } from './forwarding-table.js';
import { macToString, parseMac } from '../encap/mac.js';

export const SNAPSHOT_FORMAT = 'ixfabric-fdb';
export const SNAPSHOT_VERSION = 1;

export interface SnapshotEntry {
  mac: string;
  port: string;
  kind: 'learned' | 'remote';
  age_s: number;
}

export interface FdbSnapshot {
  format: string;
  version: number;
  saved_at: Date;
  aging_s: number;
  entries: SnapshotEntry[];
}

/** Serialises the learned entries of `table`; `now` is the table clock in seconds. */
export function encodeFdbSnapshot(table: ForwardingTable, portName: (id: number) => string | undefined, now: number, savedAt = new Date()): Uint8Array {
  const entries: SnapshotEntry[] = [];
  for (const e of table.entries()) {
    if (e.kind === KIND_STATIC) continue;
    const port = portName(e.port);
    if (port === undefined) continue;
    entries.push({ mac: macToString(e.mac), port, kind: e.kind === KIND_REMOTE ? 'remote' : 'learned', age_s: Math.max(0, now - e.lastSeen) });
  }
  const doc: FdbSnapshot = { format: SNAPSHOT_FORMAT, version: SNAPSHOT_VERSION, saved_at: savedAt, aging_s: table.agingS, entries };
  return BSON.serialize(doc);
}

export interface RestoreResult {
  restored: number;
  /** Entries skipped: unknown port, too old, malformed, or refused by the table's limits. */
  skipped: number;
  /** Age of the snapshot itself in seconds. */
  snapshotAgeS: number;
}

/**
 * Restores a snapshot into `table` (table clock `now`, seconds). Entries whose age plus the
 * snapshot's own age reaches the aging time are skipped. Throws on a document that is not a
 * snapshot at all (bad BSON, wrong format or version).
 */
export function restoreFdbSnapshot(bytes: Uint8Array, table: ForwardingTable, portId: (name: string) => number | undefined, now: number, wallNow = new Date()): RestoreResult {
  const doc = BSON.deserialize(bytes) as Partial<FdbSnapshot>;
  if (doc.format !== SNAPSHOT_FORMAT || doc.version !== SNAPSHOT_VERSION || !Array.isArray(doc.entries) || !(doc.saved_at instanceof Date)) {
    throw new Error(`not an ${SNAPSHOT_FORMAT} v${SNAPSHOT_VERSION} snapshot`);
  }
  const snapshotAgeS = Math.max(0, (wallNow.getTime() - doc.saved_at.getTime()) / 1000);
  const usable: { mac: number; port: number; age: number }[] = [];
  let skipped = 0;
  for (const raw of doc.entries as unknown[]) {
    const e = (typeof raw === 'object' && raw !== null ? raw : {}) as Partial<SnapshotEntry>;
    const mac = typeof e.mac === 'string' ? parseMac(e.mac) : null;
    const port = typeof e.port === 'string' ? portId(e.port) : undefined;
    const age = typeof e.age_s === 'number' ? e.age_s + snapshotAgeS : NaN;
    if (mac === null || port === undefined || !(age >= 0 && age < table.agingS) || !KIND_NAMES.includes(e.kind as never)) {
      skipped++;
      continue;
    }
    usable.push({ mac, port, age });
  }
  // Oldest first, so the table's LRU list stays in last-seen order.
  usable.sort((a, b) => b.age - a.age);
  let restored = 0;
  for (const u of usable) {
    if (table.learn(u.mac, u.port, now - u.age) === LEARN_NEW) restored++;
    else skipped++;
  }
  return { restored, skipped, snapshotAgeS };
}
