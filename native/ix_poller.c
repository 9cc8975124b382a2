/*
 * ixfabric native addon: class Poller, batched receive driven by uv_poll.
 *
 *   new Poller(fd, kind, slab, opts, onBatch)
 *
 * Each readiness event drains the descriptor until EAGAIN in batches of up to maxBatch frames and
 * calls onBatch(count) once per batch (at most maxBatchesPerEvent batches per event). Frame i of a
 * batch is received at slab[i*slotSize + headroom]; offsets[j]/lengths[j] describe delivered frame
 * j (frames that were truncated or that are our own transmissions are skipped, so j <= i). On a
 * fatal descriptor error onBatch(-errno) is called once and polling stops.
 *
 * AF_PACKET sockets with PACKET_VNET_HDR (every packetOpen socket; detected with getsockopt) take
 * a different receive path, rx_vnet(): every packet arrives with a virtio_net_hdr in front and
 * may be a CHECKSUM_PARTIAL packet (checksum completed here) or a GSO/GRO super-packet of up to
 * 64 KiB (cut into MSS-sized frames here, ix_offload.c). JS never sees a virtio header.
 *
 * Design: receive straight into the JS slots, with a per-message overflow iovec. Each message of
 * a recvmmsg gets [virtio header + slot, 64 KiB overflow entry] (the header lands in the slot's
 * headroom just before the frame; with headroom < 10 it gets an iovec of its own). An ordinary
 * frame stays where it landed: checksum completed and VLAN tag re-inserted in place, no copy.
 * The first super-packet of a read is moved, with every later message of that read, into the
 * overflow entries (their slot part copied in front of the part that spilled there), which then
 * act as the staging area: segments are written into the slots from that message's slot on, and
 * whatever does not fit the batch stays staged and is delivered first by the next batch, before
 * the socket is read again (no loss, no reordering). The overflow area (maxBatch entries of
 * slot + 64 KiB) is mmap'ed MAP_NORESERVE: only entries that ever held a super-packet cost memory.
 * The alternative, receiving everything into 64 KiB staging entries and copying every frame into
 * its slot, was measured first (fill-then-drain over veth, Poller + trivial onBatch, maxBatch 64):
 * it cost +~120 ns (64 B) and +~190 ns (1514 B) per frame over the old path (~470 / ~630 ns);
 * this design costs +~120 ns (64 B) and +~150 ns (1514 B), nearly all of it inside the kernel's
 * packet_recvmsg producing the virtio header (perf: addon code 0.30% -> 0.44% of samples,
 * packet_recvmsg 2.9% -> 9.7%), which PACKET_VNET_HDR makes unavoidable. Reads ask for about as
 * many messages as fill the free slots given the recent frames-per-message ratio, so bulk TCP
 * (~45 frames per message) does not stage dozens of batches.
 *
 * With opts.offload (FdPort does this for every descriptor with a virtio header) super-packets are
 * carried instead: rx_whole() receives message i straight into slot i (slots of at least
 * IX_OFFLOAD_FRAME_MIN, the virtio header in the headroom), completes checksums of ordinary frames
 * as above, and delivers a super-packet as one frame, validated and prepared by ix_gso_whole(),
 * with its offload metadata in opts.meta (ix.h); send() then hands it to the egress kernel whole.
 * No staging, no overflow area, no segmentation: one 64 KiB copy in and one out instead of ~45
 * frames each crossing the stack twice. A TAP opened with IFF_VNET_HDR (stream kind, detected
 * with TUNGETIFF) is read by rx_tap() the same way, one read per frame; rx_tap() submits the
 * reads of a batch together through io_uring where it can (ix_uring.c).
 *
 * If the next batch does not come in the same readiness event (maxBatchesPerEvent reached, or
 * stop() inside onBatch), the watcher also waits for UV_WRITABLE while frames are staged (a
 * packet socket is writable almost always), which brings the poller back on the next loop
 * iteration even when no new packet arrives.
 *
 * Lifetime: the JS object is held strongly while started, so a running poller is never collected.
 * The uv handle is closed by close(), by the finalizer, or by an async environment cleanup hook
 * (worker termination); the C struct is freed once the handle is closed and the object finalized.
 */
#include "ix.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <net/if.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <uv.h>

#define KIND_STREAM 0
#define KIND_DGRAM 1

/* Overflow part of a message: room for the largest frame a 64 KiB GSO packet can make (IP total
 * length <= 65535, Ethernet header, in-band VLAN tags) even if nothing fitted in the slot. Larger
 * (BIG TCP) packets are counted as truncated. */
#define OVF_PART (65536 + 128)

typedef struct ix_poller {
  uv_poll_t handle;
  napi_env env;
  ix_instance *inst;
  napi_ref self_ref; /* weak; strong (refcount 1) while started */
  napi_ref cb_ref;
  napi_ref slab_ref, offsets_ref, lengths_ref, addrs_ref, meta_ref;
  napi_async_context actx;
  napi_async_cleanup_hook_handle cleanup;

  int fd;
  int kind;
  int domain; /* socket domain for dgram kind (AF_PACKET needs special handling) */

  uint8_t *slab;
  uint32_t *offsets, *lengths;
  uint8_t *addrs;
  uint16_t *meta; /* IX_META_STRIDE per delivered frame (opts.meta), or NULL */
  uint32_t slot_size, headroom, max_batch, max_batches_per_event;

  struct mmsghdr *msgs;
  struct iovec *iov;
  struct sockaddr_storage *names;
  uint8_t *ctrl;
  size_t ctrl_stride;
  uint32_t last_rx; /* mmsghdr entries the kernel touched last time (TAP: frames the last batch read) */
  uint8_t spare;    /* overflow byte for stream reads (truncation detection) */
  int32_t *rd_res;  /* TAP: result of read i of a batch (bytes or -errno) */

  /* PACKET_VNET_HDR receive (rx_vnet, rx_whole). */
  uint8_t vnet;
  uint8_t offload;  /* opts.offload on a vnet descriptor: super-packets delivered whole (rx_whole) */
  uint8_t tap_vnet; /* a TAP with IFF_VNET_HDR (rx_tap) */
  uint8_t hdr_in_slot; /* headroom >= 10: the kernel writes the virtio header just before the frame */
  ix_vnet_hdr *vhdr;  /* virtio header of message i (copied there when hdr_in_slot) */
  uint8_t *ovf;       /* overflow/staging entries, ovf_stride bytes each: [slot-sized head room | OVF_PART] */
  size_t ovf_stride, ovf_len;
  uint32_t st_count;  /* messages of the last read; st_next.. are staged in their overflow entries */
  uint32_t st_next;   /* next staged message to deliver */
  uint32_t st_seg;    /* next segment of message st_next (super-packet split over batches) */
  uint32_t rd_msgs, rd_frames; /* messages of the last read and frames made from them so far */
  uint32_t fpm_x16;   /* running estimate of frames per message, x16 (sizes the next recvmmsg) */
  int events;         /* events the uv watcher currently waits for */

  uint64_t batches, frames, truncated, errors;
  uint64_t csum_fixed, gso_segmented, gso_segments, gso_dropped, gso_carried, gso_carried_segs;

  uint8_t started;  /* uv_poll_start active (from JS point of view) */
  uint8_t refd;     /* self_ref currently strong */
  uint8_t closing;  /* uv_close called */
  uint8_t closed;   /* close callback ran */
  uint8_t finalized;
  uint8_t failed;   /* fatal error delivered */
  uint8_t in_cb;    /* inside on_poll */
  uint8_t release_pending;
} ix_poller;

