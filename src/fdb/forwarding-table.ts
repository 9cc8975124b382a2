// The forwarding table of one bridge domain: MAC → port, on top of `lru-cache`.
//
// Hot-path rules (see DESIGN.md): a known source only has its timestamp refreshed in place;
// it is moved to the fresh end of the LRU list at most once a second, so the list stays in
// last-seen order (to the second) and aging walks it from the stale end and stops at the
// first fresh entry. The table never evicts by LRU order by itself: when the global cap is
// reached, the port that holds the most learned MACs gives up its oldest one (fair eviction),
// so one member flooding random source MACs cannot push everybody else out.

import { LRUCache } from 'lru-cache';
import { FdbEntry, KIND_LEARNED, KIND_REMOTE, KIND_STATIC } from './fdb-entry.js';
import { PortQueue } from './port-queue.js';
import {
  FDB_ENTRIES,
  FDB_EVICTED,
  FDB_EXPIRED,
  FDB_LEARNED,
  FDB_LIMIT_HITS,
  FDB_MOVED,
  FDB_PINNED,
  FDB_PINNED_DROPS,
  FDB_STATS_LEN,
} from './fdb-stats.js';

/**
 * Options for lru-cache's peek, shared: without them it allocates an empty options object per
 * call (two per forwarded frame), which made the dataplane worker's garbage collector run every
 * ~170 ms at 150 kpps. lru-cache writes `status` into it (undefined while nobody subscribes to its
 * diagnostics channel), so it cannot be frozen.
 */
const PEEK: LRUCache.PeekOptions<number, FdbEntry, unknown> = {};

/** `learn` results. Negative values mean: drop the frame, do not learn. */
export const LEARN_REFRESHED = 0;
export const LEARN_NEW = 1;
export const LEARN_MOVED = 2;
/** The port already holds its maximum of learned MACs (drop reason `mac_limit`). */
export const LEARN_LIMIT = -1;
/** The MAC bounced between ports too often and is pinned to its port (`mac_pinned`). */
export const LEARN_PINNED = -2;
/** The MAC is configured static on another port (`src_mac`). */
export const LEARN_STATIC_CONFLICT = -3;

export interface ForwardingTableOptions {
  /** Seconds without a frame before a learned MAC is removed (default 300). */
  agingS?: number;
  /** Global cap on learned entries (default 100000). Static entries do not count. */
  maxEntries?: number;
  /** Learned-MAC limit of a port unless `setPortLimit` says otherwise (default 4). */
  defaultPortLimit?: number;
  /** A MAC that moves more than `moveLimit` times within `moveWindowS` is pinned. */
  moveLimit?: number;
  moveWindowS?: number;
  /** How long a pinned MAC stays pinned (seconds). */
  pinS?: number;
  /** Maximum number of ports (port ids are 0 .. maxPorts-1). */
  maxPorts?: number;
  /** Counter slots (FDB_* indexes); pass shared memory to publish them. */
  stats?: Float64Array;
}

const MAX_STATIC = 65536;

export class ForwardingTable {
  agingS: number;
  maxEntries: number;
  readonly moveLimit: number;
  readonly moveWindowS: number;
  readonly pinS: number;
  readonly stats: Float64Array;
  private lru: LRUCache<number, FdbEntry>;
  /** Learned (non-static) MACs per port, in learning order: the eviction candidates. */
  private readonly portMacs: (PortQueue | undefined)[] = [];
  private readonly portLimit: Float64Array;
  /** Last source entry seen per port: most ports carry one MAC, so learning is one compare. */
  private readonly lastSource: (FdbEntry | undefined)[] = [];
  private readonly remotePort: Uint8Array;
  private learnedCount = 0;
  private readonly statics = new Set<FdbEntry>();

  constructor(opts: ForwardingTableOptions = {}) {
    this.agingS = opts.agingS ?? 300;
    this.maxEntries = opts.maxEntries ?? 100000;
    this.moveLimit = opts.moveLimit ?? 4;
    this.moveWindowS = opts.moveWindowS ?? 10;
    this.pinS = opts.pinS ?? 30;
    const maxPorts = opts.maxPorts ?? 4096;
    this.portLimit = new Float64Array(maxPorts).fill(opts.defaultPortLimit ?? 4);
    this.remotePort = new Uint8Array(maxPorts);
    this.stats = opts.stats ?? new Float64Array(FDB_STATS_LEN);
    this.lru = new LRUCache<number, FdbEntry>({ max: this.maxEntries + MAX_STATIC + 1 });
  }

