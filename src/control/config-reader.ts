// Reading a parsed YAML document with positions: a `ReadContext` collects errors and the
// position of every value it visited (by field path, so later cross-field checks can point at
// a value by its path), and a `MapReader` hands out the keys of one map and reports the keys
// nobody asked for as `unknown key`. Leaf values are checked by `Leaf`s (config-values.ts).

import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { ConfigError } from './config-types.js';

export interface Pos {
  offset: number;
  line: number;
  column: number;
}

/** What a leaf sees of a scalar: its value as YAML resolved it and its text in the file. */
export interface ScalarIn {
  value: unknown;
  /** Source text (unquoted); for plain scalars this tells `1.0` from `1`, `0660` from `660`. */
  source: string;
  plain: boolean;
  /** Integer written as an integer (decimal, 0x.. or 0o..), not a float or a string. */
  integer: boolean;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason?: string };

export interface Leaf<T> {
  /** Completes "must be ...", e.g. `an integer between 1 and 16777215`. */
  want: string;
  /** Whether an explicit null (`key:` or `key: ~`) is a value of this leaf. */
  nullable?: boolean;
  parse(s: ScalarIn): Parsed<T>;
}

export function formatConfigError(e: ConfigError): string {
  return `${e.path}:${e.line}:${e.column}: ${e.field}: ${e.reason}`;
}

export function sortConfigErrors(errors: ConfigError[]): ConfigError[] {
  return [...errors].sort((a, b) => a.line - b.line || a.column - b.column);
}

const MAX_ALIASES = 1000;

export class ReadContext {
  readonly errors: ConfigError[] = [];
  private readonly positions = new Map<string, Pos>();
  private readonly seen = new Set<string>();
  private readonly failedFields = new Set<string>();
  private aliases = 0;
  /** Set when the alias limit was hit: what was read after that is incomplete. */
  aliasLimitHit = false;

