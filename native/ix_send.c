/*
 * ixfabric native addon: batched, non-blocking transmit, and segmentation of super-packets for
 * descriptors that cannot take them.
 *
 *   send(fd, kind, slab, desc, count, addrs, result, meta?) -> accepted
 *
 * desc holds IX_DESC_STRIDE u32 per message: [frameOffset, frameLength, headerOffset,
 * headerLength, addrIndex]; header and frame go out as one iovec (header first). On an AF_PACKET
 * socket with PACKET_VNET_HDR (every packetOpen socket) a virtio_net_hdr is prepended as a third,
 * first iovec entry: built from meta[i * IX_META_STRIDE ..] (ix.h) for message i when meta is
 * given (a super-packet goes out whole, the kernel segments it or hands it on as GSO), zeroed
 * otherwise. 'stream' with meta means a TAP opened with a 10-byte virtio header (tapOpen vnetHdr),
 * which gets the same header; without meta, plain writev. Metadata describing a super-packet on a
 * descriptor that cannot take one (UDP, raw, plain AF_PACKET) is a bug: it throws.
 * 'dgram' uses sendmmsg (addrs selects the destination unless the socket is AF_PACKET or addrs
 * is null; one getsockopt per call tells the two apart), 'packet' the same on a socket the caller
 * knows to be AF_PACKET with PACKET_VNET_HDR (no getsockopt, addrs ignored: one system call less
 * per batch on the ethernet-port path), 'stream' one write per message (TAP), all of them
 * submitted together through io_uring where it can (ix_uring.c), else one writev each. Stops at
 * EAGAIN/ENOBUFS (io_uring: tries every message, a full queue refuses some); other per-message
 * errors skip that message and are reported in result = [errorCount, lastErrno].
 * Invariant: accepted + errorCount + notAttempted == count (notAttempted = tx_full).
 *
 *   segment(src, off, len, meta, metaIndex, dst, offsets, lengths, slotSize, headroom, first) -> n
 *
 * Writes the wire segments first.. of the super-packet src[off, off+len) (metadata
 * meta[metaIndex * IX_META_STRIDE ..]) into dst: segment first+j at j*slotSize + headroom,
 * offsets[j]/lengths[j] set, every checksum complete (ix_gso_segment). Stops when dst, offsets or
 * lengths are full; returns the number written, or -1 when the frame cannot be segmented (not a
 * super-packet its metadata describes, or a segment larger than a slot).
 */
#include "ix.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <linux/if_packet.h>

/* virtio_net_hdr for frames we transmit: no checksum offload, no GSO. Never written. */
static uint8_t zero_vnet[IX_VNET_HDR_LEN];

static int grow(ix_instance *inst, uint32_t need) {
  struct mmsghdr *m;
  struct iovec *v;
  struct sockaddr_storage *n;
  uint32_t cap = inst->tx_cap ? inst->tx_cap : 64;
  if (need <= inst->tx_cap) return 0;
  while (cap < need) cap *= 2;
  m = realloc(inst->tx_msgs, (size_t)cap * sizeof *m);
  if (m == NULL) return -1;
  inst->tx_msgs = m;
  v = realloc(inst->tx_iov, (size_t)cap * 3 * sizeof *v);
  if (v == NULL) return -1;
  inst->tx_iov = v;
  n = realloc(inst->tx_names, (size_t)cap * sizeof *n);
  if (n == NULL) return -1;
  inst->tx_names = n;
  {
    ix_vnet_hdr *h = realloc(inst->tx_vnet, (size_t)cap * sizeof *h);
    if (h == NULL) return -1;
    inst->tx_vnet = h;
  }
  {
    int32_t *r = realloc(inst->tx_res, (size_t)cap * sizeof *r);
    if (r == NULL) return -1;
    inst->tx_res = r;
  }
  inst->tx_cap = cap;
  return 0;
}

/* Errors after which every further message on this fd fails the same way. */
static int fd_dead(int err) {
  switch (err) {
    case EBADF:
    case EBADFD:
    case ENOTSOCK:
    case ENXIO:
    case ENODEV:
    case ENETDOWN:
    case EDESTADDRREQ:
    case EPIPE:
      return 1;
    default:
      return 0;
  }
}

static inline int tx_full(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS; }

