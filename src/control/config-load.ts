// Entry points: read a config file, parse the YAML with positions, check it key by key and
// across keys, and hand back either the normalised `Config` or every error, sorted by position.
// Never throws for bad input.

import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { checkDraft } from './config-checks.js';
import { DraftIncomplete, normalise } from './config-normalise.js';
import { ReadContext, sortConfigErrors } from './config-reader.js';
import { readDraft } from './config-schema.js';
import type { ConfigError, LoadOptions, LoadResult } from './config-types.js';

export { canonicalJson, diffPorts, portFingerprint } from './config-fingerprint.js';
export { formatConfigError, sortConfigErrors } from './config-reader.js';
export { DEFAULTS } from './config-schema.js';
export type * from './config-types.js';

/** Reads and validates a config file. An unreadable file is one error at 1:1. */
export function loadConfig(path: string, opts: LoadOptions = {}): LoadResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const reason = `cannot read the config file: ${(err as Error).message}`;
    return { ok: false, errors: [{ path, line: 1, column: 1, field: '(file)', reason }] };
  }
  return parseConfig(text, path, opts);
}

/** Validates config text; `path` is only used in the errors and `Config.path`. */
export function parseConfig(text: string, path: string, opts: LoadOptions = {}): LoadResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const syntax = [...doc.errors, ...doc.warnings];
  if (syntax.length > 0) {
    // The tree of a broken document is a guess: report only what the parser found.
    const errors: ConfigError[] = syntax.map((e) => {
      const { line, col } = lines.linePos(e.pos[0]);
      return { path, line: Math.max(line, 1), column: Math.max(col, 1), field: '(yaml)', reason: e.message };
    });
    return { ok: false, errors: sortConfigErrors(errors) };
  }

  const ctx = new ReadContext(path, doc, lines);
  const draft = readDraft(ctx, doc.contents);
  if (ctx.aliasLimitHit) return { ok: false, errors: ctx.errors.filter((e) => e.field === '(yaml)') };
  if (!draft) return { ok: false, errors: sortConfigErrors(ctx.errors) };
  if (opts.pop !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/.test(opts.pop)) {
    ctx.error('pop.name', `the POP selected to run as ("${opts.pop}") is not a valid POP name`);
  }
  const thisPop = opts.pop ?? draft.pop.name;
  if (thisPop !== undefined) checkDraft(ctx, draft, thisPop);
  if (ctx.errors.length > 0 || thisPop === undefined) {
    return { ok: false, errors: sortConfigErrors(ctx.errors) };
  }
  try {
    return { ok: true, config: normalise(draft, thisPop, path) };
  } catch (err) {
    if (!(err instanceof DraftIncomplete)) throw err;
    return { ok: false, errors: [{ path, line: 1, column: 1, field: '(internal)', reason: err.message }] };
  }
}
