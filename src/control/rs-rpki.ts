// RPKI origin validation input: the validated ROA payloads a relying-party validator exports
// as JSON (rpki-client `-j`, Routinator `--format json`, and others with the same shape:
// `{"roas": [{"asn": "AS64500" or 64500, "prefix": "192.0.2.0/24", "maxLength": 24, ...}]}`)
// become static routes of BIRD's `roa4`/`roa6` tables, which `roa_check()` in the import
// filters reads. The list is sorted and deduplicated so the same file renders the same bytes
// whatever order the validator wrote it in. With `rpki reload on`, a ROA change applied by
// `birdc configure` re-evaluates the affected routes without touching any session.

import { readFileSync } from 'node:fs';
import { parsePrefix } from './config-address.js';

export interface Roa {
  family: 4 | 6;
  /** Canonical prefix. */
  prefix: string;
  bits: bigint;
  length: number;
  maxLength: number;
  asn: number;
}

function parseAsn(x: unknown): number | undefined {
  const n = typeof x === 'number' ? x : typeof x === 'string' && /^(AS)?[0-9]{1,10}$/i.test(x) ? Number(x.replace(/^AS/i, '')) : NaN;
  return Number.isSafeInteger(n) && n >= 0 && n <= 4294967295 ? n : undefined;
}

/** Parses validator JSON; throws with the path of the first bad entry. */
export function parseRoaJson(text: string, source = 'ROA file'): Roa[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: not JSON: ${(e as Error).message}`);
  }
  const roas = (json as { roas?: unknown } | null)?.roas;
  if (!Array.isArray(roas)) throw new Error(`${source}: expected an object with a "roas" list`);
  const out: Roa[] = [];
  roas.forEach((e: unknown, i) => {
    const at = `${source}: roas[${i}]`;
    const o = (e ?? {}) as { asn?: unknown; prefix?: unknown; maxLength?: unknown; max_length?: unknown };
    const asn = parseAsn(o.asn);
    if (asn === undefined) throw new Error(`${at}.asn: must be an ASN such as "AS64500" or 64500`);
    const text = typeof o.prefix === 'string' ? o.prefix.trim() : '';
    const family = text.includes(':') ? 6 : 4;
    const p = parsePrefix(text, family);
    if (!p) throw new Error(`${at}.prefix: must be an IPv4 or IPv6 prefix`);
    const rawMax = o.maxLength ?? o.max_length ?? p.length;
    const bits = family === 4 ? 32 : 128;
    if (!Number.isSafeInteger(rawMax) || (rawMax as number) < p.length || (rawMax as number) > bits) {
      throw new Error(`${at}.maxLength: must be an integer between ${p.length} and ${bits}`);
    }
    out.push({ family, prefix: p.text, bits: p.bits, length: p.length, maxLength: rawMax as number, asn });
  });
  return sortRoas(out);
}

export function loadRoaFile(path: string): Roa[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read the ROA file ${path}: ${(e as Error).message}`);
  }
  return parseRoaJson(text, path);
}

/** Family, address, length, max length, ASN; exact duplicates removed. */
export function sortRoas(roas: readonly Roa[]): Roa[] {
  const sorted = [...roas].sort(
    (a, b) =>
      a.family - b.family ||
      (a.bits < b.bits ? -1 : a.bits > b.bits ? 1 : 0) ||
      a.length - b.length ||
      a.maxLength - b.maxLength ||
      a.asn - b.asn,
  );
  return sorted.filter((r, i) => {
    const q = sorted[i - 1];
    return !q || q.prefix !== r.prefix || q.maxLength !== r.maxLength || q.asn !== r.asn;
  });
}

/** The ROA tables and the static protocols that fill them (`rpki_roa4`, `rpki_roa6`). */
export function renderRoaTables(roas: readonly Roa[]): string {
  const block = (fam: 4 | 6) => {
    const list = roas.filter((r) => r.family === fam);
    const routes = list.map((r) => `  route ${r.prefix} max ${r.maxLength} as ${r.asn};`);
    return [
      `# ${list.length} IPv${fam} ROA${list.length === 1 ? '' : 's'}.`,
      `protocol static rpki_roa${fam} {`,
      `  roa${fam} { table rpki${fam}; };`,
      ...routes,
      '}',
    ].join('\n');
  };
  return `${block(4)}\n\n${block(6)}\n`;
}
