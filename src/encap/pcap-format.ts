// Constants shared by the pcap / pcapng reader and writer, and the error type of the codec.
//
// References: draft-ietf-opsawg-pcap (classic pcap), draft-ietf-opsawg-pcapng (pcapng),
// https://www.tcpdump.org/linktypes.html (link types).

/** Classic pcap magic, microsecond timestamps (as read in the file's own byte order). */
export const PCAP_MAGIC_US = 0xa1b2c3d4;
/** Classic pcap magic, nanosecond timestamps. */
export const PCAP_MAGIC_NS = 0xa1b23c4d;
/**
 * Alexey Kuznetsov's "modified pcap" (old Linux patched libpcap): like PCAP_MAGIC_US, but every
 * record header carries 8 more bytes (ifindex u32, protocol u16, pkt_type u8, pad u8).
 */
export const PCAP_MAGIC_MODIFIED = 0xa1b2cd34;

/** Length of the classic pcap file header. */
export const PCAP_FILE_HEADER_LEN = 24;
/** Length of a classic pcap record header (ts_sec, ts_frac, incl_len, orig_len). */
export const PCAP_RECORD_HEADER_LEN = 16;
/** Classic pcap version written by PcapWriter (and the only major version accepted). */
export const PCAP_VERSION_MAJOR = 2;
export const PCAP_VERSION_MINOR = 4;

/** Default snapshot length (libpcap's MAXIMUM_SNAPLEN, also tcpdump's default). */
export const DEFAULT_SNAPLEN = 262144;
/**
 * Largest caplen the classic reader accepts without question when the file's snaplen is smaller
 * (Wireshark's WTAP_MAX_PACKET_SIZE_STANDARD). A classic record whose caplen is above
 * max(file snaplen, this) is treated as corrupt structure (PcapError), not as a big packet.
 */
export const MAX_PLAUSIBLE_CAPLEN = 262144;

// pcapng block types.
export const PCAPNG_BT_SHB = 0x0a0d0d0a;
export const PCAPNG_BT_IDB = 0x00000001;
/** Obsolete Packet Block (pcapng draft 1.0); still read. */
export const PCAPNG_BT_OPB = 0x00000002;
export const PCAPNG_BT_SPB = 0x00000003;
export const PCAPNG_BT_NRB = 0x00000004;
export const PCAPNG_BT_ISB = 0x00000005;
export const PCAPNG_BT_EPB = 0x00000006;
export const PCAPNG_BT_DSB = 0x0000000a;
export const PCAPNG_BT_CUSTOM_COPY = 0x00000bad;
export const PCAPNG_BT_CUSTOM_NOCOPY = 0x40000bad;
/** Byte-order magic inside the SHB. */
export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
export const PCAPNG_VERSION_MAJOR = 1;

// pcapng option codes used by the reader.
export const PCAPNG_OPT_ENDOFOPT = 0;
export const PCAPNG_OPT_IF_TSRESOL = 9;
export const PCAPNG_OPT_IF_FCSLEN = 13;
export const PCAPNG_OPT_IF_TSOFFSET = 14;

/** Link types (LINKTYPE_* values as stored in files, not the platform DLT_* values). */
export const LinkType = {
  /** BSD loopback: 4-byte address family in the writer's host byte order. */
  NULL: 0,
  ETHERNET: 1,
  /** Raw IP, version given by the first nibble. */
  RAW: 101,
  /** OpenBSD loopback: 4-byte address family in network byte order. */
  LOOP: 108,
  /** Linux "cooked" capture, version 1 (16-byte header). */
  LINUX_SLL: 113,
  /** Raw IPv4 only. */
  IPV4: 228,
  /** Raw IPv6 only. */
  IPV6: 229,
  /** Linux "cooked" capture, version 2 (20-byte header). */
  LINUX_SLL2: 276,
} as const;
export type KnownLinkType = (typeof LinkType)[keyof typeof LinkType];

export const LINKTYPE_NULL = LinkType.NULL;
export const LINKTYPE_ETHERNET = LinkType.ETHERNET;
export const LINKTYPE_RAW = LinkType.RAW;
export const LINKTYPE_LOOP = LinkType.LOOP;
export const LINKTYPE_LINUX_SLL = LinkType.LINUX_SLL;
export const LINKTYPE_IPV4 = LinkType.IPV4;
export const LINKTYPE_IPV6 = LinkType.IPV6;
export const LINKTYPE_LINUX_SLL2 = LinkType.LINUX_SLL2;

/**
 * Broken capture structure. `offset` is the byte offset (from the start of the input) of the
 * header, block or field that is wrong; the message always ends with "at offset N".
 */
export class PcapError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(`${message} at offset ${offset}`);
    this.name = 'PcapError';
    this.offset = offset;
  }
}
