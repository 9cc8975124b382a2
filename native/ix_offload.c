/*
 * ixfabric native addon: kernel offloads in software for descriptors with a virtio_net_hdr
 * (AF_PACKET with PACKET_VNET_HDR, TAP with IFF_VNET_HDR): CHECKSUM_PARTIAL completion, GSO/GRO
 * super-packet segmentation, preparing a super-packet to be carried whole, and the virtio header
 * for transmitting one.
 *
 * Everything here works on one frame as the kernel handed it (Ethernet header first; on AF_PACKET
 * the VLAN tag the kernel moved into metadata is NOT present, so virtio csum_start is relative to
 * the frame without it, while a TAP delivers the tag in-band and counts it). Writing a segment can
 * re-insert that tag on the fly; all offsets into the written segment are then shifted by 4.
 *
 * Checksums are summed over native-endian loads (RFC 1071 byte-order independence) and stored
 * with a native-endian store, which yields the network-order value in memory.
 */
#include "ix.h"

#include <string.h>

#define ET_IPV4 0x0800
#define ET_IPV6 0x86dd
#define PROTO_TCP 6
#define PROTO_UDP 17

static inline uint16_t rd16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t rd32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline void wr16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
static inline void wr32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

/* Ones-complement partial sum of p[0..n) added to sum (p must start at an even offset of the
 * checksummed sequence). 32-bit loads into a 64-bit accumulator: no carry handling needed for any
 * length below 16 GiB. */
static uint64_t csum_add(uint64_t sum, const uint8_t *p, size_t n) {
  while (n >= 16) {
    uint32_t w[4];
    memcpy(w, p, 16);
    sum += (uint64_t)w[0] + w[1] + w[2] + w[3];
    p += 16;
    n -= 16;
  }
  while (n >= 4) {
    uint32_t w;
    memcpy(&w, p, 4);
    sum += w;
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    uint16_t w;
    memcpy(&w, p, 2);
    sum += w;
    p += 2;
    n -= 2;
  }
  if (n) {
    uint16_t w = 0;
    memcpy(&w, p, 1); /* the odd byte is the high-order (first) byte of a zero-padded word */
    sum += w;
  }
  return sum;
}

static inline uint16_t csum_fold(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)sum;
}

/* Store ~fold(sum) at p (native store of a native-order sum = network order in memory). */
static inline void csum_store(uint8_t *p, uint64_t sum, int udp) {
  uint16_t v = (uint16_t)~csum_fold(sum);
  if (udp && v == 0) v = 0xffff; /* 0 means "no checksum" for UDP; 0xffff is the same value */
  memcpy(p, &v, 2);
}

/* Sum of the TCP/UDP pseudo-header over the IP header at `ip` (addresses as they are; a routing
 * header's final destination is not looked up: the kernel never builds TSO packets with one). */
static uint64_t pseudo_sum(const uint8_t *ip, int v6, uint8_t proto, uint32_t l4len) {
  uint8_t pseudo[40];
  if (!v6) {
    memcpy(pseudo, ip + 12, 8);
    pseudo[8] = 0;
    pseudo[9] = proto;
    wr16(pseudo + 10, (uint16_t)l4len);
    return csum_add(0, pseudo, 12);
  }
  memcpy(pseudo, ip + 8, 32);
  wr32(pseudo + 32, l4len);
  pseudo[36] = pseudo[37] = pseudo[38] = 0;
  pseudo[39] = proto;
  return csum_add(0, pseudo, 40);
}

int ix_csum_complete(uint8_t *frame, uint32_t len, uint32_t start, uint32_t offset) {
  uint64_t sum;
  if (start >= len || offset > len - start || len - start - offset < 2) return -1;
  /* The field already holds the (folded, not complemented) pseudo-header sum. */
  sum = csum_add(0, frame + start, len - start);
  /* offset 6 = UDP checksum (TCP is 16); 0 -> 0xffff is harmless for any internet checksum. */
  csum_store(frame + start + offset, sum, offset == 6);
  return 0;
}

