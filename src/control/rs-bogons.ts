// Fixed lists the route server's import policy uses: bogon prefixes (special-purpose and
// documentation space that must never be routed between members) and the default
// transit-free ASNs (large carriers that never reach a member through another member of a
// small exchange, so a path through them is a leak). Each entry names its source.

export interface Bogon {
  prefix: string;
  why: string;
}

/** IPv4 bogons; every more specific of each is rejected too. */
export const BOGONS_V4: readonly Bogon[] = [
  { prefix: '0.0.0.0/8', why: 'RFC 791 "this network"' },
  { prefix: '10.0.0.0/8', why: 'RFC 1918 private' },
  { prefix: '100.64.0.0/10', why: 'RFC 6598 shared address space (CGN)' },
  { prefix: '127.0.0.0/8', why: 'RFC 1122 loopback' },
  { prefix: '169.254.0.0/16', why: 'RFC 3927 link local' },
  { prefix: '172.16.0.0/12', why: 'RFC 1918 private' },
  { prefix: '192.0.0.0/24', why: 'RFC 6890 IETF protocol assignments' },
  { prefix: '192.0.2.0/24', why: 'RFC 5737 TEST-NET-1' },
  { prefix: '192.168.0.0/16', why: 'RFC 1918 private' },
  { prefix: '198.18.0.0/15', why: 'RFC 2544 benchmarking' },
  { prefix: '198.51.100.0/24', why: 'RFC 5737 TEST-NET-2' },
  { prefix: '203.0.113.0/24', why: 'RFC 5737 TEST-NET-3' },
  { prefix: '224.0.0.0/4', why: 'RFC 5771 multicast' },
  { prefix: '240.0.0.0/4', why: 'RFC 1112 reserved, includes 255.255.255.255' },
];

/**
 * IPv6 bogons; every more specific of each is rejected too. Anything outside 2000::/3 (global
 * unicast) is rejected by a separate rule, so ::/8, fc00::/7, fe80::/10, fec0::/10 and
 * ff00::/8 are listed for the reason comment only.
 */
export const BOGONS_V6: readonly Bogon[] = [
  { prefix: '::/8', why: 'RFC 4291 loopback, unspecified, IPv4-mapped' },
  { prefix: '100::/64', why: 'RFC 6666 discard only' },
  { prefix: '2001:2::/48', why: 'RFC 5180 benchmarking' },
  { prefix: '2001:10::/28', why: 'RFC 4843 ORCHID' },
  { prefix: '2001:db8::/32', why: 'RFC 3849 documentation' },
  { prefix: 'fc00::/7', why: 'RFC 4193 unique local' },
  { prefix: 'fe80::/10', why: 'RFC 4291 link local' },
  { prefix: 'fec0::/10', why: 'RFC 3879 site local (deprecated)' },
  { prefix: 'ff00::/8', why: 'RFC 4291 multicast' },
];

/** IPv6 routes must lie in global unicast space. */
export const GLOBAL_UNICAST_V6 = '2000::/3';

/**
 * Default `route_server.transit_free_asns`: the usual "Tier 1" list used by route servers
 * (arouteserver, IXP Manager). A member that is one of them may still send its own routes.
 */
export const DEFAULT_TRANSIT_FREE_ASNS: readonly number[] = [
  174, // Cogent
  209, // Lumen (Qwest)
  286, // KPN
  701, // Verizon
  1239, // Sprint
  1299, // Arelion (Telia)
  2828, // Verizon (XO)
  2914, // NTT
  3257, // GTT
  3320, // Deutsche Telekom
  3356, // Lumen (Level 3)
  3491, // PCCW
  5511, // Orange
  6453, // Tata
  6461, // Zayo
  6762, // Telecom Italia Sparkle
  6830, // Liberty Global
  7018, // AT&T
  12956, // Telefonica
];