  constructor(
    readonly path: string,
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  posOf(node: Node | null | undefined): Pos {
    const offset = node?.range?.[0] ?? 0;
    const { line, col } = this.lines.linePos(offset);
    return { offset, line: Math.max(line, 1), column: Math.max(col, 1) };
  }

  record(field: string, node: Node | null | undefined): void {
    if (node) this.positions.set(field, this.posOf(node));
  }

  /** Position of a field, or of its nearest recorded parent. */
  at(field: string): Pos {
    for (let f = field; f !== ''; f = parentField(f)) {
      const p = this.positions.get(f);
      if (p) return p;
    }
    return this.positions.get('') ?? { offset: 0, line: 1, column: 1 };
  }

  error(field: string, reason: string, pos: Pos = this.at(field)): void {
    const key = `${field}\0${reason}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.failedFields.add(field);
    const { line, column } = pos;
    this.errors.push({ path: this.path, line, column, field: field || '(document)', reason });
  }

  /** Whether an error was reported for exactly this field (present but invalid). */
  failed(field: string): boolean {
    return this.failedFields.has(field);
  }

  /** Follows aliases (`*name`) to the node they stand for. */
  resolve(node: unknown): Node | null {
    if (!isAlias(node)) return (node as Node | null | undefined) ?? null;
    // Aliases to big lists used many times can make reading quadratic ("billion laughs").
    if (++this.aliases > MAX_ALIASES) {
      this.aliasLimitHit = true;
      this.error('(yaml)', `more than ${MAX_ALIASES} alias uses`, this.posOf(node));
      return null;
    }
    return (node.resolve(this.doc) as Node | undefined) ?? null;
  }

  /** Checks a scalar leaf; reports and returns undefined when it is not one. */
  leaf<T>(field: string, raw: unknown, leaf: Leaf<T>): T | undefined {
    const node = this.resolve(raw);
    this.record(field, (raw as Node | null) ?? null);
    const pos = this.at(field);
    if (!isScalar(node)) {
      this.error(field, `must be ${leaf.want}`, pos);
      return undefined;
    }
    if (node.value === null && !leaf.nullable) {
      this.error(field, `must be ${leaf.want}`, pos);
      return undefined;
    }
    const source = typeof node.source === 'string' ? node.source : String(node.value);
    const plain = node.type === 'PLAIN' || node.type === undefined;
    const integer =
      typeof node.value === 'number' &&
      Number.isSafeInteger(node.value) &&
      plain &&
      (node.format === 'HEX' || node.format === 'OCT' || /^[-+]?[0-9]+$/.test(source));
    const r = leaf.parse({ value: node.value, source, plain, integer });
    if (r.ok) return r.value;
    this.error(field, r.reason ?? `must be ${leaf.want}`, pos);
    return undefined;
  }

  /** Reads a list; null means empty. Items for which `item` returns undefined are skipped. */
  list<T>(
    field: string,
    raw: unknown,
    item: (node: unknown, field: string, index: number) => T | undefined,
  ): T[] | undefined {
    const node = this.resolve(raw);
    this.record(field, (raw as Node | null) ?? null);
    if (node === null || (isScalar(node) && node.value === null)) return [];
    if (!isSeq(node)) {
      this.error(field, 'must be a list');
      return undefined;
    }
    const out: T[] = [];
    node.items.forEach((it, i) => {
      const f = `${field}[${i}]`;
      this.record(f, (it as Node | null) ?? null);
      const v = item(it, f, i);
      if (v !== undefined) out.push(v);
    });
    return out;
  }

  /** Opens a map; null means empty. Returns undefined (after reporting) for anything else. */
  map(field: string, raw: unknown): MapReader | undefined {
    const node = this.resolve(raw);
    this.record(field, (raw as Node | null) ?? null);
    if (node === null || (isScalar(node) && node.value === null)) return new MapReader(this, field, []);
    if (!isMap(node)) {
      this.error(field, 'must be a map');
      return undefined;
    }
    const entries: MapEntry[] = [];
    for (const pair of node.items) {
      const key = this.resolve(pair.key);
      const name = isScalar(key) ? String(key.value) : undefined;
      const f = name === undefined ? `${field}.?` : joinField(field, name);
      if (name === undefined) {
        this.error(f, 'keys must be plain strings', this.posOf(key));
        continue;
      }
      this.positions.set(f, this.posOf((pair.value as Node | null) ?? key));
      entries.push({ name, field: f, keyPos: this.posOf(key), value: pair.value });
    }
    return new MapReader(this, field, entries);
  }
}

interface MapEntry {
  name: string;
  field: string;
  keyPos: Pos;
  value: unknown;
}

export class MapReader {
  private readonly used = new Set<string>();

  constructor(
    readonly ctx: ReadContext,
    readonly field: string,
    private readonly entries: MapEntry[],
  ) {}

  /** Path of one key of this map. */
  sub(key: string): string {
    return joinField(this.field, key);
  }

  has(key: string): boolean {
    return this.entries.some((e) => e.name === key);
  }

  /** The raw value node of a key (marks it as known); reports a missing required key. */
  raw(key: string, required = false): { present: true; node: unknown } | { present: false } {
    this.used.add(key);
    const e = this.entries.find((x) => x.name === key);
    if (e) return { present: true, node: e.value };
    if (required) this.ctx.error(this.sub(key), 'required', this.ctx.at(this.field));
    return { present: false };
  }

  leaf<T>(key: string, leaf: Leaf<T>, opts: { required?: boolean } = {}): T | undefined {
    const r = this.raw(key, opts.required);
    return r.present ? this.ctx.leaf(this.sub(key), r.node, leaf) : undefined;
  }

  /** A leaf with a default when absent (an invalid value yields undefined after the error). */
  opt<T>(key: string, leaf: Leaf<T>, fallback: T): T | undefined {
    const r = this.raw(key);
    return r.present ? this.ctx.leaf(this.sub(key), r.node, leaf) : fallback;
  }

  list<T>(
    key: string,
    item: (node: unknown, field: string, index: number) => T | undefined,
    opts: { required?: boolean } = {},
  ): T[] | undefined {
    const r = this.raw(key, opts.required);
    return r.present ? this.ctx.list(this.sub(key), r.node, item) : undefined;
  }

  map(key: string, opts: { required?: boolean } = {}): MapReader | undefined {
    const r = this.raw(key, opts.required);
    return r.present ? this.ctx.map(this.sub(key), r.node) : undefined;
  }

  /** Marks every key as known (used when the shape is unknown, e.g. a bad `type`). */
  acceptAll(): void {
    for (const e of this.entries) this.used.add(e.name);
  }

  /** Reports every key nobody asked for. */
  done(): void {
    for (const e of this.entries) {
      if (!this.used.has(e.name)) this.ctx.error(e.field, 'unknown key', e.keyPos);
    }
  }
}

export function joinField(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

export function parentField(field: string): string {
  const m = /(\.[^.[\]]*|\[\d+\])$/.exec(field);
  return m ? field.slice(0, m.index) : '';
}
