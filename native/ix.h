/*
 * ixfabric native addon: shared declarations.
 *
 * The addon is context aware: everything mutable lives in the per-environment
 * ix_instance (napi_set_instance_data) or in per-Poller state, so it can be
 * loaded in the main thread and in any number of worker threads at once.
 */
#ifndef IX_H
#define IX_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <node_api.h>

/* Fixed-size socket address table entry shared by receive and transmit. */
#define IX_ADDR_SIZE 32
/* send() descriptor: [frameOffset, frameLength, headerOffset, headerLength, addrIndex]. */
#define IX_DESC_STRIDE 5
/* Upper bound on one batch (receive or transmit). */
#define IX_MAX_BATCH 1024

typedef struct ix_instance {
  /* Transmit scratch, grown on demand (only when a batch larger than ever before arrives). */
  struct mmsghdr *tx_msgs;
  struct iovec *tx_iov; /* three per message: virtio header (AF_PACKET), header, frame */
  struct sockaddr_storage *tx_names;
  struct ix_vnet_hdr *tx_vnet; /* one virtio header per message (vnet fds with metadata) */
  int32_t *tx_res; /* result of each write of a TAP batch through io_uring */
  uint32_t tx_cap;
  /* One bit per fd that has an open Poller in this environment (libuv allows one watcher per fd
   * and silently ignores a second one). */
  uint8_t *poll_fds;
  size_t poll_fds_cap; /* bytes */
  /* io_uring for TAP reads and writes (ix_uring.c): 0 not tried yet, 1 in use, -1 unavailable or off. */
  struct ix_uring *uring;
  int uring_state;
} ix_instance;

/* Error helpers (ix_main.c). All return NULL so callers can `return ix_throw_...`. */
napi_value ix_throw_errno(napi_env env, int err, const char *syscall, const char *subject);
napi_value ix_throw_type(napi_env env, const char *msg);
napi_value ix_throw_range(napi_env env, const char *msg);
napi_value ix_throw_status(napi_env env, napi_status st, const char *what);