static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8] = {NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL}, ret;
  ix_instance *inst = NULL;
  int32_t fd;
  char kind[8];
  uint8_t *slab, *addrs = NULL;
  size_t slab_len, desc_len, addrs_len = 0, res_len = 0, meta_len = 0;
  uint16_t *meta = NULL;
  uint32_t *desc, count, i, accepted = 0, errors = 0;
  int32_t *result = NULL;
  int last_err = 0, dgram, packet = 0, use_names = 0, vnet = 0;
  ix_uring *u;

  IX_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  IX_NAPI(env, napi_get_instance_data(env, (void **)&inst));
  if (ix_get_int32(env, argv[0], "fd", &fd) != 0) return NULL;
  if (ix_get_string(env, argv[1], "kind", kind, sizeof kind) != 0) return NULL;
  if (strcmp(kind, "dgram") == 0) dgram = 1;
  else if (strcmp(kind, "packet") == 0) dgram = packet = 1;
  else if (strcmp(kind, "stream") == 0) dgram = 0;
  else return ix_throw_type(env, "kind must be 'stream', 'dgram' or 'packet'");
  if (ix_get_bytes(env, argv[2], "slab", &slab, &slab_len) != 0) return NULL;
  if (ix_get_u32array(env, argv[3], "desc", &desc, &desc_len) != 0) return NULL;
  if (ix_get_uint32(env, argv[4], "count", &count) != 0) return NULL;
  if ((uint64_t)count * IX_DESC_STRIDE > desc_len) return ix_throw_range(env, "count exceeds desc.length / 5");
  if (!ix_is_nullish(env, argv[5]) && ix_get_bytes(env, argv[5], "addrs", &addrs, &addrs_len) != 0) return NULL;
  if (!ix_is_nullish(env, argv[6])) {
    if (ix_get_i32array(env, argv[6], "result", &result, &res_len) != 0) return NULL;
    if (res_len < 2) return ix_throw_range(env, "result must hold 2 entries");
    result[0] = 0;
    result[1] = 0;
  }
  if (argc > 7 && !ix_is_nullish(env, argv[7])) {
    if (ix_get_u16array(env, argv[7], "meta", &meta, &meta_len) != 0) return NULL;
    if ((uint64_t)count * IX_META_STRIDE > meta_len) return ix_throw_range(env, "count exceeds meta.length / 4");
  }
  if (count == 0) goto done;
  if (grow(inst, count) != 0) return ix_throw_errno(env, ENOMEM, "send", NULL);

  if (packet) {
    vnet = 1;
  } else if (dgram) {
    /* One cheap getsockopt per batch: it succeeds only on AF_PACKET sockets (other families answer
     * ENOPROTOOPT/EOPNOTSUPP for SOL_PACKET), which ignore the address table and may need the
     * virtio header. */
    int v = 0;
    socklen_t vl = sizeof v;
    if (getsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &v, &vl) == 0) vnet = v != 0;
    else use_names = addrs != NULL;
  } else {
    vnet = meta != NULL; /* a TAP with a virtio header */
  }

  /* Validate and build every message first: a bad descriptor is a bug, not a drop. */
  for (i = 0; i < count; i++) {
    const uint32_t *d = desc + (size_t)i * IX_DESC_STRIDE;
    struct iovec *iov = inst->tx_iov + (size_t)i * 3;
    struct msghdr *mh = &inst->tx_msgs[i].msg_hdr;
    int n = 0;
    if ((uint64_t)d[0] + d[1] > slab_len || (uint64_t)d[2] + d[3] > slab_len) {
      char msg[96];
      snprintf(msg, sizeof msg, "desc[%u] points outside the slab", i);
      return ix_throw_range(env, msg);
    }
    if (meta != NULL && meta[(size_t)i * IX_META_STRIDE] != 0) {
      if (!vnet || ix_meta_vnet(meta + (size_t)i * IX_META_STRIDE, d[1], d[3], &inst->tx_vnet[i]) != 0) {
        char msg[112];
        snprintf(msg, sizeof msg, vnet ? "meta[%u] does not describe a super-packet of this frame" : "meta[%u]: descriptor %d cannot take a super-packet", i, fd);
        return ix_throw_range(env, msg);
      }
      iov[n].iov_base = &inst->tx_vnet[i];
      iov[n].iov_len = IX_VNET_HDR_LEN;
      n++;
    } else if (vnet) {
      iov[n].iov_base = zero_vnet;
      iov[n].iov_len = IX_VNET_HDR_LEN;
      n++;
    }
    if (d[3] != 0) {
      iov[n].iov_base = slab + d[2];
      iov[n].iov_len = d[3];
      n++;
    }
    if (d[1] != 0 || n == vnet) {
      iov[n].iov_base = slab + d[0];
      iov[n].iov_len = d[1];
      n++;
    }
    mh->msg_iov = iov;
    mh->msg_iovlen = (size_t)n;
    mh->msg_name = NULL;
    mh->msg_namelen = 0;
    mh->msg_control = NULL;
    mh->msg_controllen = 0;
    mh->msg_flags = 0;
    if (use_names) {
      socklen_t nl = 0;
      if ((uint64_t)d[4] * IX_ADDR_SIZE + IX_ADDR_SIZE > addrs_len) {
        char msg[96];
        snprintf(msg, sizeof msg, "desc[%u].addrIndex %u is outside addrs", i, d[4]);
        return ix_throw_range(env, msg);
      }
      if (ix_addr_decode(addrs + (size_t)d[4] * IX_ADDR_SIZE, &inst->tx_names[i], &nl) != 0) {
        char msg[96];
        snprintf(msg, sizeof msg, "addrs[%u] has no IPv4/IPv6 family", d[4]);
        return ix_throw_range(env, msg);
      }
      mh->msg_name = &inst->tx_names[i];
      mh->msg_namelen = nl;
    }
  }

  if (dgram) {
    i = 0;
    while (i < count) {
      int r = sendmmsg(fd, inst->tx_msgs + i, count - i, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (r > 0) {
        accepted += (uint32_t)r;
        i += (uint32_t)r;
        continue;
      }
      if (r == 0) break;
      if (errno == EINTR) continue;
      if (tx_full(errno)) break;
      last_err = errno;
      if (fd_dead(errno)) {
        errors += count - i;
        break;
      }
      errors++;
      i++; /* skip the message that failed and carry on */
    }
  } else if ((u = ix_uring_get(inst)) != NULL && ix_uring_rw(u, fd, 1, inst->tx_msgs, count, inst->tx_res) == 0) {
    /* every write was tried (ix_uring.c): a full queue leaves a hole instead of ending the batch */
    for (i = 0; i < count; i++) {
      int r = inst->tx_res[i];
      if (r >= 0) accepted++;
      else if (!tx_full(-r)) {
        errors++;
        last_err = -r;
      }
    }
  } else {
    for (i = 0; i < count; i++) {
      struct msghdr *mh = &inst->tx_msgs[i].msg_hdr;
      ssize_t r = writev(fd, mh->msg_iov, (int)mh->msg_iovlen);
      if (r >= 0) {
        accepted++;
        continue;
      }
      if (errno == EINTR) {
        i--;
        continue;
      }
      if (tx_full(errno)) break;
      last_err = errno;
      if (fd_dead(errno)) {
        errors += count - i;
        break;
      }
      errors++;
    }
  }

done:
  if (result != NULL) {
    result[0] = (int32_t)errors;
    result[1] = last_err;
  }
  IX_NAPI(env, napi_create_uint32(env, accepted, &ret));
  return ret;
}

