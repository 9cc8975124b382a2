// The route server's BGP community scheme, in one place: the renderer takes the numbers from
// here, docs/route-server.md documents them (a test checks that every value is documented),
// and `explainLargeCommunity` turns a tag seen in `birdc show route filtered all` back into
// words. The scheme follows the Euro-IX route-server community conventions (as used by IXP
// Manager and arouteserver): RS_ASN:1101:N says why a route was filtered, RS_ASN:1000:N and
// RS_ASN:1001:N are informational (RPKI and IRR state), and members steer announcements with
// 0:PEER / RS_ASN:PEER / 0:RS_ASN (standard, 16-bit ASNs only) and RS_ASN:0:PEER /
// RS_ASN:1:PEER / RS_ASN:0:0 / RS_ASN:101..103:PEER (large).

/** Why a route was filtered: the large community (RS_ASN, 1101, code). */
export interface RejectReason {
  code: number;
  name: string;
  text: string;
}

export const REJECT_FUNCTION = 1101;

export const REASONS = {
  prefixTooLong: { code: 1, name: 'prefix_len_too_long', text: 'prefix length too long' },
  prefixTooShort: { code: 2, name: 'prefix_len_too_short', text: 'prefix length too short' },
  bogon: { code: 3, name: 'bogon', text: 'bogon prefix (special-purpose or documentation space)' },
  pathTooLong: { code: 5, name: 'as_path_too_long', text: 'AS path longer than max_as_path' },
  pathEmpty: { code: 6, name: 'as_path_too_short', text: 'empty AS path' },
  firstAs: { code: 7, name: 'first_as_not_peer_as', text: 'first AS in the path is not the member' },
  nextHop: { code: 8, name: 'next_hop_not_peer_ip', text: "next hop is not one of the member's addresses" },
  irrPrefix: { code: 9, name: 'irr_prefix_not_registered', text: "prefix not registered in the member's IRR data" },
  irrOrigin: { code: 10, name: 'irr_origin_not_registered', text: "origin AS not in the member's AS-SET" },
  rpkiInvalid: { code: 13, name: 'rpki_invalid', text: 'RPKI origin validation: invalid' },
  transitFree: { code: 14, name: 'transit_free_asn', text: 'transit-free ASN in the path' },
  peeringLan: { code: 16, name: 'peering_lan', text: "the exchange's own peering LAN (or a part of it)" },
  blackholeOff: { code: 17, name: 'blackhole_not_permitted', text: 'BLACKHOLE community but blackholing is off' },
} as const satisfies Record<string, RejectReason>;

/** Informational tags on accepted routes: (RS_ASN, function, value). */
export const INFO = {
  rpkiValid: { fn: 1000, value: 1, text: 'RPKI valid' },
  rpkiUnknown: { fn: 1000, value: 2, text: 'RPKI unknown (no covering ROA)' },
  rpkiNotChecked: { fn: 1000, value: 3, text: 'RPKI not checked (no ROA file, or a blackhole route)' },
  irrValid: { fn: 1001, value: 1, text: 'IRR: origin and prefix registered' },
  irrNotChecked: { fn: 1001, value: 2, text: 'IRR not checked (irr.enabled is false)' },
} as const;

/** Large-community functions members use to steer announcements: (RS_ASN, fn, PEER). */
export const ACTION = {
  doNotAnnounceTo: 0,
  announceTo: 1,
  prepend1: 101,
  prepend2: 102,
  prepend3: 103,
} as const;

/** RS_ASN:1000..1999:* is the route server's own: removed from what members send. */
export const RESERVED_FUNCTIONS = { from: 1000, to: 1999 } as const;
/** RS_ASN:0..999:* are action communities: removed before a route is sent to members. */
export const ACTION_FUNCTIONS = { from: 0, to: 999 } as const;

export const WELL_KNOWN = {
  /** RFC 8326. */
  gracefulShutdown: [65535, 0],
  /** RFC 7999. */
  blackhole: [65535, 666],
  /** RFC 1997. */
  noExport: [65535, 65281],
} as const;

/** Standard communities need a 16-bit route-server ASN. */
export function hasStandardActions(rsAsn: number): boolean {
  return rsAsn <= 65535;
}

export function reasonByCode(code: number): RejectReason | undefined {
  return Object.values(REASONS).find((r) => r.code === code);
}

/** Words for one large community of the scheme, or undefined when it is not one of ours. */
export function explainLargeCommunity(rsAsn: number, c: readonly [number, number, number]): string | undefined {
  const [asn, fn, value] = c;
  if (asn !== rsAsn) return undefined;
  if (fn === REJECT_FUNCTION) {
    const r = reasonByCode(value);
    return r ? `filtered: ${r.text}` : `filtered: unknown reason ${value}`;
  }
  const info = Object.values(INFO).find((i) => i.fn === fn && i.value === value);
  if (info) return info.text;
  if (fn === ACTION.doNotAnnounceTo) return value === 0 ? 'do not announce to any member' : `do not announce to AS${value}`;
  if (fn === ACTION.announceTo) return `announce to AS${value}`;
  if (fn >= ACTION.prepend1 && fn <= ACTION.prepend3) return `prepend ${fn - 100}x to AS${value}`;
  return undefined;
}

/** Parses BIRD's `(64510, 1101, 9)` notation (as in `BGP.large_community:` lines). */
export function parseLargeCommunities(text: string): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (const m of text.matchAll(/\((\d+),\s*(\d+),\s*(\d+)\)/g)) {
    out.push([Number(m[1]), Number(m[2]), Number(m[3])]);
  }
  return out;
}
