// The daemon's logger: pino, one JSON object per line on stdout (journald stores the lines;
// `journalctl -u ixfabricd -o cat | jq` reads them back). Level from IXFABRIC_LOG_LEVEL
// (trace, debug, info, warn, error, fatal, silent), default info. Levels are written as their
// names ("level":"warn") and times as ISO 8601 so the lines read well without tooling.

import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  /** Overrides IXFABRIC_LOG_LEVEL. */
  level?: string;
  /** Environment to read IXFABRIC_LOG_LEVEL from (default process.env). */
  env?: Record<string, string | undefined>;
  /** Fields added to every line, e.g. {pop: 'fmt'}. */
  base?: Record<string, unknown>;
  /** Where lines go; default stdout (fd 1), written synchronously so nothing is lost on exit. */
  destination?: DestinationStream;
}

/** The configured level: a valid `wanted`, else info. */
export function resolveLogLevel(wanted: string | undefined): { level: LogLevel; invalid: string | null } {
  if (wanted === undefined || wanted.trim() === '') return { level: 'info', invalid: null };
  const w = wanted.trim().toLowerCase();
  return (LOG_LEVELS as readonly string[]).includes(w)
    ? { level: w as LogLevel, invalid: null }
    : { level: 'info', invalid: wanted };
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const env = opts.env ?? process.env;
  const { level, invalid } = resolveLogLevel(opts.level ?? env.IXFABRIC_LOG_LEVEL);
  const log = pino(
    {
      level,
      base: { ...(opts.base ?? {}) },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    opts.destination ?? pino.destination({ dest: 1, sync: true }),
  );
  if (invalid !== null) log.warn({ value: invalid, allowed: LOG_LEVELS }, 'IXFABRIC_LOG_LEVEL is not a log level; using info');
  return log;
}
