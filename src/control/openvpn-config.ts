// OpenVPN configs, rendered as plain deterministic text (no I/O here):
//
//   renderServerConfig   the config of one member's openvpn instance on this POP
//   renderClientConfig   what `ixfabricctl openvpn client-config ASN` prints for the member
//
// The shape (checked against openvpn 2.6.14 between network namespaces):
//   - point-to-point TLS, no `mode server`: one instance, one tap, one member. `tls-server`
//     here, `tls-client` + `nobind` at the member (not `client`: that implies `pull`, and a
//     p2p server never pushes). No CA: each side pins the other's certificate with
//     `peer-fingerprint` (2.6+). Cipher negotiation works in p2p mode between 2.6 peers
//     ("P2P mode NCP negotiation result" in the log), so `data-ciphers` is all that is needed.
//   - ECDHE only (`dh none`); TLS 1.2 minimum (2.6 + OpenSSL 3 negotiate TLS 1.3).
//   - No `remote` on the server: it accepts the peer that authenticates from any address and
//     follows it when its address or port changes (`float`), so a member whose client
//     restarts from a new source port is back within a second.
//   - `explicit-exit-notify 1` on both sides: a clean stop (or a restart by the supervisor)
//     tells the peer, which reconnects at once instead of waiting for `ping-restart`. A
//     SIGKILLed server cannot tell; the client then notices after its `ping-restart` (30 s)
//     and reconnects by itself.
//   - `persist-tun` / `persist-key`: an internal restart (ping-restart, peer exit) keeps the tap
//     open and the key loaded. A killed process loses its tap fd anyway; the supervisor
//     pre-creates the tap as a persistent device, so the tap (and the fabric's AF_PACKET socket
//     bound to it) survives that too, only its carrier goes down until the next instance.
//   - No `ifconfig` on the server: the tap is a switch port of the fabric, it has no address.
//     openvpn then never touches the link state; the supervisor sets it up.
//   - `script-security 1`, no `daemon`, `suppress-timestamps` (the daemon's log adds times).
//
// MTU: a peering LAN is one L2 segment, there is no router to send "packet too big", so every
// member must have the same MTU: 1500, the IXP norm. `tun-mtu 1500` gives the member a 1500
// tap. Over a 1500 internet path a full frame does not fit in one packet (1500 + 14 Ethernet +
// 24 AES-GCM/P_DATA_V2 + 8 UDP + 20 IPv4 = 1566 bytes), so:
//   - TCP (BGP, the bulk of what crosses an IXP LAN) is kept unfragmented by MSS clamping:
//     `mssfix 1492 mtu` (openvpn 2.6's default, written out) limits SYNs' MSS so encapsulated
//     segments fit in a 1492-byte outer packet (room for PPPoE on the member's side);
//   - anything larger still crosses, as fragmented outer UDP datagrams: `mtu-disc no` on the
//     server never sets DF, so routers on the path fragment instead of dropping when ICMP is
//     filtered (Linux-only option, so the client config only suggests it).
//   `fragment` (openvpn's own fragmentation) is not used: both sides would need it, and it
//   adds a header to every packet for what the IP layer already does.

import type { OpenvpnParams } from './config-types.js';

/** Data-channel ciphers offered and accepted (AEAD only; negotiated, first common wins). */
export const DATA_CIPHERS = 'AES-256-GCM:CHACHA20-POLY1305';
export const TUN_MTU = 1500;
export const MSSFIX = '1492 mtu';
export const SERVER_KEEPALIVE = '10 60';
export const CLIENT_KEEPALIVE = '10 30';

export interface ServerConfigInput {
  /** The port's name (used in comments). */
  port: string;
  pop: string;
  memberAsn: number | null;
  memberName?: string | null;
  params: OpenvpnParams;
  /** The POP's underlay addresses: the instance listens on these. */
  underlay: { ipv4: string | null; ipv6: string | null };
  /** The POP's certificate and key (see openvpn-pki.ts). */
  certPath: string;
  keyPath: string;
  /** Verbosity (default 3). */
  verb?: number;
}

export interface ClientConfigInput {
  port: string;
  pop: string;
  member: { asn: number; name: string; ipv4: string[]; ipv6: string[] };
  params: OpenvpnParams;
  underlay: { ipv4: string | null; ipv6: string | null };
  /** The POP's certificate fingerprint (lowercase `xx:..`). */
  popFingerprint: string;
  /** Peering-LAN prefixes (CIDR) for the member's address lines. */
  peeringLan: { ipv4: string | null; ipv6: string | null };
}

