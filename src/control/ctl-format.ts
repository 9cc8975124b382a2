// Human output of ixfabricctl: aligned tables (two spaces between columns, numbers
// right-aligned, no trailing blanks), `key: value` blocks, and a generic fallback for answers
// whose shape the CLI does not know (route server, IX-F). Colour (bold headers, up/down) only
// when asked for (stdout is a TTY and NO_COLOR is unset). Every formatter tolerates missing
// fields ('-') so an older or newer daemon still prints something sensible.

export interface FormatOptions {
  /** ANSI colour. */
  color?: boolean;
  /** Byte counts as 1.5 GiB instead of raw numbers. */
  humanBytes?: boolean;
}

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

/** A cell: the text, and optionally a colour applied after padding. */
export type Cell = string | { text: string; color?: 'green' | 'red' | 'yellow' };

const ANSI = { bold: '\x1b[1m', green: '\x1b[32m', red: '\x1b[31m', yellow: '\x1b[33m', reset: '\x1b[0m' } as const;

function cellText(c: Cell | undefined): string {
  return c === undefined ? '' : typeof c === 'string' ? c : c.text;
}

/** Display width: code points (good enough for names; wide CJK would be off by design). */
function width(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function pad(s: string, w: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, w - width(s)));
  return align === 'right' ? fill + s : s + fill;
}

/** Render a table; ends with a newline. */
export function renderTable(columns: Column[], rows: Cell[][], opts: FormatOptions = {}): string {
  const widths = columns.map((c, i) => rows.reduce((w, r) => Math.max(w, width(cellText(r[i]))), width(c.header)));
  const line = (cells: Cell[], header: boolean): string => {
    const parts: string[] = [];
    columns.forEach((col, i) => {
      const align = col.align ?? 'left';
      const last = i === columns.length - 1;
      const raw = header ? col.header : cellText(cells[i]);
      let text = last && align === 'left' ? raw : pad(raw, widths[i] as number, align);
      const cell = cells[i];
      if (opts.color) {
        if (header) text = `${ANSI.bold}${text}${ANSI.reset}`;
        else if (cell !== undefined && typeof cell !== 'string' && cell.color) {
          // Colour only the text, not the padding, so alignment is unchanged.
          const body = text.trim();
          text = text.replace(body, `${ANSI[cell.color]}${body}${ANSI.reset}`);
        }
      }
      parts.push(text);
    });
    return parts.join('  ').replace(/ +$/, '');
  };
  const out = [line([], true)];
  for (const r of rows) out.push(line(r, false));
  return `${out.join('\n')}\n`;
}

/** `key: value` lines with the values aligned; ends with a newline. */
export function renderKeyValues(pairs: Array<[string, string]>): string {
  const w = pairs.reduce((m, [k]) => Math.max(m, width(k) + 1), 0);
  return pairs.map(([k, v]) => `${pad(`${k}:`, w, 'left')} ${v}`.replace(/ +$/, '')).join('\n') + (pairs.length ? '\n' : '');
}

// ---------- values ----------

