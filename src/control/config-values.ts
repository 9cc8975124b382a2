// The leaf value types of the config file: each knows what it expects (for "must be ...")
// and returns the value in canonical form.

import {
  parseIPv4,
  parseIPv6,
  parseIp,
  parsePrefix,
  parseUnicastMac,
  type IpAddress,
  type IpPrefix,
} from './config-address.js';
import type { Leaf, Parsed, ScalarIn } from './config-reader.js';
import type { ConnectionType } from './config-types.js';

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = (reason?: string): Parsed<never> =>
  reason === undefined ? { ok: false } : { ok: false, reason };

/** The text of a string scalar; a plain number is taken as written (`name: 64500`). */
function text(s: ScalarIn): string | undefined {
  if (typeof s.value === 'string') return s.value;
  if (s.plain && typeof s.value === 'number') return s.source;
  return undefined;
}

export function intRange(min: number, max: number): Leaf<number> {
  return {
    want: `an integer between ${min} and ${max}`,
    parse: (s) => {
      const v = s.value;
      return s.integer && typeof v === 'number' && v >= min && v <= max ? ok(v) : bad();
    },
  };
}

export const bool: Leaf<boolean> = {
  want: 'true or false',
  parse: (s) => (typeof s.value === 'boolean' ? ok(s.value) : bad()),
};

export const nonEmptyText: Leaf<string> = {
  want: 'a non-empty string',
  parse: (s) => {
    const t = text(s)?.trim();
    return t ? ok(t) : bad();
  },
};

function pattern(want: string, re: RegExp): Leaf<string> {
  return {
    want,
    parse: (s) => {
      const t = text(s);
      return t !== undefined && re.test(t) ? ok(t) : bad();
    },
  };
}

export const popName = pattern(
  'a POP name (letters, digits, "-" and "_", at most 32 characters)',
  /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/,
);

export const portName = pattern(
  'a port name (letters, digits, ".", "_" and "-", at most 64 characters, starting with a letter or digit)',
  /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
);

/** A Linux interface name: 1..15 bytes (IFNAMSIZ - 1), no '/', ':' or whitespace, not . or .. */
export const interfaceName: Leaf<string> = {
  want: 'an interface name',
  parse: (s) => {
    const t = text(s);
    if (t === undefined || t === '') return bad();
    if (Buffer.byteLength(t) > 15) return bad('must be at most 15 characters long (IFNAMSIZ)');
    if (/[/:\s]/.test(t)) return bad('must not contain "/", ":" or whitespace');
    if (t === '.' || t === '..') return bad('must not be "." or ".."');
    return ok(t);
  },
};

function address(want: string, parse: (t: string) => IpAddress | undefined): Leaf<IpAddress> {
  return {
    want,
    parse: (s) => {
      const a = typeof s.value === 'string' ? parse(s.value.trim()) : undefined;
      return a ? ok(a) : bad();
    },
  };
}

export const ipv4Address = address('an IPv4 address', parseIPv4);
export const ipv6Address = address('an IPv6 address', parseIPv6);
export const ipAddress = address('an IPv4 or IPv6 address', parseIp);

export function prefix(family: 4 | 6): Leaf<IpPrefix> {
  return {
    want: family === 4 ? 'an IPv4 prefix such as 192.0.2.0/24' : 'an IPv6 prefix such as 2001:db8::/64',
    parse: (s) => {
      const p = typeof s.value === 'string' ? parsePrefix(s.value.trim(), family) : undefined;
      return p ? ok(p) : bad();
    },
  };
}

export const unicastMac: Leaf<string> = {
  want: 'a MAC address',
  parse: (s) => {
    if (typeof s.value !== 'string') return bad('must be a MAC address such as 02:00:00:00:00:01');
    const r = parseUnicastMac(s.value.trim());
    return r.ok ? ok(r.mac) : bad(r.reason);
  },
};

export const sha256Fingerprint: Leaf<string> = {
  want: 'a SHA256 fingerprint (32 hex bytes separated by ":")',
  parse: (s) => {
    const t = typeof s.value === 'string' ? s.value.trim() : '';
    return /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){31}$/.test(t) ? ok(t.toLowerCase()) : bad();
  },
};

