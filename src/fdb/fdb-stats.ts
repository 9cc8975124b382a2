// The forwarding table's counters live in a Float64Array so the dataplane can place them in
// memory shared with the control thread; these are the slot indexes.

export const FDB_LEARNED = 0;
export const FDB_MOVED = 1;
export const FDB_EVICTED = 2;
export const FDB_EXPIRED = 3;
export const FDB_LIMIT_HITS = 4;
export const FDB_PINNED = 5;
export const FDB_PINNED_DROPS = 6;
export const FDB_ENTRIES = 7;
export const FDB_STATS_LEN = 8;

export const FDB_STAT_NAMES = ['learned', 'moved', 'evicted', 'expired', 'limit_hits', 'pinned', 'pinned_drops', 'entries'] as const;

export function fdbStatsObject(stats: Float64Array): Record<(typeof FDB_STAT_NAMES)[number], number> {
  const out = {} as Record<(typeof FDB_STAT_NAMES)[number], number>;
  FDB_STAT_NAMES.forEach((name, i) => (out[name] = stats[i]!));
  return out;
}