/** Quotes a config argument when openvpn's parser would split or unescape it. */
export function quoteArg(s: string): string {
  if (/^[A-Za-z0-9_./:@+%=,-]+$/.test(s)) return s;
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** How the instance binds: one family → that underlay address; both → dual-stack wildcard. */
export function serverBinding(underlay: { ipv4: string | null; ipv6: string | null }): { proto: string; local: string | null; multihome: boolean } {
  if (underlay.ipv4 && underlay.ipv6) return { proto: 'udp6', local: null, multihome: true };
  if (underlay.ipv6) return { proto: 'udp6', local: underlay.ipv6, multihome: false };
  if (underlay.ipv4) return { proto: 'udp4', local: underlay.ipv4, multihome: false };
  return { proto: 'udp6', local: null, multihome: true };
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ');
}

export function renderServerConfig(i: ServerConfigInput): string {
  const p = i.params;
  const bind = serverBinding(i.underlay);
  const who = i.memberAsn === null ? '' : ` for AS${i.memberAsn}${i.memberName ? ` (${oneLine(i.memberName)})` : ''}`;
  const lines = [
    `# openvpn instance of port ${oneLine(i.port)}${who}, POP ${oneLine(i.pop)}.`,
    '# Rendered by ixfabricd at every start of the instance: edits here are overwritten.',
    '',
    '# Point-to-point TLS, one member per instance; no CA, the member is pinned by fingerprint.',
    'tls-server',
    `peer-fingerprint ${p.peerFingerprint}`,
    `cert ${quoteArg(i.certPath)}`,
    `key ${quoteArg(i.keyPath)}`,
    'dh none',
    'tls-version-min 1.2',
    `data-ciphers ${DATA_CIPHERS}`,
    '',
    '# The tap is a port of the fabric: no address, kept across internal restarts.',
    'dev-type tap',
    `dev ${quoteArg(p.interface)}`,
    'disable-dco',
    'persist-tun',
    'persist-key',
    '',
    bind.local === null
      ? '# Both underlay families: dual-stack wildcard socket, replies from the address asked.'
      : '# Listens on the POP underlay address; the member may come from any address and move.',
    `proto ${bind.proto}`,
    ...(bind.local === null ? [] : [`local ${bind.local}`]),
    `lport ${p.listenPort}`,
    ...(bind.multihome ? ['multihome'] : []),
    'float',
    '',
    `# MTU 1500 for the member (the peering LAN's MTU); TCP clamped to fit 1492-byte packets,`,
    '# larger frames cross as fragmented UDP; never DF, so filtered ICMP cannot black-hole them.',
    `tun-mtu ${TUN_MTU}`,
    `mssfix ${MSSFIX}`,
    'mtu-disc no',
    '',
    `keepalive ${SERVER_KEEPALIVE}`,
    'explicit-exit-notify 1',
    '',
    '# Supervised in the foreground by ixfabricd; its log lines go to the daemon log.',
    'script-security 1',
    'suppress-timestamps',
    `verb ${i.verb ?? 3}`,
    'mute 20',
    '',
  ];
  return lines.join('\n');
}

function netmask(prefix: number): string {
  const bits = prefix <= 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (bits >>> s) & 0xff).join('.');
}

function prefixLength(cidr: string | null, fallback: number): number {
  const n = cidr ? Number(cidr.split('/')[1]) : NaN;
  return Number.isInteger(n) ? n : fallback;
}

/** The file names the client config expects for the member's own key pair. */
export function memberKeyFiles(asn: number): { cert: string; key: string } {
  return { cert: `as${asn}.crt`, key: `as${asn}.key` };
}

export function renderClientConfig(i: ClientConfigInput): string {
  const m = i.member;
  const files = memberKeyFiles(m.asn);
  const len4 = prefixLength(i.peeringLan.ipv4, 24);
  const len6 = prefixLength(i.peeringLan.ipv6, 64);
  const remotes = [i.underlay.ipv4, i.underlay.ipv6].filter((a): a is string => a !== null);
  const v4 = m.ipv4[0];
  const v6 = m.ipv6[0];
  const addrComments = [
    ...m.ipv4.map((a, n) => `#   IPv4 ${a}/${len4}${n === 0 ? '   (set below with ifconfig)' : ''}`),
    ...m.ipv6.map((a, n) => `#   IPv6 ${a}/${len6}${n === 0 ? '   (set below with ifconfig-ipv6)' : ''}`),
  ];
  const lines = [
    `# OpenVPN client config for AS${m.asn} (${oneLine(m.name)}) at exchange POP ${oneLine(i.pop)}, port ${oneLine(i.port)}.`,
    '# Needs OpenVPN 2.6 or later (peer-fingerprint; cipher negotiation in point-to-point mode).',
    '#',
    '# 1. Make your own key pair and self-signed certificate (the key never leaves your machine):',
    '#      openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \\',
    `#        -subj /CN=AS${m.asn} -keyout ${files.key} -out ${files.cert}`,
    `#      chmod 600 ${files.key}`,
    '# 2. Send the exchange the SHA256 fingerprint of the certificate; it goes into the registry',
    '#    as this connection\'s peer_fingerprint:',
    `#      openssl x509 -in ${files.cert} -noout -fingerprint -sha256`,
    `#    The registry has: ${i.params.peerFingerprint}`,
    '#    Only the key behind that fingerprint can connect.',
    `# 3. Keep this file next to ${files.cert} and ${files.key} and run, from that directory:`,
    `#      openvpn --config as${m.asn}-${oneLine(i.pop)}.ovpn`,
    '#',
    '# Your peering-LAN addresses:',
    ...(addrComments.length ? addrComments : ['#   (none assigned yet: ask the exchange)']),
    '# The tap carries the peering LAN with MTU 1500 (like every member of the LAN; do not',
    '# lower it). To bridge the tap into a router instead, remove the ifconfig lines.',
    '# On Linux, `mtu-disc no` avoids lost large packets where ICMP is filtered on the path.',
    '',
    'tls-client',
    'nobind',
    'dev tap',
    'proto udp',
    ...remotes.map((a) => `remote ${a} ${i.params.listenPort}`),
    '',
    '# The exchange POP\'s certificate, pinned by fingerprint (no CA).',
    `peer-fingerprint ${i.popFingerprint}`,
    `cert ${files.cert}`,
    `key ${files.key}`,
    'tls-version-min 1.2',
    `data-ciphers ${DATA_CIPHERS}`,
    '',
    `tun-mtu ${TUN_MTU}`,
    `mssfix ${MSSFIX}`,
    ...(v4 ? [`ifconfig ${v4} ${netmask(len4)}`] : []),
    ...(v6 ? [`ifconfig-ipv6 ${v6}/${len6} ::`] : []),
    '',
    `keepalive ${CLIENT_KEEPALIVE}`,
    'explicit-exit-notify 1',
    'persist-tun',
    'persist-key',
    'verb 3',
    '',
  ];
  return lines.join('\n');
}