#define CTRL_SPACE CMSG_SPACE(sizeof(struct tpacket_auxdata))

/* fd registry: one Poller per fd and environment. */
static int fd_claim(ix_instance *inst, int fd) {
  size_t byte = (size_t)fd >> 3;
  if (byte >= inst->poll_fds_cap) {
    size_t cap = inst->poll_fds_cap ? inst->poll_fds_cap : 64;
    uint8_t *n;
    while (cap <= byte) cap *= 2;
    n = realloc(inst->poll_fds, cap);
    if (n == NULL) return ENOMEM;
    memset(n + inst->poll_fds_cap, 0, cap - inst->poll_fds_cap);
    inst->poll_fds = n;
    inst->poll_fds_cap = cap;
  }
  if (inst->poll_fds[byte] & (1u << (fd & 7))) return EEXIST;
  inst->poll_fds[byte] |= (uint8_t)(1u << (fd & 7));
  return 0;
}

static void fd_release(ix_instance *inst, int fd) {
  size_t byte = (size_t)fd >> 3;
  if (inst != NULL && byte < inst->poll_fds_cap) inst->poll_fds[byte] &= (uint8_t) ~(1u << (fd & 7));
}

static void poller_free(ix_poller *p) {
  if (p->ovf != NULL) munmap(p->ovf, p->ovf_len);
  free(p->vhdr);
  free(p->rd_res);
  free(p->msgs);
  free(p->iov);
  free(p->names);
  free(p->ctrl);
  free(p);
}

static void on_close(uv_handle_t *h) {
  ix_poller *p = h->data;
  p->closed = 1;
  if (p->cleanup != NULL) {
    napi_remove_async_cleanup_hook(p->cleanup);
    p->cleanup = NULL;
  }
  if (p->finalized) poller_free(p);
}

static void set_ref(ix_poller *p, int strong) {
  uint32_t count;
  if (p->self_ref == NULL || p->refd == strong) return;
  if (strong) napi_reference_ref(p->env, p->self_ref, &count);
  else napi_reference_unref(p->env, p->self_ref, &count);
  p->refd = (uint8_t)strong;
}

static void del_ref(napi_env env, napi_ref *r) {
  if (*r != NULL) {
    napi_delete_reference(env, *r);
    *r = NULL;
  }
}

/* Release everything JS-side except self_ref (owned by the wrap). */
static void release_js(ix_poller *p, napi_env env) {
  del_ref(env, &p->cb_ref);
  del_ref(env, &p->slab_ref);
  del_ref(env, &p->offsets_ref);
  del_ref(env, &p->lengths_ref);
  del_ref(env, &p->addrs_ref);
  del_ref(env, &p->meta_ref);
  if (p->actx != NULL) {
    napi_async_destroy(env, p->actx);
    p->actx = NULL;
  }
}

static void begin_close(ix_poller *p) {
  if (p->closing) return;
  p->closing = 1;
  p->started = 0;
  fd_release(p->inst, p->fd);
  p->inst = NULL;
  uv_poll_stop(&p->handle);
  uv_close((uv_handle_t *)&p->handle, on_close);
}

/* Environment teardown (worker exit): close the handle, signal completion from on_close. */
static void cleanup_hook(napi_async_cleanup_hook_handle handle, void *arg) {
  ix_poller *p = arg;
  (void)handle;
  begin_close(p);
}

static void finalize(napi_env env, void *data, void *hint) {
  ix_poller *p = data;
  (void)hint;
  p->finalized = 1;
  release_js(p, env);
  del_ref(env, &p->self_ref);
  if (!p->closing) begin_close(p);
  else if (p->closed) poller_free(p);
}

/* ---------- receive ---------- */

static int is_transient(int err) {
  switch (err) {
    case EINTR:
    case ECONNREFUSED:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EHOSTDOWN:
    case ENOBUFS:
    case ENOMEM:
    case ETIMEDOUT:
    case EPROTO:
    case EMSGSIZE:
    case ECONNRESET:
    case ENOPROTOOPT:
      return 1;
    default:
      return 0;
  }
}

/* Re-insert a VLAN tag the kernel moved into skb metadata. Returns bytes added (0 or 4). */
static inline uint32_t vlan_reinsert(struct msghdr *mh, uint8_t *frame, uint32_t len) {
  struct cmsghdr *c;
  if (mh->msg_controllen == 0 || len < 12) return 0;
  for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
    struct tpacket_auxdata aux;
    uint16_t tpid;
    if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA ||
        c->cmsg_len < CMSG_LEN(sizeof aux))
      continue;
    memcpy(&aux, CMSG_DATA(c), sizeof aux);
    if (!(aux.tp_status & TP_STATUS_VLAN_VALID)) return 0;
    tpid = (aux.tp_status & TP_STATUS_VLAN_TPID_VALID) ? aux.tp_vlan_tpid : 0x8100;
    memmove(frame - 4, frame, 12);
    frame[8] = (uint8_t)(tpid >> 8);
    frame[9] = (uint8_t)tpid;
    frame[10] = (uint8_t)(aux.tp_vlan_tci >> 8);
    frame[11] = (uint8_t)aux.tp_vlan_tci;
    return 4;
  }
  return 0;
}

/*
 * One recvmmsg batch. Returns the number of delivered frames; *err is 0 or the errno that ended
 * the batch (EAGAIN when drained); *more is 1 when the batch was full (more may be queued).
 */
static uint32_t rx_dgram(ix_poller *p, int *err, int *more) {
  uint32_t i, out = 0, n = p->last_rx < p->max_batch ? p->last_rx + 1 : p->max_batch;
  int r;
  const int packet = p->domain == AF_PACKET;

  for (i = 0; i < n; i++) {
    struct msghdr *mh = &p->msgs[i].msg_hdr;
    mh->msg_namelen = sizeof(struct sockaddr_storage);
    mh->msg_controllen = p->ctrl ? p->ctrl_stride : 0;
    mh->msg_flags = 0;
  }
  do r = recvmmsg(p->fd, p->msgs, p->max_batch, MSG_DONTWAIT, NULL);
  while (r < 0 && errno == EINTR);
  *more = 0;
  if (r <= 0) {
    *err = r < 0 ? errno : EAGAIN;
    p->last_rx = 0;
    return 0;
  }
  *err = 0;
  p->last_rx = (uint32_t)r;
  *more = (uint32_t)r == p->max_batch;

  for (i = 0; i < (uint32_t)r; i++) {
    struct msghdr *mh = &p->msgs[i].msg_hdr;
    uint32_t len = p->msgs[i].msg_len;
    uint32_t base = i * p->slot_size + p->headroom;
    if (mh->msg_flags & MSG_TRUNC) {
      p->truncated++;
      continue;
    }
    if (packet) {
      const struct sockaddr_ll *ll = (const struct sockaddr_ll *)&p->names[i];
      uint32_t add;
      if (ll->sll_pkttype == PACKET_OUTGOING) continue;
      add = vlan_reinsert(mh, p->slab + base, len);
      base -= add;
      len += add;
    }
    p->offsets[out] = base;
    p->lengths[out] = len;
    if (p->meta != NULL) p->meta[(size_t)out * IX_META_STRIDE] = 0;
    if (p->addrs != NULL) ix_addr_encode(p->addrs + (size_t)out * IX_ADDR_SIZE, (struct sockaddr *)&p->names[i], mh->msg_namelen);
    out++;
  }
  return out;
}

