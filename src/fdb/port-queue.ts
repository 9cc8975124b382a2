// The learned MACs of one port in learning order, for fair eviction: the oldest entry of the
// port that holds the most MACs goes first. Removal is lazy (an entry that expired, moved or
// was flushed just stops matching its stamp) so every operation is O(1) amortised; a JS Set
// would degrade here, because deleting from its front leaves holes that iteration must skip.

import type { FdbEntry } from './fdb-entry.js';

let nextStamp = 1;

export class PortQueue {
  private items: FdbEntry[] = [];
  private stamps: number[] = [];
  private head = 0;
  /** Entries currently on the port. */
  size = 0;

  add(e: FdbEntry): void {
    e.stamp = nextStamp++;
    this.items.push(e);
    this.stamps.push(e.stamp);
    this.size++;
    const live = this.items.length - this.head;
    if (live > 2 * this.size + 64 || (this.head > 4096 && this.head > live)) this.compact();
  }

  delete(e: FdbEntry): void {
    e.stamp = 0;
    this.size--;
  }

  /** The oldest entry still on the port, or undefined. */
  oldest(): FdbEntry | undefined {
    while (this.head < this.items.length) {
      const e = this.items[this.head]!;
      if (e.stamp === this.stamps[this.head]) return e;
      this.head++;
    }
    return undefined;
  }

  /** Calls `fn` for every entry on the port, oldest first (no copy). */
  forEach(fn: (e: FdbEntry) => void): void {
    for (let i = this.head; i < this.items.length; i++) if (this.items[i]!.stamp === this.stamps[i]) fn(this.items[i]!);
  }

  /** A copy of the entries on the port, oldest first. */
  entries(): FdbEntry[] {
    const out: FdbEntry[] = [];
    for (let i = this.head; i < this.items.length; i++) if (this.items[i]!.stamp === this.stamps[i]) out.push(this.items[i]!);
    return out;
  }

  private compact(): void {
    const items: FdbEntry[] = [];
    const stamps: number[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      if (this.items[i]!.stamp !== this.stamps[i]) continue;
      items.push(this.items[i]!);
      stamps.push(this.stamps[i]!);
    }
    this.items = items;
    this.stamps = stamps;
    this.head = 0;
  }
}