  get size(): number {
    return this.lru.size;
  }

  /**
   * Changes the aging time and the global cap at run time. A lower cap evicts fairly down to
   * it; a cap beyond the table's capacity rebuilds the underlying cache in the same order.
   */
  setLimits(agingS: number, maxEntries: number): void {
    this.agingS = agingS;
    this.maxEntries = maxEntries;
    while (this.learnedCount > maxEntries) this.evictFairly();
    if (maxEntries + MAX_STATIC + 1 > this.lru.max) {
      const bigger = new LRUCache<number, FdbEntry>({ max: maxEntries + MAX_STATIC + 1 });
      for (const e of this.lru.rvalues()) if (e) bigger.set(e.mac, e);
      this.lru = bigger;
    }
  }

  /** Learned-MAC limit for one port; Infinity for no limit (trunks). */
  setPortLimit(port: number, limit: number): void {
    this.portLimit[port] = limit;
  }

  /** Marks a port as a POP trunk: MACs learned there are `remote` and not limited per port. */
  setPortRemote(port: number, remote: boolean): void {
    this.remotePort[port] = remote ? 1 : 0;
    if (remote) this.portLimit[port] = Infinity;
  }

  learnedOnPort(port: number): number {
    return this.portMacs[port]?.size ?? 0;
  }

  /** Installs a static MAC: it never ages and never moves. Replaces any learned entry. */
  addStatic(mac: number, port: number, now: number): void {
    const old = this.lru.peek(mac, PEEK);
    if (old) this.remove(old);
    if (this.statics.size >= MAX_STATIC) throw new Error(`too many static MACs (max ${MAX_STATIC})`);
    const e = new FdbEntry(mac, port, KIND_STATIC, now);
    this.lru.set(mac, e);
    this.statics.add(e);
    this.stats[FDB_ENTRIES] = this.lru.size;
  }

  removeStatic(mac: number): boolean {
    const e = this.lru.peek(mac, PEEK);
    if (!e || e.kind !== KIND_STATIC) return false;
    this.remove(e);
    return true;
  }

  /** Port of `mac`, or -1 when unknown. Does not change the entry. */
  lookup(mac: number): number {
    const e = this.lru.peek(mac, PEEK);
    return e === undefined ? -1 : e.port;
  }

  peek(mac: number): FdbEntry | undefined {
    return this.lru.peek(mac, PEEK);
  }

  /** Learns or refreshes `mac` on `port` at time `now` (seconds). See LEARN_* for results. */
  learn(mac: number, port: number, now: number): number {
    const cached = this.lastSource[port];
    if (cached !== undefined && cached.mac === mac && cached.port === port && cached.alive) {
      this.refresh(cached, now);
      return LEARN_REFRESHED;
    }
    const e = this.lru.peek(mac, PEEK);
    if (e === undefined) return this.insert(mac, port, now);
    if (e.port === port) {
      this.lastSource[port] = e;
      this.refresh(e, now);
      return LEARN_REFRESHED;
    }
    return this.move(e, port, now);
  }

  private refresh(e: FdbEntry, now: number): void {
    e.lastSeen = now;
    if (now - e.touched >= 1) {
      e.touched = now;
      this.lru.get(e.mac);
    }
  }

  private insert(mac: number, port: number, now: number): number {
    if (this.learnedOnPort(port) >= this.portLimit[port]!) {
      this.stats[FDB_LIMIT_HITS]!++;
      return LEARN_LIMIT;
    }
    if (this.learnedCount >= this.maxEntries) this.evictFairly();
    const e = new FdbEntry(mac, port, this.remotePort[port] ? KIND_REMOTE : KIND_LEARNED, now);
    this.lru.set(mac, e);
    this.attach(e);
    this.lastSource[port] = e;
    this.stats[FDB_LEARNED]!++;
    this.stats[FDB_ENTRIES] = this.lru.size;
    return LEARN_NEW;
  }