/* The VLAN tag the kernel moved into metadata, as the 4 bytes to re-insert. Returns 1 if any. */
static inline int vlan_tag(struct msghdr *mh, uint8_t tag[4]) {
  struct cmsghdr *c;
  if (mh->msg_controllen == 0) return 0;
  for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
    struct tpacket_auxdata aux;
    uint16_t tpid;
    if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA ||
        c->cmsg_len < CMSG_LEN(sizeof aux))
      continue;
    memcpy(&aux, CMSG_DATA(c), sizeof aux);
    if (!(aux.tp_status & TP_STATUS_VLAN_VALID)) return 0;
    tpid = (aux.tp_status & TP_STATUS_VLAN_TPID_VALID) ? aux.tp_vlan_tpid : 0x8100;
    tag[0] = (uint8_t)(tpid >> 8);
    tag[1] = (uint8_t)tpid;
    tag[2] = (uint8_t)(aux.tp_vlan_tci >> 8);
    tag[3] = (uint8_t)aux.tp_vlan_tci;
    return 1;
  }
  return 0;
}

static inline void emit(ix_poller *p, uint32_t *out, uint32_t base, uint32_t len, uint32_t msg) {
  p->offsets[*out] = base;
  p->lengths[*out] = len;
  if (p->meta != NULL) p->meta[(size_t)*out * IX_META_STRIDE] = 0;
  if (p->addrs != NULL)
    ix_addr_encode(p->addrs + (size_t)*out * IX_ADDR_SIZE, (struct sockaddr *)&p->names[msg],
                   p->msgs[msg].msg_hdr.msg_namelen);
  (*out)++;
}

/* Frame bytes of message m that landed in its slot (the rest, if any, is in its overflow). */
static inline uint32_t head_len(const ix_poller *p, uint32_t m) {
  uint32_t len = p->msgs[m].msg_len, cap = p->slot_size - p->headroom;
  if (len <= IX_VNET_HDR_LEN) return 0;
  len -= IX_VNET_HDR_LEN;
  return len < cap ? len : cap;
}

/* Staged message m is contiguous in its overflow entry: head copied in front of the overflow part. */
static inline uint8_t *staged_frame(const ix_poller *p, uint32_t m) {
  return p->ovf + (size_t)m * p->ovf_stride + (p->slot_size - p->headroom) - head_len(p, m);
}

/*
 * Deliver staged message m (from segment p->st_seg on): frames go to slots *slot.. and delivered
 * entries *out.. . Returns 1 when the message is done (delivered or dropped), 0 when the batch
 * is full first (p->st_seg is then the next segment to deliver; 0 if nothing was delivered).
 */
static int deliver_staged(ix_poller *p, uint32_t m, uint32_t *out, uint32_t *slot) {
  struct msghdr *mh = &p->msgs[m].msg_hdr;
  const struct sockaddr_ll *ll = (const struct sockaddr_ll *)&p->names[m];
  const ix_vnet_hdr *vh = &p->vhdr[m];
  const uint32_t cap = p->slot_size - p->headroom;
  uint32_t len = p->msgs[m].msg_len, k;
  uint8_t *frame = staged_frame(p, m), tagb[4];
  const uint8_t *tag;
  ix_gso_info gi;

  if (*slot >= p->max_batch) return 0;
  if ((mh->msg_flags & MSG_TRUNC) || ll->sll_pkttype == PACKET_OUTGOING || len < IX_VNET_HDR_LEN) {
    if (mh->msg_flags & MSG_TRUNC) p->truncated++;
    return 1;
  }
  len -= IX_VNET_HDR_LEN;
  tag = vlan_tag(mh, tagb) ? tagb : NULL;

  if (vh->gso_type == IX_GSO_NONE) {
    uint32_t base = *slot * p->slot_size + p->headroom - (tag ? 4 : 0);
    /* csum_start/offset are relative to the frame as the kernel gave it (tag not re-inserted). */
    if ((vh->flags & IX_VNET_F_NEEDS_CSUM) && ix_csum_complete(frame, len, vh->csum_start, vh->csum_offset) == 0)
      p->csum_fixed++;
    if (len > cap) {
      p->truncated++;
      return 1;
    }
    emit(p, out, base, ix_copy_frame(p->slab + base, frame, len, tag), m);
    (*slot)++;
    p->rd_frames++;
    return 1;
  }

  if (ix_gso_parse(frame, len, vh, &gi) != 0 ||
      gi.hlen + (gi.nseg > 1 ? gi.gso_size : gi.len - gi.hlen) > cap) { /* largest segment must fit */
    p->gso_dropped++;
    return 1;
  }
  k = p->st_seg;
  if (k == 0) p->gso_segmented++;
  for (; k < gi.nseg; k++) {
    uint32_t base;
    if (*slot >= p->max_batch) {
      p->st_seg = k;
      return 0;
    }
    base = *slot * p->slot_size + p->headroom - (tag ? 4 : 0);
    emit(p, out, base, ix_gso_segment(p->slab + base, frame, &gi, k, tag), m);
    (*slot)++;
    p->gso_segments++;
    p->rd_frames++;
  }
  return 1;
}

/* Update the frames-per-message estimate once every message of a read is delivered. */
static void read_done(ix_poller *p) {
  uint32_t fpm = p->rd_msgs ? (p->rd_frames * 16) / p->rd_msgs : 16;
  if (fpm < 16) fpm = 16;
  p->fpm_x16 = (p->fpm_x16 * 3 + fpm) / 4;
  if (p->fpm_x16 < 16) p->fpm_x16 = 16;
  p->rd_msgs = 0;
}

/*
 * One batch from a PACKET_VNET_HDR socket: first whatever is still staged, then (if there are
 * free slots) one recvmmsg straight into the free slots, each message with its virtio header in
 * vhdr[] and a 64 KiB overflow iovec. Ordinary frames stay where they landed; the first
 * super-packet moves itself and every later message of that read to the overflow entries
 * (staging) and is then segmented into the slots from there. *more is 1 when another batch may
 * find something (frames still staged, or the read filled what it asked for).
 */
