// Rate limiting for drop logs. The dataplane counts every drop; a log line per dropped frame
// would flood the journal (a MikroTik member sends MNDP, CDP and LLDP all day). Per (port,
// reason) the first drop in a window (one minute) is logged with its details (MAC, IP, ...);
// later drops in that window are only counted, and the count is reported as `suppressed: N`
// on the next line logged for that (port, reason). Pure logic with an injectable clock: the
// caller decides when to look at `pending()` (e.g. from its metrics tick) if it wants the
// counts of a quiet (port, reason) flushed without waiting for its next drop.

export interface DropLogEntry {
  port: string;
  reason: string;
  /** Drops of this (port, reason) not logged since the previous line for it. */
  suppressed: number;
  /** The details given with the drop being logged (empty for pending() summaries). */
  details: Record<string, unknown>;
}

export interface DropLogLimiterOptions {
  /** Window per (port, reason) in ms. Default 60000. */
  windowMs?: number;
  /** Clock in ms. Default Date.now. */
  now?: () => number;
  /** Most (port, reason) pairs tracked; the oldest quiet ones are forgotten beyond. Default 10000. */
  maxKeys?: number;
}

interface Slot {
  port: string;
  reason: string;
  /** When the last line for this key was logged. */
  loggedAt: number;
  suppressed: number;
}

export class DropLogLimiter {
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly maxKeys: number;
  /** Insertion order = order of the last logged line (re-inserted on every log). */
  private readonly slots = new Map<string, Slot>();

  constructor(opts: DropLogLimiterOptions = {}) {
    this.windowMs = opts.windowMs ?? 60000;
    this.now = opts.now ?? Date.now;
    this.maxKeys = opts.maxKeys ?? 10000;
  }

  /**
   * One drop. Returns the entry to log, or null when it is suppressed (counted for the next
   * line of the same port and reason).
   */
  record(port: string, reason: string, details: Record<string, unknown> = {}): DropLogEntry | null {
    const key = `${port}\0${reason}`;
    const t = this.now();
    const slot = this.slots.get(key);
    if (slot && t - slot.loggedAt < this.windowMs) {
      slot.suppressed++;
      return null;
    }
    const suppressed = slot?.suppressed ?? 0;
    this.slots.delete(key);
    this.slots.set(key, { port, reason, loggedAt: t, suppressed: 0 });
    this.prune(t);
    return { port, reason, suppressed, details };
  }

  /**
   * Summaries for (port, reason) pairs whose window is over with suppressed drops not yet
   * reported; their counts are reset (reported once). No details.
   */
  pending(): DropLogEntry[] {
    const t = this.now();
    const out: DropLogEntry[] = [];
    for (const slot of this.slots.values()) {
      if (slot.suppressed > 0 && t - slot.loggedAt >= this.windowMs) {
        out.push({ port: slot.port, reason: slot.reason, suppressed: slot.suppressed, details: {} });
        slot.suppressed = 0;
        slot.loggedAt = t;
      }
    }
    return out;
  }

  /** Forget a port (removed by a reload). */
  forgetPort(port: string): void {
    for (const [key, slot] of this.slots) if (slot.port === port) this.slots.delete(key);
  }

  /** Pairs tracked now. */
  get size(): number {
    return this.slots.size;
  }

  private prune(t: number): void {
    if (this.slots.size <= this.maxKeys) return;
    for (const [key, slot] of this.slots) {
      if (this.slots.size <= this.maxKeys) break;
      // Oldest first; a slot still inside its window with counts is kept unless we must.
      if (slot.suppressed === 0 || t - slot.loggedAt >= this.windowMs) this.slots.delete(key);
    }
    while (this.slots.size > this.maxKeys) {
      const first = this.slots.keys().next();
      if (first.done) break;
      this.slots.delete(first.value);
    }
  }
}

/** The subset of a pino logger drop logging uses. */
export interface DropLogSink {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/**
 * A `(port, reason, details) => void` that logs through `log` with the limiter's policy:
 * `{port, reason, ...details, suppressed}` with message 'frame dropped'. `flush()` logs the
 * pending() summaries ('frames dropped (summary)').
 */
export function createDropLogger(
  log: DropLogSink,
  opts: DropLogLimiterOptions & { level?: 'info' | 'warn' } = {},
): { drop(port: string, reason: string, details?: Record<string, unknown>): void; flush(): void; limiter: DropLogLimiter } {
  const limiter = new DropLogLimiter(opts);
  const level = opts.level ?? 'info';
  return {
    limiter,
    drop(port, reason, details = {}) {
      const e = limiter.record(port, reason, details);
      if (e) log[level]({ ...e.details, port: e.port, reason: e.reason, suppressed: e.suppressed }, 'frame dropped');
    },
    flush() {
      for (const e of limiter.pending()) log[level]({ port: e.port, reason: e.reason, suppressed: e.suppressed }, 'frames dropped (summary)');
    },
  };
}