export function formatNumber(v: unknown): string {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return String(v);
    return Number.isInteger(v) ? String(v) : v.toFixed(1);
  }
  if (typeof v === 'bigint') return v.toString();
  return v === undefined || v === null ? '-' : String(v);
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** 1536 → '1.5 KiB'; below 1024 the plain number with 'B'. */
export function formatBytes(v: unknown): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return formatNumber(v);
  let n = v;
  let u = 0;
  while (Math.abs(n) >= 1024 && u < UNITS.length - 1) {
    n /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${n.toFixed(1)} ${UNITS[u]}`;
}

/** 93784 → '1d 2h 3m 4s'. */
export function formatDuration(seconds: unknown): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return formatNumber(seconds);
  let s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const parts: string[] = [];
  if (d) parts.push(`${d}d`);
  if (d || h) parts.push(`${h}h`);
  if (d || h || m) parts.push(`${m}m`);
  parts.push(`${s}s`);
  return parts.join(' ');
}

/** Scalars as text, lists comma-joined ('-' when empty), objects as k=v,... */
export function formatValue(v: unknown): string {
  if (v === undefined || v === null) return '-';
  if (typeof v === 'string') return v === '' ? '-' : v;
  if (typeof v === 'number' || typeof v === 'bigint') return formatNumber(v);
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.length === 0 ? '-' : v.map(formatValue).join(',');
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>);
    return entries.length === 0 ? '-' : entries.map(([k, x]) => `${k}=${formatValue(x)}`).join(',');
  }
  return String(v);
}

function obj(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Drops `{reason: count}` as `reason=count,...`, non-zero only, sorted by reason. */
export function formatDrops(v: unknown): string {
  const parts = Object.entries(obj(v))
    .filter(([, n]) => typeof n === 'number' && n !== 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, n]) => `${k}=${formatNumber(n)}`);
  return parts.length ? parts.join(',') : '-';
}

// ---------- commands ----------

const KNOWN_STATUS: Array<[string, string, (v: unknown) => string]> = [
  ['pop', 'pop', formatValue],
  ['version', 'version', formatValue],
  ['uptime_s', 'uptime', (v) => (typeof v === 'number' ? `${formatDuration(v)} (${Math.floor(v)} s)` : formatValue(v))],
  ['ports', 'ports', formatValue],
  ['members', 'members', formatValue],
  ['fdb_entries', 'fdb entries', formatValue],
  ['config_path', 'config', formatValue],
  ['config_loaded_at', 'config loaded at', formatValue],
];

export function formatStatus(result: unknown): string {
  const o = obj(result);
  const pairs: Array<[string, string]> = KNOWN_STATUS.map(([key, label, f]) => [label, f(o[key])]);
  for (const [k, v] of Object.entries(o)) {
    if (!KNOWN_STATUS.some(([key]) => key === k)) pairs.push([k.replaceAll('_', ' '), formatValue(v)]);
  }
  return renderKeyValues(pairs);
}

export function formatPorts(result: unknown, opts: FormatOptions = {}): string {
  const bytes = opts.humanBytes ? formatBytes : formatNumber;
  const rows = list(result).map((p): Cell[] => {
    const o = obj(p);
    const state = formatValue(o.state);
    return [
      formatValue(o.name),
      formatValue(o.type),
      formatValue(o.member_asn),
      { text: state, color: state === 'up' ? 'green' : state === 'down' ? 'red' : 'yellow' },
      formatNumber(o.rx_packets),
      formatNumber(o.tx_packets),
      bytes(o.rx_bytes),
      bytes(o.tx_bytes),
      formatDrops(o.drops),
    ];
  });
  const r: Column['align'] = 'right';
  return renderTable(
    [
      { header: 'NAME' },
      { header: 'TYPE' },
      { header: 'ASN', align: r },
      { header: 'STATE' },
      { header: 'RX_PKTS', align: r },
      { header: 'TX_PKTS', align: r },
      { header: 'RX_BYTES', align: r },
      { header: 'TX_BYTES', align: r },
      { header: 'DROPS' },
    ],
    rows,
    opts,
  );
}

export function formatMembers(result: unknown, opts: FormatOptions = {}): string {
  const rows = list(result).map((m): Cell[] => {
    const o = obj(m);
    return [o.asn, o.name, o.macs, o.ipv4, o.ipv6, o.ports].map(formatValue);
  });
  return renderTable(
    [{ header: 'ASN', align: 'right' }, { header: 'NAME' }, { header: 'MACS' }, { header: 'IPV4' }, { header: 'IPV6' }, { header: 'PORTS' }],
    rows,
    opts,
  );
}

export function formatFdb(entries: unknown, opts: FormatOptions = {}): string {
  const rows = list(entries).map((e): Cell[] => {
    const o = obj(e);
    return [formatValue(o.mac), formatValue(o.port), formatValue(o.kind), formatNumber(o.age_s)];
  });
  return renderTable([{ header: 'MAC' }, { header: 'PORT' }, { header: 'KIND' }, { header: 'AGE', align: 'right' }], rows, opts);
}

export function formatFlush(result: unknown): string {
  return renderKeyValues([['flushed', formatValue(obj(result).flushed)]]);
}

export function formatReload(result: unknown): string {
  const o = obj(result);
  return renderKeyValues(
    (['added', 'removed', 'changed', 'unchanged'] as const).map((k): [string, string] => {
      const v = list(o[k]);
      return [k, v.length === 0 ? '-' : `${v.length}: ${v.map(formatValue).join(', ')}`];
    }),
  );
}

/** Text as is (with a final newline); anything else as `formatGeneric`. */
export function formatText(result: unknown, opts: FormatOptions = {}): string {
  if (typeof result === 'string') return result === '' || result.endsWith('\n') ? result : `${result}\n`;
  return formatGeneric(result, opts);
}

/** A value in a `key: value` block: lists of scalars comma-separated, nested documents as JSON. */
function detailValue(v: unknown): string {
  if (Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object')) return v.length ? v.map(formatValue).join(', ') : '-';
  if (v !== null && typeof v === 'object' && !(v instanceof Date)) return JSON.stringify(v);
  return formatValue(v);
}

/**
 * For answers of unknown shape: a string as is, an array of objects as a table of the union
 * of their keys, an object as `key: value` lines, anything else as its text.
 */
export function formatGeneric(result: unknown, opts: FormatOptions = {}): string {
  if (typeof result === 'string') return formatText(result);
  if (Array.isArray(result)) {
    if (result.length === 0) return '';
    if (result.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r))) {
      const keys: string[] = [];
      for (const r of result) for (const k of Object.keys(r as object)) if (!keys.includes(k)) keys.push(k);
      const numeric = keys.map((k) =>
        result.every((r) => {
          const v = (r as Record<string, unknown>)[k];
          return v === undefined || v === null || typeof v === 'number';
        }),
      );
      return renderTable(
        keys.map((k, i) => ({ header: k.toUpperCase(), align: numeric[i] ? 'right' : 'left' })),
        result.map((r) => keys.map((k) => formatValue((r as Record<string, unknown>)[k]))),
        opts,
      );
    }
    return `${result.map(formatValue).join('\n')}\n`;
  }
  if (result !== null && typeof result === 'object' && !(result instanceof Date)) {
    return renderKeyValues(Object.entries(result as Record<string, unknown>).map(([k, v]): [string, string] => [k.replaceAll('_', ' '), detailValue(v)]));
  }
  return `${formatValue(result)}\n`;
}
