// One forwarding-table entry. Entries are created only when a MAC is learned (never per
// frame) and mutated in place afterwards: refreshing a timestamp or moving to another port
// does not touch the table itself.

export const KIND_LEARNED = 0;
export const KIND_STATIC = 1;
/** Learned on a POP trunk: the MAC lives behind another POP. */
export const KIND_REMOTE = 2;
export const KIND_NAMES = ['learned', 'static', 'remote'] as const;
export type EntryKindName = (typeof KIND_NAMES)[number];

export class FdbEntry {
  /** Seconds (table clock) of the last frame from this MAC. */
  lastSeen: number;
  /** Last time the entry was moved to the fresh end of the LRU list. */
  touched: number;
  /** Moves inside the current damping window, and when that window started. */
  moves = 0;
  moveWindowStart = 0;
  /** Until this time the MAC may not move (it bounced too often). */
  pinnedUntil = 0;
  /** False once removed from the table; cached references check it. */
  alive = true;
  /** Position stamp in its port's queue (see PortQueue); 0 when on no queue. */
  stamp = 0;

  constructor(
    readonly mac: number,
    public port: number,
    public kind: number,
    now: number,
  ) {
    this.lastSeen = now;
    this.touched = now;
  }
}