static uint32_t rx_vnet(ix_poller *p, int *err, int *more) {
  const uint32_t cap = p->slot_size - p->headroom;
  uint32_t out = 0, slot = 0, i, j, k, want, free_slots;
  int r;

  *err = 0;
  *more = 0;

  /* 1. Leftovers of the previous read, in order. */
  while (p->st_next < p->st_count) {
    if (!deliver_staged(p, p->st_next, &out, &slot)) {
      *more = 1;
      return out;
    }
    p->st_next++;
    p->st_seg = 0;
    if (p->st_next == p->st_count) read_done(p);
  }
  if (slot >= p->max_batch) {
    *more = 1;
    return out;
  }

  /* 2. One read into slots k.. . Ask for about as many messages as fill the free slots: with
   * 64 KiB super-packets one message makes ~45 frames, so reading maxBatch of them would stage
   * ~45 batches. */
  k = slot;
  free_slots = p->max_batch - k;
  want = (free_slots * 16 + p->fpm_x16 - 1) / p->fpm_x16;
  if (want < 1) want = 1;
  if (want > free_slots) want = free_slots;
  for (j = 0; j < want; j++) {
    struct msghdr *mh = &p->msgs[j].msg_hdr;
    uint8_t *at = p->slab + (size_t)(k + j) * p->slot_size + p->headroom;
    if (p->hdr_in_slot) p->iov[3 * j].iov_base = at - IX_VNET_HDR_LEN;
    else p->iov[3 * j + 1].iov_base = at;
    mh->msg_namelen = sizeof(struct sockaddr_storage);
    mh->msg_controllen = p->ctrl_stride;
    mh->msg_flags = 0;
  }
  do r = recvmmsg(p->fd, p->msgs, want, MSG_DONTWAIT, NULL);
  while (r < 0 && errno == EINTR);
  if (r <= 0) {
    /* EINVAL: packet_recvmsg dequeued (and freed) a GSO packet it cannot describe in a virtio
     * header (a GSO type virtio has no code for). Counted here; on_poll treats it as transient. */
    if (r < 0 && errno == EINVAL) p->gso_dropped++;
    *err = r < 0 ? errno : EAGAIN;
    return out;
  }
  *more = (uint32_t)r == want;
  p->rd_msgs = (uint32_t)r;
  p->rd_frames = 0;
  if (p->hdr_in_slot) /* before a tag re-insertion overwrites it */
    for (j = 0; j < (uint32_t)r; j++)
      memcpy(&p->vhdr[j], p->slab + (size_t)(k + j) * p->slot_size + p->headroom - IX_VNET_HDR_LEN, IX_VNET_HDR_LEN);

  for (j = 0; j < (uint32_t)r; j++) {
    struct msghdr *mh = &p->msgs[j].msg_hdr;
    const struct sockaddr_ll *ll = (const struct sockaddr_ll *)&p->names[j];
    const ix_vnet_hdr *vh = &p->vhdr[j];
    uint32_t len = p->msgs[j].msg_len, base = (k + j) * p->slot_size + p->headroom;
    uint8_t *frame = p->slab + base, tagb[4];

    if (mh->msg_flags & MSG_TRUNC) {
      p->truncated++;
      continue;
    }
    if (ll->sll_pkttype == PACKET_OUTGOING || len < IX_VNET_HDR_LEN) continue;
    len -= IX_VNET_HDR_LEN;
    if (vh->gso_type != IX_GSO_NONE) {
      /* Evacuate this and every later message to its overflow entry (head in front of the part
       * that spilled there), then segment/copy them into the slots from k + j on. */
      for (i = j; i < (uint32_t)r; i++) {
        uint32_t h = head_len(p, i);
        memcpy(staged_frame(p, i), p->slab + (size_t)(k + i) * p->slot_size + p->headroom, h);
      }
      p->st_count = (uint32_t)r;
      p->st_next = j;
      p->st_seg = 0;
      slot = k + j;
      while (p->st_next < p->st_count) {
        if (!deliver_staged(p, p->st_next, &out, &slot)) {
          *more = 1;
          return out;
        }
        p->st_next++;
        p->st_seg = 0;
      }
      read_done(p);
      return out;
    }
    if (len > cap) { /* spilled into the overflow: larger than a slot */
      p->truncated++;
      continue;
    }
    /* An ordinary frame: complete the checksum and re-insert the tag in place. */
    if ((vh->flags & IX_VNET_F_NEEDS_CSUM) && ix_csum_complete(frame, len, vh->csum_start, vh->csum_offset) == 0)
      p->csum_fixed++;
    if (vlan_tag(mh, tagb)) {
      memmove(frame - 4, frame, 12);
      memcpy(frame + 8, tagb, 4);
      base -= 4;
      len += 4;
    }
    emit(p, &out, base, len, j);
    p->rd_frames++;
  }
  read_done(p);
  return out;
}

/* Metadata of delivered frame `out`: gi != NULL for a super-packet carried whole (offsets shifted
 * by `add`, the re-inserted tag), else an ordinary frame. */
static inline void set_meta(ix_poller *p, uint32_t out, const ix_vnet_hdr *vh, const ix_gso_info *gi, uint32_t add) {
  uint16_t *m = p->meta + (size_t)out * IX_META_STRIDE;
  if (gi == NULL) {
    m[0] = 0;
    return;
  }
  m[0] = vh->gso_type;
  m[1] = (uint16_t)gi->gso_size;
  m[2] = (uint16_t)(gi->l4 + add);
  m[3] = (uint16_t)(gi->hlen + add);
}

/*
 * A frame read with its virtio header, for a Poller that carries super-packets: an ordinary frame
 * gets its checksum completed (returns 0), a super-packet is validated and prepared to go out
 * whole, *len becoming its IP-announced length (returns 1), or counted as dropped (returns -1).
 */
static int take_vnet_frame(ix_poller *p, uint8_t *frame, uint32_t *len, const ix_vnet_hdr *vh, ix_gso_info *gi) {
  if (vh->gso_type == IX_GSO_NONE) {
    if ((vh->flags & IX_VNET_F_NEEDS_CSUM) && ix_csum_complete(frame, *len, vh->csum_start, vh->csum_offset) == 0)
      p->csum_fixed++;
    return 0;
  }
  if (ix_gso_whole(frame, *len, vh, gi) != 0) {
    p->gso_dropped++;
    return -1;
  }
  *len = gi->len;
  p->gso_carried++;
  p->gso_carried_segs += gi->nseg;
  return 1;
}

/*
 * One batch from a PACKET_VNET_HDR socket with offload (slots of at least IX_OFFLOAD_FRAME_MIN):
 * message i lands in slot i, virtio header in front; nothing is staged or segmented. Ordinary
 * frames get their checksum completed as in rx_vnet; a super-packet stays whole, with its
 * metadata in p->meta (ix_gso_whole).
 */
static uint32_t rx_whole(ix_poller *p, int *err, int *more) {
  uint32_t i, out = 0, n = p->last_rx < p->max_batch ? p->last_rx + 1 : p->max_batch;
  int r;

  for (i = 0; i < n; i++) {
    struct msghdr *mh = &p->msgs[i].msg_hdr;
    mh->msg_namelen = sizeof(struct sockaddr_storage);
    mh->msg_controllen = p->ctrl_stride;
    mh->msg_flags = 0;
  }
  do r = recvmmsg(p->fd, p->msgs, p->max_batch, MSG_DONTWAIT, NULL);
  while (r < 0 && errno == EINTR);
  *more = 0;
  if (r <= 0) {
    if (r < 0 && errno == EINVAL) p->gso_dropped++; /* see rx_vnet */
    *err = r < 0 ? errno : EAGAIN;
    p->last_rx = 0;
    return 0;
  }
  *err = 0;
  p->last_rx = (uint32_t)r;
  *more = (uint32_t)r == p->max_batch;

  for (i = 0; i < (uint32_t)r; i++) {
    struct msghdr *mh = &p->msgs[i].msg_hdr;
    const struct sockaddr_ll *ll = (const struct sockaddr_ll *)&p->names[i];
    uint32_t len = p->msgs[i].msg_len, base = i * p->slot_size + p->headroom, add = 0;
    uint8_t *frame = p->slab + base, tagb[4];
    ix_vnet_hdr vh;
    ix_gso_info gi;
    int gso;

    if (mh->msg_flags & MSG_TRUNC) {
      p->truncated++;
      continue;
    }
    if (ll->sll_pkttype == PACKET_OUTGOING || len < IX_VNET_HDR_LEN) continue;
    len -= IX_VNET_HDR_LEN;
    /* before a tag re-insertion overwrites it */
    memcpy(&vh, p->hdr_in_slot ? frame - IX_VNET_HDR_LEN : (const uint8_t *)&p->vhdr[i], IX_VNET_HDR_LEN);
    if ((gso = take_vnet_frame(p, frame, &len, &vh, &gi)) < 0) continue;
    if (vlan_tag(mh, tagb)) {
      memmove(frame - 4, frame, 12);
      memcpy(frame + 8, tagb, 4);
      add = 4;
    }
    emit(p, &out, base - add, len + add, i); /* meta[0] = 0 */
    if (gso) set_meta(p, out - 1, &vh, &gi, add);
  }
  return out;
}

