// Strict parsers and canonical forms for the addresses a config holds: IPv4 (dotted quad, no
// leading zeros), IPv6 (RFC 5952 output), CIDR prefixes (host bits cleared) and MAC addresses
// (lowercase, colon separated). Addresses are carried as bigint so that containment and
// equality checks are exact.

export interface IpAddress {
  family: 4 | 6;
  bits: bigint;
  /** Canonical text form (RFC 5952 for IPv6). */
  text: string;
}

export interface IpPrefix {
  family: 4 | 6;
  /** Network address (host bits cleared). */
  bits: bigint;
  length: number;
  /** Canonical `address/length`. */
  text: string;
}

const OCTET = /^(0|[1-9][0-9]{0,2})$/;
const HEXTET = /^[0-9a-fA-F]{1,4}$/;

export function parseIPv4(s: string): IpAddress | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let bits = 0n;
  for (const p of parts) {
    if (!OCTET.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    bits = (bits << 8n) | BigInt(n);
  }
  return { family: 4, bits, text: formatIPv4(bits) };
}

export function formatIPv4(bits: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((bits >> shift) & 0xffn)).join('.');
}

export function parseIPv6(s: string): IpAddress | undefined {
  if (s.includes('%')) return undefined; // zone ids have no place in a config
  let groups: string[] = [];
  let tailV4: IpAddress | undefined;
  const lastColon = s.lastIndexOf(':');
  let head = s;
  if (s.includes('.')) {
    tailV4 = parseIPv4(s.slice(lastColon + 1));
    if (!tailV4) return undefined;
    head = s.slice(0, lastColon + 1);
    // "::1.2.3.4" keeps its "::"; "x:1.2.3.4" leaves a dangling ':' that we drop.
    if (!head.endsWith('::')) head = head.slice(0, -1);
  }
  const want = tailV4 ? 6 : 8;
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const split = (h: string | undefined): string[] | undefined =>
    h === undefined || h === '' ? [] : h.split(':');
  const left = split(halves[0]);
  const right = split(halves[1]);
  if (!left || !right) return undefined;
  if (halves.length === 2) {
    const missing = want - left.length - right.length;
    if (missing < 1) return undefined;
    groups = [...left, ...Array<string>(missing).fill('0'), ...right];
  } else {
    groups = left;
  }
  if (groups.length !== want) return undefined;
  let bits = 0n;
  for (const g of groups) {
    if (!HEXTET.test(g)) return undefined;
    bits = (bits << 16n) | BigInt(parseInt(g, 16));
  }
  if (tailV4) bits = (bits << 32n) | tailV4.bits;
  return { family: 6, bits, text: formatIPv6(bits) };
}

/** RFC 5952: lowercase, no leading zeros, the longest (first) run of 2+ zero groups as `::`. */
export function formatIPv6(bits: bigint): string {
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((bits >> shift) & 0xffffn));
  // IPv4-mapped addresses keep the dotted quad (RFC 5952 section 5).
  if (bits >> 32n === 0xffffn) return `::ffff:${formatIPv4(bits & 0xffffffffn)}`;
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export function parseIp(s: string): IpAddress | undefined {
  return s.includes(':') ? parseIPv6(s) : parseIPv4(s);
}

export function parsePrefix(s: string, family: 4 | 6): IpPrefix | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const addr = family === 4 ? parseIPv4(s.slice(0, slash)) : parseIPv6(s.slice(0, slash));
  const lenText = s.slice(slash + 1);
  const max = family === 4 ? 32 : 128;
  if (!addr || !/^(0|[1-9][0-9]{0,2})$/.test(lenText)) return undefined;
  const length = Number(lenText);
  if (length > max) return undefined;
  const width = BigInt(max);
  const hostBits = width - BigInt(length);
  const bits = (addr.bits >> hostBits) << hostBits;
  const text = `${family === 4 ? formatIPv4(bits) : formatIPv6(bits)}/${length}`;
  return { family, bits, length, text };
}

export function prefixContains(prefix: IpPrefix, addr: IpAddress): boolean {
  if (prefix.family !== addr.family) return false;
  const hostBits = BigInt((prefix.family === 4 ? 32 : 128) - prefix.length);
  return addr.bits >> hostBits === prefix.bits >> hostBits;
}

/** The IPv4 broadcast address of a prefix. */
export function ipv4Broadcast(prefix: IpPrefix): bigint {
  const hostBits = BigInt(32 - prefix.length);
  return prefix.bits | ((1n << hostBits) - 1n);
}

export type MacResult = { ok: true; mac: string } | { ok: false; reason: string };

/**
 * A member MAC: six hex pairs separated by `:` or `-` (one kind), any case; must be unicast
 * and non-zero. Returns lowercase colon form.
 */
export function parseUnicastMac(s: string): MacResult {
  if (!/^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2}){4}$/.test(s)) {
    return { ok: false, reason: 'must be a MAC address such as 02:00:00:00:00:01' };
  }
  const mac = s.toLowerCase().replaceAll('-', ':');
  if (mac === '00:00:00:00:00:00') return { ok: false, reason: 'must not be the all-zero MAC' };
  if (parseInt(mac.slice(0, 2), 16) & 1) {
    return { ok: false, reason: 'must be a unicast MAC (multicast bit of the first octet set)' };
  }
  return { ok: true, mac };
}