static napi_value js_segment(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value argv[11], ret;
  uint8_t *src, *dst;
  uint16_t *meta;
  uint32_t *offs, *lens;
  size_t src_len, meta_len, dst_len, offs_len, lens_len, room;
  uint32_t off, len, mi, slot, head, first, k, cap;
  const uint16_t *m;
  ix_vnet_hdr vh;
  ix_gso_info gi;
  int32_t n = 0;

  memset(argv, 0, sizeof argv);
  IX_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (ix_get_bytes(env, argv[0], "src", &src, &src_len) != 0 || ix_get_uint32(env, argv[1], "off", &off) != 0 ||
      ix_get_uint32(env, argv[2], "len", &len) != 0 || ix_get_u16array(env, argv[3], "meta", &meta, &meta_len) != 0 ||
      ix_get_uint32(env, argv[4], "metaIndex", &mi) != 0 || ix_get_bytes(env, argv[5], "dst", &dst, &dst_len) != 0 ||
      ix_get_u32array(env, argv[6], "offsets", &offs, &offs_len) != 0 ||
      ix_get_u32array(env, argv[7], "lengths", &lens, &lens_len) != 0 ||
      ix_get_uint32(env, argv[8], "slotSize", &slot) != 0 || ix_get_uint32(env, argv[9], "headroom", &head) != 0 ||
      ix_get_uint32(env, argv[10], "first", &first) != 0)
    return NULL;
  if ((uint64_t)off + len > src_len) return ix_throw_range(env, "frame outside src");
  if (((uint64_t)mi + 1) * IX_META_STRIDE > meta_len) return ix_throw_range(env, "metaIndex outside meta");
  if (slot <= head) return ix_throw_range(env, "slotSize must be > headroom");
  if (dst < src + off + len && src + off < dst + dst_len) return ix_throw_range(env, "dst overlaps the frame");
  m = meta + (size_t)mi * IX_META_STRIDE;
  /* The virtio header the metadata stands for, checked against the frame by the same parser the
   * receive path uses (a few dozen ns next to copying and summing up to 64 KiB). */
  if (ix_meta_vnet(m, len, 0, &vh) != 0 || m[0] == 0 || ix_gso_parse(src + off, len, &vh, &gi) != 0) n = -1;
  cap = slot - head;
  if (n == 0 && gi.hlen + (gi.nseg > 1 ? gi.gso_size : gi.len - gi.hlen) > cap) n = -1;
  if (n == 0) {
    room = dst_len / slot;
    if (room > offs_len) room = offs_len;
    if (room > lens_len) room = lens_len;
    for (k = first; k < gi.nseg && (size_t)(k - first) < room; k++) {
      uint32_t at = (k - first) * slot + head;
      offs[k - first] = at;
      lens[k - first] = ix_gso_segment(dst + at, src + off, &gi, k, NULL);
      n++;
    }
  }
  IX_NAPI(env, napi_create_int32(env, n, &ret));
  return ret;
}

napi_status ix_send_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"send", NULL, js_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"segment", NULL, js_segment, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  return napi_define_properties(env, exports, 2, props);
}