static inline int staged(const ix_poller *p) { return p->st_next < p->st_count; }

/* Events the watcher should wait for: also UV_WRITABLE while frames are staged (see top). */
static inline int want_events(const ix_poller *p) { return staged(p) ? UV_READABLE | UV_WRITABLE : UV_READABLE; }

/* TAP reads without io_uring: one readv per slot until the queue is empty (or an error). */
static uint32_t read_each(ix_poller *p, uint32_t k) {
  uint32_t i;
  for (i = 0; i < k; i++) {
    const struct msghdr *mh = &p->msgs[i].msg_hdr;
    ssize_t n;
    do n = readv(p->fd, mh->msg_iov, (int)mh->msg_iovlen);
    while (n < 0 && errno == EINTR);
    p->rd_res[i] = n < 0 ? -errno : (int32_t)n;
    if (n == 0 || (n < 0 && !(errno == EINVAL && p->tap_vnet))) return i + 1;
  }
  return k;
}

/*
 * One batch of reads from a TAP (one frame per read): read i lands in slot i (iovecs set up by
 * the constructor: [virtio header + slot] or [header, slot] for a TAP with IFF_VNET_HDR, then one
 * spare byte, which a truncated frame reaches). With io_uring (ix_uring.c) the reads of a batch
 * are submitted together, about twice as many as the last batch found; without it they are done
 * one by one until the queue is empty. A frame that arrives while a batch is read may leave an
 * empty read before it; frames keep their order either way.
 *
 * With a virtio header, checksums of ordinary frames are completed; super-packets are carried
 * whole with offload (the TAP hands them over only when tapOpen enabled TSO) and dropped without.
 * The TAP delivers a VLAN tag in-band and csum_start counts it. A read of a packet whose GSO type
 * the header cannot describe fails with EINVAL after the kernel dropped it: counted, not fatal.
 */
static uint32_t rx_tap(ix_poller *p, int *err, int *more) {
  const uint32_t cap = p->slot_size - p->headroom;
  ix_uring *u = p->inst != NULL ? ix_uring_get(p->inst) : NULL;
  uint32_t i, out = 0, got = 0, k = p->max_batch, done;
  int empty = 0;
  *err = 0;
  *more = 0;
  if (u != NULL && p->last_rx * 2 + 8 < k) k = p->last_rx * 2 + 8;
  done = u != NULL && ix_uring_rw(u, p->fd, 0, p->msgs, k, p->rd_res) == 0 ? k : read_each(p, k);
  for (i = 0; i < done; i++) {
    const int32_t n = p->rd_res[i];
    const uint32_t base = i * p->slot_size + p->headroom;
    uint8_t *frame = p->slab + base;
    uint32_t len;
    ix_vnet_hdr vh;
    ix_gso_info gi;
    if (n <= 0) {
      if (n == 0 || n == -EAGAIN || n == -EWOULDBLOCK || n == -EINTR) empty = 1;
      else if (n == -EINVAL && p->tap_vnet) p->gso_dropped++;
      else {
        *err = -n;
        break;
      }
      continue;
    }
    got++;
    if (!p->tap_vnet) {
      if ((uint32_t)n > cap) {
        p->truncated++;
        continue;
      }
      p->offsets[out] = base;
      p->lengths[out] = (uint32_t)n;
      if (p->meta != NULL) p->meta[(size_t)out * IX_META_STRIDE] = 0;
      out++;
      continue;
    }
    if ((uint32_t)n < IX_VNET_HDR_LEN) continue;
    len = (uint32_t)n - IX_VNET_HDR_LEN;
    memcpy(&vh, p->hdr_in_slot ? frame - IX_VNET_HDR_LEN : (const uint8_t *)&p->vhdr[i], IX_VNET_HDR_LEN);
    if (vh.gso_type != IX_GSO_NONE && !p->offload) {
      p->gso_dropped++;
      continue;
    }
    if (len > cap) {
      p->truncated++;
      continue;
    }
    switch (take_vnet_frame(p, frame, &len, &vh, &gi)) {
    case 0:
      if (p->meta != NULL) set_meta(p, out, &vh, NULL, 0);
      break;
    case 1:
      set_meta(p, out, &vh, &gi, 0);
      break;
    default:
      continue;
    }
    p->offsets[out] = base;
    p->lengths[out] = len;
    out++;
  }
  p->last_rx = got;
  if (*err == 0 && (empty || done < k)) *err = EAGAIN;
  *more = *err == 0;
  return out;
}

static int stream_fatal(int err) { return !(err == EAGAIN || err == EWOULDBLOCK || err == EINTR); }

/* Calls onBatch(arg) inside an open callback scope. Returns 0 to continue, -1 to stop draining. */
static int call_js(ix_poller *p, napi_value cb, napi_value recv, int32_t arg) {
  napi_env env = p->env;
  napi_value argv[1], result;
  napi_status st;
  bool pending = false;
  if (napi_create_int32(env, arg, &argv[0]) != napi_ok) return -1;
  st = napi_call_function(env, recv, cb, 1, argv, &result);
  if (st == napi_ok) return 0;
  napi_is_exception_pending(env, &pending);
  if (pending) {
    napi_value exc;
    if (napi_get_and_clear_last_exception(env, &exc) == napi_ok) napi_fatal_exception(env, exc);
  }
  return -1; /* exception, or the environment cannot run JS any more (worker terminating) */
}

static void on_poll(uv_poll_t *h, int status, int events) {
  ix_poller *p = h->data;
  napi_env env = p->env;
  napi_handle_scope hscope = NULL;
  napi_callback_scope cscope = NULL;
  napi_value cb = NULL, recv = NULL;
  uint32_t b;
  int fatal = 0, saw_error = 0;
  (void)events;

  if (p->closing || !p->started || p->cb_ref == NULL) return;
  if (napi_open_handle_scope(env, &hscope) != napi_ok) return;
  p->in_cb = 1;
  if (napi_get_reference_value(env, p->cb_ref, &cb) != napi_ok || cb == NULL) goto out;
  if (p->self_ref == NULL || napi_get_reference_value(env, p->self_ref, &recv) != napi_ok || recv == NULL)
    napi_get_undefined(env, &recv);
  {
    napi_value resource = recv;
    napi_valuetype t;
    if (napi_typeof(env, resource, &t) != napi_ok || t != napi_object) napi_create_object(env, &resource);
    if (napi_open_callback_scope(env, resource, p->actx, &cscope) != napi_ok) cscope = NULL;
  }

  for (b = 0; b < p->max_batches_per_event; b++) {
    int err = 0, more = 0;
    uint32_t n = p->kind == KIND_STREAM ? rx_tap(p, &err, &more)
                 : p->offload             ? rx_whole(p, &err, &more)
                 : p->vnet                ? rx_vnet(p, &err, &more)
                                          : rx_dgram(p, &err, &more);
    if (n > 0) {
      p->batches++;
      p->frames += n;
      if (call_js(p, cb, recv, (int32_t)n) != 0) goto out;
      if (p->closing || !p->started) goto out;
    }
    if (err != 0 && err != EAGAIN && err != EWOULDBLOCK) {
      p->errors++;
      saw_error = 1;
      if (p->kind == KIND_STREAM ? stream_fatal(err) : !(is_transient(err) || (p->vnet && err == EINVAL))) {
        fatal = err;
        break;
      }
      continue; /* transient socket error (e.g. ICMP-triggered): keep draining */
    }
    if (!more) break;
  }

  if (!fatal && status < 0) {
    /* libuv reports POLLERR as UV_EBADF and stops the watcher. Find the real error if any. */
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (p->kind == KIND_DGRAM && getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr != 0) {
      p->errors++;
      saw_error = 1;
      if (!is_transient(soerr)) fatal = soerr;
    }
    if (!fatal && !saw_error) fatal = -status;
  }

  if (fatal) {
    p->failed = 1;
    p->started = 0;
    uv_poll_stop(&p->handle);
    call_js(p, cb, recv, -fatal);
  }

out:
  /* POLLERR made libuv stop the watcher; re-arm unless we stopped for good. Also switch between
   * readable and readable|writable as frames get staged / drained. */
  if (p->started && !p->closing) {
    int ev = want_events(p);
    if (status < 0 || ev != p->events) {
      uv_poll_start(&p->handle, ev, on_poll);
      p->events = ev;
    }
  }
  if (cscope != NULL) napi_close_callback_scope(env, cscope);
  p->in_cb = 0;
  if (!p->started && !p->finalized) set_ref(p, 0);
  if (p->release_pending) {
    p->release_pending = 0;
    release_js(p, env);
  }
  napi_close_handle_scope(env, hscope);
}