  private move(e: FdbEntry, port: number, now: number): number {
    if (e.kind === KIND_STATIC) return LEARN_STATIC_CONFLICT;
    if (e.pinnedUntil > now) {
      this.stats[FDB_PINNED_DROPS]!++;
      return LEARN_PINNED;
    }
    if (now - e.moveWindowStart > this.moveWindowS) {
      e.moveWindowStart = now;
      e.moves = 0;
    }
    if (++e.moves > this.moveLimit) {
      e.pinnedUntil = now + this.pinS;
      e.moves = 0;
      this.stats[FDB_PINNED]!++;
      this.stats[FDB_PINNED_DROPS]!++;
      return LEARN_PINNED;
    }
    if (this.learnedOnPort(port) >= this.portLimit[port]!) {
      this.stats[FDB_LIMIT_HITS]!++;
      return LEARN_LIMIT;
    }
    this.detach(e);
    e.port = port;
    e.kind = this.remotePort[port] ? KIND_REMOTE : KIND_LEARNED;
    this.attach(e);
    this.lastSource[port] = e;
    this.refresh(e, now);
    this.stats[FDB_MOVED]!++;
    return LEARN_MOVED;
  }

  private attach(e: FdbEntry): void {
    let q = this.portMacs[e.port];
    if (q === undefined) this.portMacs[e.port] = q = new PortQueue();
    q.add(e);
    this.learnedCount++;
  }

  private detach(e: FdbEntry): void {
    this.portMacs[e.port]?.delete(e);
    this.learnedCount--;
  }

  private remove(e: FdbEntry): void {
    if (e.kind === KIND_STATIC) this.statics.delete(e);
    else this.detach(e);
    e.alive = false;
    this.lru.delete(e.mac);
    this.stats[FDB_ENTRIES] = this.lru.size;
  }

  /** Evicts the oldest learned MAC of the port that holds the most learned MACs. */
  private evictFairly(): void {
    let victimPort = -1;
    let most = 0;
    for (let p = 0; p < this.portMacs.length; p++) {
      const n = this.portMacs[p]?.size ?? 0;
      if (n > most) {
        most = n;
        victimPort = p;
      }
    }
    if (victimPort < 0) return;
    this.remove(this.portMacs[victimPort]!.oldest()!);
    this.stats[FDB_EVICTED]!++;
  }

  /** Removes learned entries not seen for `agingS`. Returns how many expired. */
  age(now: number): number {
    const stale: FdbEntry[] = [];
    const keepFresh: FdbEntry[] = [];
    for (const e of this.lru.rvalues()) {
      if (e === undefined) continue;
      if (e.kind === KIND_STATIC) {
        keepFresh.push(e);
        continue;
      }
      // The list is in `touched` order and touched <= lastSeen: from the first entry touched
      // within the aging time on, every entry is fresh.
      if (now - e.touched < this.agingS) break;
      if (now - e.lastSeen >= this.agingS) stale.push(e);
    }
    for (const e of keepFresh) this.lru.get(e.mac);
    for (const e of stale) this.remove(e);
    this.stats[FDB_EXPIRED]! += stale.length;
    return stale.length;
  }

  /** Removes the learned entries of one port (statics stay). Returns how many. */
  flushPort(port: number): number {
    const q = this.portMacs[port];
    if (!q) return 0;
    const victims = q.entries();
    for (const e of victims) this.remove(e);
    this.lastSource[port] = undefined;
    return victims.length;
  }

  /** Removes every learned entry. Returns how many. */
  flushAll(): number {
    let n = 0;
    for (let p = 0; p < this.portMacs.length; p++) n += this.flushPort(p);
    return n;
  }

  /** Removes everything about a port: learned and static entries, limit and trunk flag. */
  forgetPort(port: number, defaultLimit: number): number {
    let n = this.flushPort(port);
    for (const e of [...this.lru.values()]) {
      if (e.port === port) {
        this.remove(e);
        n++;
      }
    }
    this.remotePort[port] = 0;
    this.portLimit[port] = defaultLimit;
    return n;
  }

  /** Every entry, freshest first. */
  entries(): IterableIterator<FdbEntry> {
    return this.lru.values();
  }

  /**
   * Calls `fn` for every entry, port by port: plain array walks, about twenty times faster
   * than iterating the cache, so dumping 100,000 entries does not stall the dataplane.
   */
  forEach(fn: (e: FdbEntry) => void): void {
    for (const e of this.statics) fn(e);
    for (const q of this.portMacs) q?.forEach(fn);
  }
}
