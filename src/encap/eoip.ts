// MikroTik EoIP. Over IPv4 it is GRE-like (protocol 47):
//   20 01 64 00 | payload length (2, big-endian) | tunnel id (2, little-endian) | frame
// A keepalive is the bare 8-byte header with length 0. The length field is authoritative:
// extra bytes are trimmed, a frame shorter than announced is dropped.
// Over IPv6 it is EtherIP (protocol 97) with the tunnel id folded into the header:
//   byte0 = (tid >> 8) << 4 | 0x3, byte1 = tid & 0xff  (12-bit id), no length field.

export const EOIP_V4_HEADER_LEN = 8;
export const EOIP_V6_HEADER_LEN = 2;
export const EOIP_MAX_TUNNEL_ID_V4 = 0xffff;
export const EOIP_MAX_TUNNEL_ID_V6 = 0x0fff;
/** Default MTU of an EoIP interface on a 1500-byte underlay (RouterOS). */
export const EOIP_DEFAULT_MTU = 1458;

export const EOIP_FRAME = 0;
export const EOIP_KEEPALIVE = 1;
/** Not MikroTik EoIP (wrong GRE flags, version or protocol). */
export const EOIP_BAD_MAGIC = -1;
/** Shorter than its header, or than the length it announces, or the frame is under 14 bytes. */
export const EOIP_TRUNCATED = -2;

export interface EoipPacket {
  tunnelId: number;
  frameOffset: number;
  frameLength: number;
}

export function newEoipPacket(): EoipPacket {
  return { tunnelId: 0, frameOffset: 0, frameLength: 0 };
}

/** Decodes the GRE payload at buf[off, off+len) (after the IPv4 header). */
export function decodeEoipV4(buf: Uint8Array, off: number, len: number, out: EoipPacket): number {
  if (len < EOIP_V4_HEADER_LEN) return EOIP_TRUNCATED;
  if (buf[off] !== 0x20 || buf[off + 1] !== 0x01 || buf[off + 2] !== 0x64 || buf[off + 3] !== 0x00) return EOIP_BAD_MAGIC;
  const length = (buf[off + 4]! << 8) | buf[off + 5]!;
  out.tunnelId = buf[off + 6]! | (buf[off + 7]! << 8);
  out.frameOffset = off + EOIP_V4_HEADER_LEN;
  out.frameLength = length;
  if (length === 0) return EOIP_KEEPALIVE;
  if (length < 14 || length > len - EOIP_V4_HEADER_LEN) return EOIP_TRUNCATED;
  return EOIP_FRAME;
}

/** Writes the 8-byte header for a frame of `frameLength` bytes (0 = keepalive). */
export function writeEoipV4Header(buf: Uint8Array, off: number, tunnelId: number, frameLength: number): void {
  buf[off] = 0x20;
  buf[off + 1] = 0x01;
  buf[off + 2] = 0x64;
  buf[off + 3] = 0x00;
  buf[off + 4] = frameLength >>> 8;
  buf[off + 5] = frameLength & 0xff;
  buf[off + 6] = tunnelId & 0xff;
  buf[off + 7] = tunnelId >>> 8;
}

/** Decodes the EtherIP payload at buf[off, off+len) (an IPv6 raw socket has no IP header). */
export function decodeEoipV6(buf: Uint8Array, off: number, len: number, out: EoipPacket): number {
  if (len < EOIP_V6_HEADER_LEN) return EOIP_TRUNCATED;
  const b0 = buf[off]!;
  if ((b0 & 0x0f) !== 0x3) return EOIP_BAD_MAGIC;
  out.tunnelId = ((b0 >> 4) << 8) | buf[off + 1]!;
  out.frameOffset = off + EOIP_V6_HEADER_LEN;
  out.frameLength = len - EOIP_V6_HEADER_LEN;
  if (out.frameLength === 0) return EOIP_KEEPALIVE;
  if (out.frameLength < 14) return EOIP_TRUNCATED;
  return EOIP_FRAME;
}

export function writeEoipV6Header(buf: Uint8Array, off: number, tunnelId: number): void {
  buf[off] = ((tunnelId >> 8) << 4) | 0x3;
  buf[off + 1] = tunnelId & 0xff;
}