/* ---------- JS methods ---------- */

static ix_poller *unwrap(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  void *data = NULL;
  size_t dummy = 0;
  if (napi_get_cb_info(env, info, argc ? argc : &dummy, argv, &self, NULL) != napi_ok) return NULL;
  if (napi_unwrap(env, self, &data) != napi_ok || data == NULL) {
    ix_throw_type(env, "not a Poller");
    return NULL;
  }
  return data;
}

static napi_value js_start(napi_env env, napi_callback_info info) {
  ix_poller *p = unwrap(env, info, NULL, NULL);
  int rc;
  if (p == NULL) return NULL;
  if (p->closing) {
    napi_throw_error(env, "ERR_POLLER_CLOSED", "Poller is closed");
    return NULL;
  }
  if (p->started) return NULL;
  rc = uv_poll_start(&p->handle, want_events(p), on_poll);
  if (rc < 0) return ix_throw_errno(env, -rc, "uv_poll_start", NULL);
  p->events = want_events(p);
  p->started = 1;
  p->failed = 0;
  set_ref(p, 1);
  return NULL;
}

static napi_value js_stop(napi_env env, napi_callback_info info) {
  ix_poller *p = unwrap(env, info, NULL, NULL);
  if (p == NULL) return NULL;
  if (p->closing || !p->started) return NULL;
  uv_poll_stop(&p->handle);
  p->started = 0;
  set_ref(p, 0);
  return NULL;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  ix_poller *p = unwrap(env, info, NULL, NULL);
  if (p == NULL) return NULL;
  if (p->closing) return NULL;
  begin_close(p);
  set_ref(p, 0);
  if (p->in_cb) p->release_pending = 1; /* on_poll still uses the callback and async context */
  else release_js(p, env);
  return NULL;
}

static napi_value js_stats(napi_env env, napi_callback_info info) {
  ix_poller *p = unwrap(env, info, NULL, NULL);
  napi_value obj, v;
  if (p == NULL) return NULL;
  IX_NAPI(env, napi_create_object(env, &obj));
  napi_create_double(env, (double)p->batches, &v);
  napi_set_named_property(env, obj, "batches", v);
  napi_create_double(env, (double)p->frames, &v);
  napi_set_named_property(env, obj, "frames", v);
  napi_create_double(env, (double)p->truncated, &v);
  napi_set_named_property(env, obj, "truncated", v);
  napi_create_double(env, (double)p->errors, &v);
  napi_set_named_property(env, obj, "errors", v);
  napi_create_double(env, (double)p->csum_fixed, &v);
  napi_set_named_property(env, obj, "csumFixed", v);
  napi_create_double(env, (double)p->gso_segmented, &v);
  napi_set_named_property(env, obj, "gsoSegmented", v);
  napi_create_double(env, (double)p->gso_segments, &v);
  napi_set_named_property(env, obj, "gsoSegments", v);
  napi_create_double(env, (double)p->gso_dropped, &v);
  napi_set_named_property(env, obj, "gsoDropped", v);
  napi_create_double(env, (double)p->gso_carried, &v);
  napi_set_named_property(env, obj, "gsoCarried", v);
  napi_create_double(env, (double)p->gso_carried_segs, &v);
  napi_set_named_property(env, obj, "gsoCarriedSegments", v);
  return obj;
}

static napi_value js_get_fd(napi_env env, napi_callback_info info) {
  ix_poller *p = unwrap(env, info, NULL, NULL);
  napi_value v;
  if (p == NULL) return NULL;
  napi_create_int32(env, p->fd, &v);
  return v;
}

static napi_value js_get_offload(napi_env env, napi_callback_info info) {
  ix_poller *p = unwrap(env, info, NULL, NULL);
  napi_value v;
  if (p == NULL) return NULL;
  napi_get_boolean(env, p->offload, &v);
  return v;
}

static napi_value js_get_active(napi_env env, napi_callback_info info) {
  ix_poller *p = unwrap(env, info, NULL, NULL);
  napi_value v;
  if (p == NULL) return NULL;
  napi_get_boolean(env, p->started && !p->closing, &v);
  return v;
}

/* ---------- constructor ---------- */

static int opt_required_u32(napi_env env, napi_value opts, const char *key, uint32_t *out) {
  int r = ix_opt_uint32(env, opts, key, out);
  if (r < 0) return -1;
  if (r == 0) {
    char msg[96];
    snprintf(msg, sizeof msg, "opts.%s is required", key);
    ix_throw_type(env, msg);
    return -1;
  }
  return 0;
}

static napi_value ctor_fail(napi_env env, ix_poller *p, napi_value ret) {
  release_js(p, env);
  poller_free(p);
  return ret;
}

