/*
 * The 32-byte address table entry (receive source addresses, transmit destinations):
 *
 *   bytes 0-1    family, u16 little-endian: 2 = IPv4, 10 = IPv6
 *                (receive only: 17 = AF_PACKET, 1 = AF_UNIX, 0 = unknown)
 *   bytes 2-3    port, u16 big-endian (AF_PACKET: the frame's ethertype, big-endian)
 *   bytes 4-7    IPv4 address (network order)            | family 2
 *   bytes 4-19   IPv6 address (network order)            | family 10
 *   bytes 20-23  IPv6 scope id, u32 little-endian (AF_PACKET: ifindex)
 *   bytes 24-27  IPv6 flow info, u32 little-endian (AF_PACKET: byte 24 = pkttype)
 *   bytes 28-31  zero
 */
#include "ix.h"

#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/if_packet.h>
#include <sys/un.h>

static inline void put_le16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

static inline void put_le32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static inline uint16_t get_le16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

static inline uint32_t get_le32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

void ix_addr_encode(uint8_t *out, const struct sockaddr *sa, socklen_t len) {
  memset(out, 0, IX_ADDR_SIZE);
  if (len < (socklen_t)sizeof(sa_family_t)) return;
  switch (sa->sa_family) {
    case AF_INET: {
      const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
      put_le16(out, AF_INET);
      memcpy(out + 2, &in->sin_port, 2);
      memcpy(out + 4, &in->sin_addr, 4);
      break;
    }
    case AF_INET6: {
      const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
      put_le16(out, AF_INET6);
      memcpy(out + 2, &in6->sin6_port, 2);
      memcpy(out + 4, &in6->sin6_addr, 16);
      put_le32(out + 20, in6->sin6_scope_id);
      put_le32(out + 24, ntohl(in6->sin6_flowinfo));
      break;
    }
    case AF_PACKET: {
      const struct sockaddr_ll *ll = (const struct sockaddr_ll *)sa;
      put_le16(out, AF_PACKET);
      memcpy(out + 2, &ll->sll_protocol, 2);
      put_le32(out + 20, (uint32_t)ll->sll_ifindex);
      out[24] = ll->sll_pkttype;
      break;
    }
    case AF_UNIX:
      put_le16(out, AF_UNIX);
      break;
    default:
      break;
  }
}

int ix_addr_decode(const uint8_t *in, struct sockaddr_storage *ss, socklen_t *len) {
  uint16_t family = get_le16(in);
  memset(ss, 0, sizeof(struct sockaddr_in6));
  if (family == AF_INET) {
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    sin->sin_family = AF_INET;
    memcpy(&sin->sin_port, in + 2, 2);
    memcpy(&sin->sin_addr, in + 4, 4);
    *len = sizeof *sin;
    return 0;
  }
  if (family == AF_INET6) {
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    sin6->sin6_family = AF_INET6;
    memcpy(&sin6->sin6_port, in + 2, 2);
    memcpy(&sin6->sin6_addr, in + 4, 16);
    sin6->sin6_scope_id = get_le32(in + 20);
    sin6->sin6_flowinfo = htonl(get_le32(in + 24));
    *len = sizeof *sin6;
    return 0;
  }
  return -EAFNOSUPPORT;
}
