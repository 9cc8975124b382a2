// MAC addresses as plain numbers (48 bits fit exactly in a double) for table keys, and as
// lowercase `xx:xx:xx:xx:xx:xx` strings for display. Reading from a frame never allocates.

const TWO_32 = 4294967296;

/** Reads the 6-byte MAC at `off` as a number. */
export function readMac(buf: Uint8Array, off: number): number {
  const hi = ((buf[off]! << 8) | buf[off + 1]!) >>> 0;
  const lo = ((buf[off + 2]! << 24) | (buf[off + 3]! << 16) | (buf[off + 4]! << 8) | buf[off + 5]!) >>> 0;
  return hi * TWO_32 + lo;
}

/** Writes a MAC number as 6 bytes at `off`. */
export function writeMac(buf: Uint8Array, off: number, mac: number): void {
  const hi = Math.floor(mac / TWO_32);
  const lo = mac - hi * TWO_32;
  buf[off] = hi >>> 8;
  buf[off + 1] = hi & 0xff;
  buf[off + 2] = lo >>> 24;
  buf[off + 3] = (lo >>> 16) & 0xff;
  buf[off + 4] = (lo >>> 8) & 0xff;
  buf[off + 5] = lo & 0xff;
}

/** The group bit (least significant bit of the first octet): broadcast and multicast. */
export function isGroupMac(mac: number): boolean {
  return (Math.floor(mac / 0x10000000000) & 1) === 1;
}

export const BROADCAST_MAC = 0xffffffffffff;

export function macToString(mac: number): string {
  let s = '';
  for (let shift = 40; shift >= 0; shift -= 8) {
    const byte = Math.floor(mac / 2 ** shift) % 256;
    s += (s ? ':' : '') + byte.toString(16).padStart(2, '0');
  }
  return s;
}

const MAC_RE = /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i;

/** Parses `xx:xx:xx:xx:xx:xx` (or `-` separated, any case); returns null when it is not a MAC. */
export function parseMac(text: string): number | null {
  const m = MAC_RE.exec(text.trim());
  if (!m) return null;
  let mac = 0;
  for (let i = 1; i <= 6; i++) mac = mac * 256 + parseInt(m[i]!, 16);
  return mac;
}