static napi_value js_ctor(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5] = {NULL, NULL, NULL, NULL, NULL}, self, v, target;
  ix_poller *p;
  char kind[8];
  int32_t fd;
  size_t slab_len, off_len, len_len, addrs_len = 0, meta_len = 0;
  uint32_t *offsets, *lengths;
  uint8_t *slab, *addrs = NULL;
  uint16_t *meta = NULL;
  uint32_t slot, head, maxb, mbpe = 8;
  int offload = 0;
  uv_loop_t *loop;
  napi_valuetype t;
  int rc, r;

  IX_NAPI(env, napi_get_new_target(env, info, &target));
  if (target == NULL) return ix_throw_type(env, "Poller must be called with new");
  IX_NAPI(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  if (ix_get_int32(env, argv[0], "fd", &fd) != 0) return NULL;
  if (fd < 0) return ix_throw_range(env, "fd must be >= 0");
  if (ix_get_string(env, argv[1], "kind", kind, sizeof kind) != 0) return NULL;
  if (strcmp(kind, "stream") != 0 && strcmp(kind, "dgram") != 0)
    return ix_throw_type(env, "kind must be 'stream' or 'dgram'");
  if (ix_get_bytes(env, argv[2], "slab", &slab, &slab_len) != 0) return NULL;
  if (napi_typeof(env, argv[3], &t) != napi_ok || t != napi_object) return ix_throw_type(env, "opts must be an object");
  if (opt_required_u32(env, argv[3], "slotSize", &slot) != 0) return NULL;
  if (opt_required_u32(env, argv[3], "headroom", &head) != 0) return NULL;
  if (opt_required_u32(env, argv[3], "maxBatch", &maxb) != 0) return NULL;
  if ((r = ix_opt_uint32(env, argv[3], "maxBatchesPerEvent", &mbpe)) < 0) return NULL;
  if (napi_get_named_property(env, argv[3], "offsets", &v) != napi_ok ||
      ix_get_u32array(env, v, "opts.offsets", &offsets, &off_len) != 0)
    return NULL;
  if (napi_get_named_property(env, argv[3], "lengths", &v) != napi_ok ||
      ix_get_u32array(env, v, "opts.lengths", &lengths, &len_len) != 0)
    return NULL;
  if ((r = ix_opt_value(env, argv[3], "addrs", &v)) < 0) return NULL;
  if (r == 1 && ix_get_bytes(env, v, "opts.addrs", &addrs, &addrs_len) != 0) return NULL;
  if (ix_opt_bool(env, argv[3], "offload", &offload) < 0) return NULL;
  if ((r = ix_opt_value(env, argv[3], "meta", &v)) < 0) return NULL;
  if (r == 1 && ix_get_u16array(env, v, "opts.meta", &meta, &meta_len) != 0) return NULL;
  if (offload && meta == NULL) return ix_throw_type(env, "opts.meta is required with opts.offload");
  if (napi_typeof(env, argv[4], &t) != napi_ok || t != napi_function) return ix_throw_type(env, "onBatch must be a function");

  if (maxb < 1 || maxb > IX_MAX_BATCH) return ix_throw_range(env, "opts.maxBatch must be 1..1024");
  if (mbpe < 1) return ix_throw_range(env, "opts.maxBatchesPerEvent must be >= 1");
  if (slot <= head || slot > (1u << 20)) return ix_throw_range(env, "opts.slotSize must be > headroom and <= 1 MiB");
  if ((uint64_t)slot * maxb > slab_len) return ix_throw_range(env, "slab is smaller than maxBatch * slotSize");
  if (off_len < maxb || len_len < maxb) return ix_throw_range(env, "opts.offsets/lengths must hold maxBatch entries");
  if (addrs != NULL && addrs_len < (size_t)maxb * IX_ADDR_SIZE)
    return ix_throw_range(env, "opts.addrs must hold maxBatch * 32 bytes");
  if (meta != NULL && meta_len < (size_t)maxb * IX_META_STRIDE)
    return ix_throw_range(env, "opts.meta must hold maxBatch * 4 entries");

  p = calloc(1, sizeof *p);
  if (p == NULL) return ix_throw_errno(env, ENOMEM, "Poller", NULL);
  p->env = env;
  p->fd = fd;
  p->kind = kind[0] == 'd' ? KIND_DGRAM : KIND_STREAM;
  p->slab = slab;
  p->offsets = offsets;
  p->lengths = lengths;
  p->addrs = addrs;
  p->meta = meta;
  p->slot_size = slot;
  p->headroom = head;
  p->max_batch = maxb;
  p->max_batches_per_event = mbpe;

  if (p->kind == KIND_STREAM) {
    /* A TAP with IFF_VNET_HDR: every read and write carries a virtio header (rx_tap_vnet). */
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    if (ioctl(fd, TUNGETIFF, &ifr) == 0 && (ifr.ifr_flags & IFF_VNET_HDR)) {
      int sz = 0;
      if (ioctl(fd, TUNGETVNETHDRSZ, &sz) < 0 || sz != IX_VNET_HDR_LEN) {
        poller_free(p);
        return ix_throw_range(env, "TAP virtio header size must be 10 (tapOpen sets it)");
      }
      p->tap_vnet = 1;
      p->hdr_in_slot = head >= IX_VNET_HDR_LEN;
      if (offload) {
        if (slot - head < IX_OFFLOAD_FRAME_MIN) {
          poller_free(p);
          return ix_throw_range(env, "opts.slotSize - opts.headroom must be >= 65557 with opts.offload on a vnet descriptor");
        }
        p->offload = 1;
      }
    }
    /* Read i of a batch goes to slot i: [virtio header + slot] when the headroom can take the
     * header (one iovec segment less per read), else [header, slot]; then the spare byte. */
    p->msgs = calloc(maxb, sizeof *p->msgs);
    p->iov = calloc((size_t)maxb * 3, sizeof *p->iov);
    p->rd_res = calloc(maxb, sizeof *p->rd_res);
    if (p->tap_vnet && !p->hdr_in_slot) p->vhdr = calloc(maxb, sizeof *p->vhdr);
    if (!p->msgs || !p->iov || !p->rd_res || (p->tap_vnet && !p->hdr_in_slot && !p->vhdr)) {
      poller_free(p);
      return ix_throw_errno(env, ENOMEM, "Poller", NULL);
    }
    for (uint32_t i = 0; i < maxb; i++) {
      struct iovec *v = &p->iov[3 * i];
      uint8_t *frame = slab + (size_t)i * slot + head;
      int n = 0;
      if (p->tap_vnet && p->hdr_in_slot) {
        v[n].iov_base = frame - IX_VNET_HDR_LEN;
        v[n++].iov_len = IX_VNET_HDR_LEN + (slot - head);
      } else {
        if (p->tap_vnet) {
          v[n].iov_base = &p->vhdr[i];
          v[n++].iov_len = IX_VNET_HDR_LEN;
        }
        v[n].iov_base = frame;
        v[n++].iov_len = slot - head;
      }
      v[n].iov_base = &p->spare;
      v[n++].iov_len = 1;
      p->msgs[i].msg_hdr.msg_iov = v;
      p->msgs[i].msg_hdr.msg_iovlen = (size_t)n;
    }
  }

  if (p->kind == KIND_DGRAM) {
    int domain = 0;
    socklen_t dl = sizeof domain;
    uint32_t i;
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &dl) < 0) {
      int e = errno;
      poller_free(p);
      return ix_throw_errno(env, e, "getsockopt(SO_DOMAIN)", "Poller");
    }
    p->domain = domain;
    if (domain == AF_PACKET && head < 4) {
      poller_free(p);
      return ix_throw_range(env, "opts.headroom must be >= 4 for AF_PACKET sockets (VLAN tag re-insertion)");
    }
    if (domain == AF_PACKET) {
      int vnet = 0;
      socklen_t vl = sizeof vnet;
      if (getsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &vnet, &vl) == 0 && vnet && offload) {
        if (slot - head < IX_OFFLOAD_FRAME_MIN) {
          poller_free(p);
          return ix_throw_range(env, "opts.slotSize - opts.headroom must be >= 65557 with opts.offload on a vnet descriptor");
        }
        p->vhdr = calloc(maxb, sizeof *p->vhdr);
        p->vnet = 1;
        p->offload = 1;
        p->hdr_in_slot = head >= IX_VNET_HDR_LEN;
      } else if (vnet) {
        void *m;
        /* Only pages the kernel writes (overflowing packets) or staging touches become resident. */
        p->ovf_stride = ((size_t)(slot - head) + OVF_PART + 63) & ~(size_t)63;
        p->ovf_len = (size_t)maxb * p->ovf_stride;
        m = mmap(NULL, p->ovf_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (m == MAP_FAILED) {
          poller_free(p);
          return ix_throw_errno(env, ENOMEM, "Poller", "overflow area");
        }
        p->ovf = m;
        p->vhdr = calloc(maxb, sizeof *p->vhdr);
        p->vnet = 1;
        p->hdr_in_slot = head >= IX_VNET_HDR_LEN;
        p->fpm_x16 = 16;
      }
    }
    p->msgs = calloc(maxb, sizeof *p->msgs);
    p->iov = calloc((size_t)maxb * 3, sizeof *p->iov);
    p->names = calloc(maxb, sizeof *p->names);
    if (domain == AF_PACKET) {
      p->ctrl_stride = CTRL_SPACE;
      p->ctrl = calloc(maxb, p->ctrl_stride);
    }
    if (!p->msgs || !p->iov || !p->names || (domain == AF_PACKET && !p->ctrl) || (p->vnet && !p->vhdr)) {
      poller_free(p);
      return ix_throw_errno(env, ENOMEM, "Poller", NULL);
    }
    for (i = 0; i < maxb; i++) {
      struct msghdr *mh = &p->msgs[i].msg_hdr;
      if (p->offload) {
        /* Whole frames: [virtio header + slot] (header in the headroom), else [header, slot]. */
        struct iovec *v = &p->iov[3 * i];
        if (p->hdr_in_slot) {
          v[0].iov_base = slab + (size_t)i * slot + head - IX_VNET_HDR_LEN;
          v[0].iov_len = IX_VNET_HDR_LEN + (slot - head);
          mh->msg_iovlen = 1;
        } else {
          v[0].iov_base = &p->vhdr[i];
          v[0].iov_len = IX_VNET_HDR_LEN;
          v[1].iov_base = slab + (size_t)i * slot + head;
          v[1].iov_len = slot - head;
          mh->msg_iovlen = 2;
        }
        mh->msg_iov = v;
      } else if (p->vnet) {
        /* [virtio header + slot, overflow part of entry i] when the headroom can take the header
         * (a separate 10-byte iovec costs the kernel ~60-100 ns per packet more), else
         * [virtio header, slot, overflow]. Slot addresses are set per read. */
        struct iovec *v = &p->iov[3 * i];
        struct iovec *o;
        if (p->hdr_in_slot) {
          v[0].iov_base = slab + (size_t)i * slot + head - IX_VNET_HDR_LEN;
          v[0].iov_len = IX_VNET_HDR_LEN + (slot - head);
          o = &v[1];
          mh->msg_iovlen = 2;
        } else {
          v[0].iov_base = &p->vhdr[i];
          v[0].iov_len = IX_VNET_HDR_LEN;
          v[1].iov_base = slab + (size_t)i * slot + head;
          v[1].iov_len = slot - head;
          o = &v[2];
          mh->msg_iovlen = 3;
        }
        o->iov_base = p->ovf + (size_t)i * p->ovf_stride + (slot - head);
        o->iov_len = OVF_PART;
        mh->msg_iov = v;
      } else {
        p->iov[i].iov_base = slab + (size_t)i * slot + head;
        p->iov[i].iov_len = slot - head;
        mh->msg_iov = &p->iov[i];
        mh->msg_iovlen = 1;
      }
      mh->msg_name = &p->names[i];
      mh->msg_namelen = sizeof(struct sockaddr_storage);
      if (p->ctrl) {
        mh->msg_control = p->ctrl + (size_t)i * p->ctrl_stride;
        mh->msg_controllen = p->ctrl_stride;
      }
    }
    p->last_rx = maxb;
  }

  if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
    poller_free(p);
    return ix_throw_status(env, napi_generic_failure, "napi_get_uv_event_loop");
  }
  /* References keep the receive memory alive for as long as the poller can use it. */
  if (napi_create_reference(env, argv[2], 1, &p->slab_ref) != napi_ok ||
      napi_get_named_property(env, argv[3], "offsets", &v) != napi_ok ||
      napi_create_reference(env, v, 1, &p->offsets_ref) != napi_ok ||
      napi_get_named_property(env, argv[3], "lengths", &v) != napi_ok ||
      napi_create_reference(env, v, 1, &p->lengths_ref) != napi_ok ||
      napi_create_reference(env, argv[4], 1, &p->cb_ref) != napi_ok)
    return ctor_fail(env, p, ix_throw_status(env, napi_generic_failure, "napi_create_reference"));
  if (addrs != NULL && (ix_opt_value(env, argv[3], "addrs", &v) != 1 ||
                        napi_create_reference(env, v, 1, &p->addrs_ref) != napi_ok))
    return ctor_fail(env, p, ix_throw_status(env, napi_generic_failure, "napi_create_reference"));
  if (meta != NULL && (ix_opt_value(env, argv[3], "meta", &v) != 1 ||
                       napi_create_reference(env, v, 1, &p->meta_ref) != napi_ok))
    return ctor_fail(env, p, ix_throw_status(env, napi_generic_failure, "napi_create_reference"));
  {
    napi_value name;
    napi_create_string_utf8(env, "ixfabric.Poller", NAPI_AUTO_LENGTH, &name);
    if (napi_async_init(env, self, name, &p->actx) != napi_ok)
      return ctor_fail(env, p, ix_throw_status(env, napi_generic_failure, "napi_async_init"));
  }

  if (napi_get_instance_data(env, (void **)&p->inst) != napi_ok || p->inst == NULL)
    return ctor_fail(env, p, ix_throw_status(env, napi_generic_failure, "napi_get_instance_data"));
  rc = fd_claim(p->inst, fd);
  if (rc == 0) {
    rc = -uv_poll_init(loop, &p->handle, fd);
    if (rc != 0) fd_release(p->inst, fd);
  }
  if (rc != 0) {
    char subject[32];
    snprintf(subject, sizeof subject, "fd %d", fd);
    return ctor_fail(env, p, ix_throw_errno(env, rc, rc == EEXIST ? "Poller" : "uv_poll_init", subject));
  }
  p->handle.data = p;
  /* From here on the handle exists: it must be closed with uv_close before p is freed. */
  if (napi_wrap(env, self, p, finalize, NULL, &p->self_ref) != napi_ok) {
    release_js(p, env);
    p->finalized = 1;
    begin_close(p);
    return ix_throw_status(env, napi_generic_failure, "napi_wrap");
  }
  if (napi_add_async_cleanup_hook(env, cleanup_hook, p, &p->cleanup) != napi_ok) p->cleanup = NULL;
  return self;
}

napi_status ix_poller_init(napi_env env, napi_value exports) {
  napi_value cls;
  napi_status st;
  napi_property_descriptor props[] = {
      {"start", NULL, js_start, NULL, NULL, NULL, napi_default_method, NULL},
      {"stop", NULL, js_stop, NULL, NULL, NULL, napi_default_method, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default_method, NULL},
      {"stats", NULL, js_stats, NULL, NULL, NULL, napi_default_method, NULL},
      {"fd", NULL, NULL, js_get_fd, NULL, NULL, napi_default_jsproperty, NULL},
      {"active", NULL, NULL, js_get_active, NULL, NULL, napi_default_jsproperty, NULL},
      {"offload", NULL, NULL, js_get_offload, NULL, NULL, napi_default_jsproperty, NULL},
  };
  st = napi_define_class(env, "Poller", NAPI_AUTO_LENGTH, js_ctor, NULL, sizeof props / sizeof props[0], props, &cls);
  if (st != napi_ok) return st;
  return napi_set_named_property(env, exports, "Poller", cls);
}