#define IX_NAPI(env, call)                                   \
  do {                                                       \
    napi_status ix_st_ = (call);                             \
    if (ix_st_ != napi_ok) return ix_throw_status((env), ix_st_, #call); \
  } while (0)

/* Argument helpers (ix_main.c). Return 0 on success, -1 with a JS exception pending. */
int ix_get_int32(napi_env env, napi_value v, const char *what, int32_t *out);
int ix_get_uint32(napi_env env, napi_value v, const char *what, uint32_t *out);
int ix_get_string(napi_env env, napi_value v, const char *what, char *buf, size_t cap);
int ix_is_nullish(napi_env env, napi_value v);
/* Optional object property: returns 1 if present (and converted), 0 if absent, -1 on error. */
int ix_opt_uint32(napi_env env, napi_value obj, const char *key, uint32_t *out);
int ix_opt_bool(napi_env env, napi_value obj, const char *key, int *out);
int ix_opt_value(napi_env env, napi_value obj, const char *key, napi_value *out);
int ix_get_bytes(napi_env env, napi_value v, const char *what, uint8_t **data, size_t *len);
int ix_get_u32array(napi_env env, napi_value v, const char *what, uint32_t **data, size_t *len);
int ix_get_i32array(napi_env env, napi_value v, const char *what, int32_t **data, size_t *len);
int ix_get_u16array(napi_env env, napi_value v, const char *what, uint16_t **data, size_t *len);

/*
 * virtio_net_hdr as AF_PACKET (PACKET_VNET_HDR) reads and writes it: 10 bytes in front of every
 * frame, legacy virtio byte order = host byte order. Constants from <linux/virtio_net.h>; the
 * UDP_L4 type (kernel >= 6.2 delivers it) is missing from older userspace headers.
 */
#include <linux/virtio_net.h>
#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5
#endif
#define IX_VNET_HDR_LEN 10
#define IX_VNET_F_NEEDS_CSUM VIRTIO_NET_HDR_F_NEEDS_CSUM
#define IX_GSO_NONE VIRTIO_NET_HDR_GSO_NONE
#define IX_GSO_TCPV4 VIRTIO_NET_HDR_GSO_TCPV4
#define IX_GSO_TCPV6 VIRTIO_NET_HDR_GSO_TCPV6
#define IX_GSO_UDP_L4 VIRTIO_NET_HDR_GSO_UDP_L4
#define IX_GSO_ECN VIRTIO_NET_HDR_GSO_ECN

typedef struct ix_vnet_hdr {
  uint8_t flags;
  uint8_t gso_type;
  uint16_t hdr_len;
  uint16_t gso_size;
  uint16_t csum_start;
  uint16_t csum_offset;
} ix_vnet_hdr;
_Static_assert(sizeof(ix_vnet_hdr) == IX_VNET_HDR_LEN, "virtio_net_hdr is 10 bytes");

/* A parsed GSO super-packet (offsets into the frame as received, without a re-inserted tag). */
typedef struct ix_gso_info {
  uint32_t l3, l4, hlen; /* IP header, TCP/UDP header, first payload byte */
  uint32_t len;          /* frame length without trailing padding */
  uint32_t gso_size, nseg;
  uint8_t v6, proto;
} ix_gso_info;

/*
 * Per-frame offload metadata shared with JS (Poller opts.meta, send() meta, segment()): IX_META_STRIDE
 * u16 per frame, offsets relative to the frame as delivered (VLAN tag re-inserted):
 *   [0] gso type: virtio gso_type (TCPV4 1, TCPV6 4, UDP_L4 5, | ECN 0x80); 0 = an ordinary frame
 *   [1] gso size (payload bytes per wire segment)
 *   [2] L4 header offset (virtio csum_start; the checksum field holds the pseudo-header sum)
 *   [3] header end = first payload byte (virtio hdr_len)
 * A super-packet stands for ceil((length - [3]) / [1]) wire segments.
 */
#define IX_META_STRIDE 4
/* Smallest slot capacity (slotSize - headroom) for a Poller with offload on a vnet descriptor: a
 * 64 KiB IP packet with its Ethernet header and two in-band VLAN tags. */
#define IX_OFFLOAD_FRAME_MIN (65535 + 14 + 8)

/* Offload completion (ix_offload.c). */
int ix_csum_complete(uint8_t *frame, uint32_t len, uint32_t start, uint32_t offset);
int ix_gso_parse(const uint8_t *frame, uint32_t len, const ix_vnet_hdr *vh, ix_gso_info *gi);
uint32_t ix_copy_frame(uint8_t *dst, const uint8_t *src, uint32_t n, const uint8_t *tag);
uint32_t ix_gso_segment(uint8_t *dst, const uint8_t *frame, const ix_gso_info *gi, uint32_t k, const uint8_t *tag);
int ix_gso_whole(uint8_t *frame, uint32_t len, const ix_vnet_hdr *vh, ix_gso_info *gi);
int ix_meta_vnet(const uint16_t *m, uint32_t len, uint32_t shift, ix_vnet_hdr *vh);

/* Batched TAP reads/writes through io_uring (ix_uring.c). */
typedef struct ix_uring ix_uring;
/* The environment's ring, set up on first use; NULL when io_uring is unavailable or turned off. */
ix_uring *ix_uring_get(ix_instance *inst);
void ix_uring_free(ix_uring *u);
/* n readv (write 0) or writev (write 1) operations on fd, operation i with msgs[i]'s iovecs, all
 * non-blocking; res[i] = bytes or -errno (-EAGAIN also for one not done). Returns 0, or -errno
 * when nothing could be submitted (then nothing was done). */
int ix_uring_rw(ix_uring *u, int fd, int write, const struct mmsghdr *msgs, uint32_t n, int32_t *res);

/* Socket buffer sizing shared by the openers (ix_ctl.c). */
void ix_set_bufs(int fd);

/* Address table codec (ix_addr.c). */
void ix_addr_encode(uint8_t *out, const struct sockaddr *sa, socklen_t len);
int ix_addr_decode(const uint8_t *in, struct sockaddr_storage *ss, socklen_t *len);

/* Module parts. */
napi_status ix_ctl_init(napi_env env, napi_value exports);
napi_status ix_poller_init(napi_env env, napi_value exports);
napi_status ix_send_init(napi_env env, napi_value exports);
napi_status ix_uring_init(napi_env env, napi_value exports);

#endif