int ix_gso_parse(const uint8_t *f, uint32_t len, const ix_vnet_hdr *vh, ix_gso_info *gi) {
  uint32_t off = 12, l3, l4, hlen;
  uint16_t et;
  uint8_t proto, type = vh->gso_type & (uint8_t)~IX_GSO_ECN, want_proto;

  if (type == IX_GSO_TCPV4 || type == IX_GSO_TCPV6) want_proto = PROTO_TCP;
  else if (type == IX_GSO_UDP_L4) want_proto = PROTO_UDP;
  else return -1;
  if (vh->gso_size == 0) return -1;

  for (;;) {
    if (off + 2 > len) return -1;
    et = rd16(f + off);
    if (et != 0x8100 && et != 0x88a8 && et != 0x9100) break;
    off += 4;
  }
  l3 = off + 2;
  memset(gi, 0, sizeof *gi);
  if (et == ET_IPV4 && type != IX_GSO_TCPV6) {
    uint32_t ihl, tot;
    if (l3 + 20 > len || (f[l3] >> 4) != 4) return -1;
    ihl = (uint32_t)(f[l3] & 0x0f) * 4;
    if (ihl < 20 || l3 + ihl > len) return -1;
    if (rd16(f + l3 + 6) & 0x3fff) return -1; /* a fragment cannot be a GSO packet */
    tot = rd16(f + l3 + 2);
    if (tot != 0 && l3 + tot < len) len = l3 + tot; /* trailing padding */
    proto = f[l3 + 9];
    l4 = l3 + ihl;
  } else if (et == ET_IPV6 && type != IX_GSO_TCPV4) {
    uint32_t plen, hops = 0;
    if (l3 + 40 > len || (f[l3] >> 4) != 6) return -1;
    plen = rd16(f + l3 + 4);
    if (plen != 0 && l3 + 40 + plen < len) len = l3 + 40 + plen;
    proto = f[l3 + 6];
    l4 = l3 + 40;
    /* Hop-by-hop, routing and destination options headers may precede the transport header. */
    while ((proto == 0 || proto == 43 || proto == 60) && hops++ < 8) {
      if (l4 + 8 > len) return -1;
      proto = f[l4];
      l4 += ((uint32_t)f[l4 + 1] + 1) * 8;
    }
    gi->v6 = 1;
  } else {
    return -1;
  }
  if (proto != want_proto) return -1;
  /* When the kernel says where the checksum starts it must be this transport header; otherwise
   * (e.g. a VXLAN/GRE-encapsulated super-packet, where csum_start is the inner TCP header) the
   * packet is not one we can segment correctly. */
  if ((vh->flags & IX_VNET_F_NEEDS_CSUM) &&
      (vh->csum_start != l4 || vh->csum_offset != (proto == PROTO_TCP ? 16 : 6)))
    return -1;
  if (proto == PROTO_TCP) {
    uint32_t doff;
    if (l4 + 20 > len) return -1;
    doff = (uint32_t)(f[l4 + 12] >> 4) * 4;
    if (doff < 20) return -1;
    hlen = l4 + doff;
  } else {
    hlen = l4 + 8;
  }
  if (hlen >= len) return -1; /* no payload */
  gi->l3 = l3;
  gi->l4 = l4;
  gi->hlen = hlen;
  gi->len = len;
  gi->proto = proto;
  gi->gso_size = vh->gso_size;
  gi->nseg = (len - hlen + vh->gso_size - 1) / vh->gso_size;
  return 0;
}

/* Copy n bytes of a frame to dst, inserting a 4-byte tag after the MAC addresses when tag != NULL.
 * Returns the bytes written. */
uint32_t ix_copy_frame(uint8_t *dst, const uint8_t *src, uint32_t n, const uint8_t *tag) {
  if (tag == NULL || n < 12) {
    memcpy(dst, src, n);
    return n;
  }
  memcpy(dst, src, 12);
  memcpy(dst + 12, tag, 4);
  memcpy(dst + 16, src + 12, n - 12);
  return n + 4;
}

