// systemd notifications (Type=notify / notify-reload, WatchdogSec=) over the native addon's
// sdNotify, which sends one datagram to $NOTIFY_SOCKET and returns false when it is unset.
//
//   ready()        READY=1                 (optionally with STATUS=...)
//   reloading()    RELOADING=1\nMONOTONIC_USEC=<CLOCK_MONOTONIC in µs>   (send ready() when done)
//   stopping()     STOPPING=1
//   watchdog()     WATCHDOG=1
//   status(text)   STATUS=<text on one line>
//   startWatchdog() pings WATCHDOG=1 every half of $WATCHDOG_USEC when the watchdog is enabled
//                  for this process ($WATCHDOG_PID absent or equal to our pid).
//
// A failed notification is never fatal: every method returns whether the datagram was sent.

import { native } from '../dataplane/native.js';

export type NotifySend = (state: string) => boolean;

export interface SdNotifyOptions {
  /** Sends one notification; default: the native addon's sdNotify. */
  send?: NotifySend;
  /** Environment read by startWatchdog (default process.env). */
  env?: Record<string, string | undefined>;
  /** Our pid, compared with WATCHDOG_PID (default process.pid). */
  pid?: number;
  /** CLOCK_MONOTONIC in nanoseconds (default process.hrtime.bigint, which is CLOCK_MONOTONIC on Linux). */
  monotonicNs?: () => bigint;
  /** Called when sending throws (e.g. the notify socket went away). */
  onError?: (err: unknown) => void;
}

export interface WatchdogHandle {
  /** Ping interval in ms. */
  readonly intervalMs: number;
  stop(): void;
}

/** One line, no control characters: systemd reads STATUS= up to the newline. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
}

/**
 * The watchdog interval for this process in µs, from WATCHDOG_USEC/WATCHDOG_PID, or null when
 * the watchdog is not enabled for us.
 */
export function watchdogUsec(env: Record<string, string | undefined>, pid: number): bigint | null {
  const usec = env.WATCHDOG_USEC;
  if (usec === undefined || !/^\d+$/.test(usec)) return null;
  const v = BigInt(usec);
  if (v === 0n) return null;
  const wpid = env.WATCHDOG_PID;
  if (wpid !== undefined && wpid !== '' && wpid !== String(pid)) return null;
  return v;
}

export class SdNotify {
  private readonly sendFn: NotifySend;
  private readonly env: Record<string, string | undefined>;
  private readonly pid: number;
  private readonly monotonicNs: () => bigint;
  private readonly onError: (err: unknown) => void;
  private watchdogTimer: NodeJS.Timeout | null = null;

  constructor(opts: SdNotifyOptions = {}) {
    this.sendFn = opts.send ?? ((state) => native.sdNotify(state));
    this.env = opts.env ?? process.env;
    this.pid = opts.pid ?? process.pid;
    this.monotonicNs = opts.monotonicNs ?? (() => process.hrtime.bigint());
    this.onError = opts.onError ?? (() => {});
  }

  /** Send a raw state string; false when not under systemd or when sending failed. */
  notify(state: string): boolean {
    try {
      return this.sendFn(state);
    } catch (err) {
      this.onError(err);
      return false;
    }
  }

  ready(status?: string): boolean {
    return this.notify(status === undefined ? 'READY=1' : `READY=1\nSTATUS=${oneLine(status)}`);
  }

  /** Type=notify-reload: a reload starts now; call ready() when it is done. */
  reloading(): boolean {
    return this.notify(`RELOADING=1\nMONOTONIC_USEC=${this.monotonicNs() / 1000n}`);
  }

  stopping(): boolean {
    return this.notify('STOPPING=1');
  }

  watchdog(): boolean {
    return this.notify('WATCHDOG=1');
  }

  status(text: string): boolean {
    return this.notify(`STATUS=${oneLine(text)}`);
  }

  /**
   * Ping the watchdog every half interval (unref'd timer, so it never keeps the process alive).
   * Returns null when the watchdog is not enabled for this process. Pings once immediately.
   */
  startWatchdog(): WatchdogHandle | null {
    const usec = watchdogUsec(this.env, this.pid);
    if (usec === null) return null;
    this.stopWatchdog();
    // setInterval cannot wait longer than 2^31-1 ms (it would fire every 1 ms instead).
    const intervalMs = Math.min(0x7fffffff, Math.max(1, Number(usec / 2000n)));
    this.watchdog();
    const timer = setInterval(() => this.watchdog(), intervalMs);
    timer.unref();
    this.watchdogTimer = timer;
    return {
      intervalMs,
      stop: () => {
        if (this.watchdogTimer === timer) this.stopWatchdog();
      },
    };
  }

  stopWatchdog(): void {
    if (this.watchdogTimer) clearInterval(this.watchdogTimer);
    this.watchdogTimer = null;
  }
}