export function absolutePath(maxBytes: number, what: string): Leaf<string> {
  return {
    want: 'an absolute path',
    parse: (s) => {
      const t = text(s);
      if (t === undefined || !t.startsWith('/')) return bad();
      if (Buffer.byteLength(t) > maxBytes) return bad(`must be at most ${maxBytes} bytes long (${what})`);
      return ok(t);
    },
  };
}

/** chmod-style octal digits: `0660`, `660`, `0o660` or the string "0660". */
export const fileMode: Leaf<number> = {
  want: 'an octal permission mode such as 0660',
  parse: (s) => {
    const m = /^0?o?([0-7]{3})$/.exec(typeof s.value === 'string' ? s.value.trim() : s.source);
    if (!m?.[1] || (typeof s.value !== 'string' && typeof s.value !== 'number')) return bad();
    return ok(parseInt(m[1], 8));
  },
};

/** A group name or a numeric gid. */
export const groupLeaf: Leaf<string | number> = {
  want: 'a group name or a numeric gid',
  parse: (s) => {
    if (s.integer && typeof s.value === 'number') {
      return s.value >= 0 && s.value <= 4294967294 ? ok(s.value) : bad();
    }
    const t = typeof s.value === 'string' ? s.value : undefined;
    return t !== undefined && /^[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?$/.test(t) ? ok(t) : bad();
  },
};

const LABEL = '[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const HOSTNAME = new RegExp(`^(?=.{1,253}$)${LABEL}(\\.${LABEL})*$`);

/** `host:port` (IPv6 in brackets), or false / null for no metrics endpoint. */
export const metricsListen: Leaf<{ host: string; port: number } | null> = {
  want: 'host:port (IPv6 as [::1]:9477), or false to disable',
  nullable: true,
  parse: (s) => {
    if (s.value === null || s.value === false) return ok(null);
    if (typeof s.value !== 'string') return bad();
    const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):([0-9]{1,5})$/.exec(s.value.trim());
    const port = Number(m?.[3]);
    if (!m || !(port >= 1 && port <= 65535)) return bad();
    if (m[1] !== undefined) {
      const a = parseIPv6(m[1]);
      return a ? ok({ host: a.text, port }) : bad();
    }
    const host = m[2] ?? '';
    if (/^[0-9.]+$/.test(host)) {
      const a = parseIPv4(host);
      return a ? ok({ host: a.text, port }) : bad();
    }
    return HOSTNAME.test(host) ? ok({ host, port }) : bad();
  },
};

/** An ethertype for `policy.extra_ethertypes`: a number (0x88cc) or such a string. */
export const ethertype: Leaf<number> = {
  want: 'an ethertype between 0x0600 and 0xffff, e.g. 0x88cc',
  parse: (s) => {
    let v: number | undefined;
    if (s.integer && typeof s.value === 'number') v = s.value;
    else if (typeof s.value === 'string' && /^0x[0-9a-fA-F]{1,4}$/.test(s.value.trim())) {
      v = parseInt(s.value.trim().slice(2), 16);
    }
    if (v === undefined || v < 0x0600 || v > 0xffff) return bad();
    if (v === 0x8100 || v === 0x88a8) return bad('must not be a VLAN tag ethertype: use allow_vlan_tags');
    return ok(v);
  },
};

export const CONNECTION_TYPES: readonly ConnectionType[] = [
  'vxlan',
  'eoip',
  'openvpn',
  'zerotier',
  'ethernet',
  'l2',
  'tap',
];

export const connectionType: Leaf<ConnectionType> = {
  want: `one of ${CONNECTION_TYPES.join(', ')}`,
  parse: (s) => {
    const t = CONNECTION_TYPES.find((c) => c === s.value);
    return t ? ok(t) : bad();
  },
};

export const VXLAN_TRANSPORTS = ['native', 'dgram'] as const;
export type VxlanTransport = (typeof VXLAN_TRANSPORTS)[number];

export const vxlanTransport: Leaf<VxlanTransport> = {
  want: `one of ${VXLAN_TRANSPORTS.join(', ')}`,
  parse: (s) => {
    const t = VXLAN_TRANSPORTS.find((c) => c === s.value);
    return t ? ok(t) : bad();
  },
};

export const vni = intRange(1, 16777215);
export const udpPort = intRange(1, 65535);
export const vlanId = intRange(1, 4094);
export const asn = intRange(1, 4294967295);