uint32_t ix_gso_segment(uint8_t *dst, const uint8_t *f, const ix_gso_info *gi, uint32_t k, const uint8_t *tag) {
  const uint32_t add = tag ? 4 : 0;
  const uint32_t plen = gi->len - gi->hlen;
  const uint32_t poff = k * gi->gso_size;
  const uint32_t seglen = plen - poff < gi->gso_size ? plen - poff : gi->gso_size;
  const int last = k + 1 >= gi->nseg;
  const uint32_t l3 = gi->l3 + add, l4 = gi->l4 + add, hlen = gi->hlen + add;
  const uint32_t l4len = hlen - l4 + seglen;
  uint64_t sum;

  ix_copy_frame(dst, f, gi->hlen, tag);
  memcpy(dst + hlen, f + gi->hlen + poff, seglen);

  if (!gi->v6) {
    uint8_t *ip = dst + l3;
    uint32_t ihl = (uint32_t)(ip[0] & 0x0f) * 4;
    wr16(ip + 2, (uint16_t)(hlen - l3 + seglen));
    wr16(ip + 4, (uint16_t)(rd16(f + gi->l3 + 4) + k)); /* the kernel increments the ID too */
    ip[10] = ip[11] = 0;
    csum_store(ip + 10, csum_add(0, ip, ihl), 0);
  } else {
    wr16(dst + l3 + 4, (uint16_t)(hlen - l3 - 40 + seglen));
  }
  sum = pseudo_sum(dst + l3, gi->v6, gi->proto, l4len);

  if (gi->proto == PROTO_TCP) {
    uint8_t *th = dst + l4;
    wr32(th + 4, rd32(f + gi->l4 + 4) + poff);
    if (k > 0) th[13] &= (uint8_t)~0x80;         /* CWR only on the first segment */
    if (!last) th[13] &= (uint8_t)~(0x01 | 0x08); /* FIN and PSH only on the last */
    th[16] = th[17] = 0;
    csum_store(th + 16, csum_add(sum, th, l4len), 0);
  } else {
    uint8_t *uh = dst + l4;
    wr16(uh + 4, (uint16_t)l4len);
    uh[6] = uh[7] = 0;
    csum_store(uh + 6, csum_add(sum, uh, l4len), 1);
  }
  return hlen + seglen;
}

/*
 * A super-packet to be carried whole (Poller offload): ix_gso_parse, then the IP length field must
 * be set (IPv4 BIG TCP and IPv6 jumbograms announce 0; they never fit a 64 KiB slot anyway), and
 * the L4 checksum field is (re)written with the pseudo-header sum over the whole L4 length, which
 * is what NEEDS_CSUM means on transmit: a GRO packet (DATA_VALID, no NEEDS_CSUM) holds the first
 * segment's checksum there, a TSO packet already holds exactly this value.
 */
int ix_gso_whole(uint8_t *f, uint32_t len, const ix_vnet_hdr *vh, ix_gso_info *gi) {
  uint16_t v;
  if (ix_gso_parse(f, len, vh, gi) != 0) return -1;
  if (rd16(f + gi->l3 + (gi->v6 ? 4 : 2)) == 0) return -1;
  v = csum_fold(pseudo_sum(f + gi->l3, gi->v6, gi->proto, gi->len - gi->l4));
  memcpy(f + gi->l4 + (gi->proto == PROTO_TCP ? 16 : 6), &v, 2);
  return 0;
}

/*
 * The virtio header for transmitting a frame of `len` bytes with metadata m (IX_META_STRIDE u16,
 * see ix.h) whose offsets are shifted by `shift` bytes on the wire (a separate header iovec in
 * front). Zeroed for an ordinary frame. Returns -1 for metadata that cannot describe this frame.
 */
int ix_meta_vnet(const uint16_t *m, uint32_t len, uint32_t shift, ix_vnet_hdr *vh) {
  uint32_t type = m[0] & ~(uint32_t)IX_GSO_ECN, thlen;
  memset(vh, 0, sizeof *vh);
  if (m[0] == 0) return 0;
  if (m[0] > 0xff) return -1;
  if (type == IX_GSO_TCPV4 || type == IX_GSO_TCPV6) thlen = 20;
  else if (type == IX_GSO_UDP_L4) thlen = 8;
  else return -1;
  if (m[1] == 0 || m[2] < 14 + 20 || (uint32_t)m[2] + thlen > m[3] || m[3] >= len) return -1;
  if ((uint32_t)m[3] + shift > 0xffff) return -1;
  vh->flags = IX_VNET_F_NEEDS_CSUM;
  vh->gso_type = (uint8_t)m[0];
  vh->hdr_len = (uint16_t)(m[3] + shift);
  vh->gso_size = m[1];
  vh->csum_start = (uint16_t)(m[2] + shift);
  vh->csum_offset = type == IX_GSO_UDP_L4 ? 6 : 16;
  return 0;
}
