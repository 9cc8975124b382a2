/*
 * ixfabric native addon: batched reads and writes on TAP descriptors through io_uring.
 *
 * Why: a TAP moves one frame per read or write system call, and on the machine this was written
 * on a system call costs about 1 µs by itself (getppid: 1.05 µs), more than the kernel's own work
 * on a small frame (a 64-byte TAP write: 1.7-2.5 µs with writev, 0.3-0.5 µs as one of 64 writes
 * submitted together). One io_uring_enter submits a whole batch of reads or writes and reaps them.
 *
 * Every operation carries RWF_NOWAIT, so it completes while it is submitted (a read of an empty
 * queue with -EAGAIN) instead of being parked until the TAP is readable, and the results of a
 * batch are all there when io_uring_enter returns. They are taken by index (user_data).
 *
 * One ring per environment (thread), set up on first use and used only synchronously, so it is
 * empty between calls. Where io_uring is not available (an old kernel, a seccomp filter,
 * kernel.io_uring_disabled) or tapUring(false) turned it off, TAP I/O uses readv/writev.
 */
#include "ix.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/fs.h>
#include <linux/io_uring.h>

#ifndef RWF_NOWAIT
#define RWF_NOWAIT 0x00000008
#endif

struct ix_uring {
  int fd;
  unsigned entries;
  unsigned *sq_head, *sq_tail, *sq_mask, *sq_array;
  unsigned *cq_head, *cq_tail, *cq_mask;
  struct io_uring_sqe *sqes;
  struct io_uring_cqe *cqes;
  uint32_t gen;
  void *sq_map, *cq_map;
  size_t sq_len, cq_len, sqes_len;
};

void ix_uring_free(ix_uring *u) {
  if (u == NULL) return;
  if (u->sqes != NULL) munmap(u->sqes, u->sqes_len);
  if (u->cq_map != NULL) munmap(u->cq_map, u->cq_len);
  if (u->sq_map != NULL) munmap(u->sq_map, u->sq_len);
  if (u->fd >= 0) close(u->fd);
  free(u);
}

static ix_uring *uring_setup(void) {
  struct io_uring_params prm;
  ix_uring *u = calloc(1, sizeof *u);
  uint8_t *sq, *cq;
  if (u == NULL) return NULL;
  memset(&prm, 0, sizeof prm);
  u->fd = (int)syscall(__NR_io_uring_setup, IX_MAX_BATCH, &prm);
  if (u->fd < 0) {
    free(u);
    return NULL;
  }
  u->entries = prm.sq_entries;
  u->sq_len = prm.sq_off.array + prm.sq_entries * sizeof(unsigned);
  u->cq_len = prm.cq_off.cqes + prm.cq_entries * sizeof(struct io_uring_cqe);
  u->sqes_len = prm.sq_entries * sizeof(struct io_uring_sqe);
  u->sq_map = mmap(NULL, u->sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, u->fd, IORING_OFF_SQ_RING);
  u->cq_map = mmap(NULL, u->cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, u->fd, IORING_OFF_CQ_RING);
  u->sqes = mmap(NULL, u->sqes_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, u->fd, IORING_OFF_SQES);
  if (u->sq_map == MAP_FAILED || u->cq_map == MAP_FAILED || u->sqes == MAP_FAILED) {
    if (u->sq_map == MAP_FAILED) u->sq_map = NULL;
    if (u->cq_map == MAP_FAILED) u->cq_map = NULL;
    if (u->sqes == MAP_FAILED) u->sqes = NULL;
    ix_uring_free(u);
    return NULL;
  }
  sq = u->sq_map;
  cq = u->cq_map;
  u->sq_head = (unsigned *)(sq + prm.sq_off.head);
  u->sq_tail = (unsigned *)(sq + prm.sq_off.tail);
  u->sq_mask = (unsigned *)(sq + prm.sq_off.ring_mask);
  u->sq_array = (unsigned *)(sq + prm.sq_off.array);
  u->cq_head = (unsigned *)(cq + prm.cq_off.head);
  u->cq_tail = (unsigned *)(cq + prm.cq_off.tail);
  u->cq_mask = (unsigned *)(cq + prm.cq_off.ring_mask);
  u->cqes = (struct io_uring_cqe *)(cq + prm.cq_off.cqes);
  return u;
}

ix_uring *ix_uring_get(ix_instance *inst) {
  if (inst->uring_state == 0) {
    inst->uring = uring_setup();
    inst->uring_state = inst->uring != NULL ? 1 : -1;
  }
  return inst->uring_state == 1 ? inst->uring : NULL;
}

static int enter(ix_uring *u, unsigned submit, unsigned wait) {
  int r = (int)syscall(__NR_io_uring_enter, u->fd, submit, wait, wait ? IORING_ENTER_GETEVENTS : 0, NULL, 0);
  return r < 0 ? -errno : r;
}

/*
 * One chunk of at most u->entries operations (see ix_uring_rw). user_data carries a generation
 * number besides the index, so a completion left over from an earlier chunk (only possible if
 * waiting failed) is never taken for one of this chunk.
 */
static int rw_chunk(ix_uring *u, int fd, int write, const struct mmsghdr *msgs, uint32_t n, int32_t *res) {
  const unsigned tail = *u->sq_tail, head0 = __atomic_load_n(u->sq_head, __ATOMIC_ACQUIRE);
  const uint64_t gen = (uint64_t)++u->gen << 32;
  unsigned submitted = 0, got = 0, i;
  int r;
  for (i = 0; i < n; i++) {
    unsigned idx = (tail + i) & *u->sq_mask;
    struct io_uring_sqe *s = &u->sqes[idx];
    memset(s, 0, sizeof *s);
    s->opcode = write ? IORING_OP_WRITEV : IORING_OP_READV;
    s->fd = fd;
    s->addr = (uint64_t)(uintptr_t)msgs[i].msg_hdr.msg_iov;
    s->len = (uint32_t)msgs[i].msg_hdr.msg_iovlen;
    s->rw_flags = RWF_NOWAIT;
    s->user_data = gen | i;
    u->sq_array[idx] = idx;
    res[i] = -EAGAIN;
  }
  __atomic_store_n(u->sq_tail, tail + n, __ATOMIC_RELEASE);
  /* RWF_NOWAIT operations complete during submission: no waiting needed in the normal case */
  while (submitted < n) {
    r = enter(u, n - submitted, 0);
    submitted = __atomic_load_n(u->sq_head, __ATOMIC_ACQUIRE) - head0;
    if (r < 0 && r != -EINTR) {
      /* take back what the kernel did not take; those operations were not done (res -EAGAIN) */
      __atomic_store_n(u->sq_tail, head0 + submitted, __ATOMIC_RELEASE);
      if (submitted == 0) return r;
      break;
    }
  }
  for (;;) {
    unsigned h = *u->cq_head, t = __atomic_load_n(u->cq_tail, __ATOMIC_ACQUIRE);
    for (; h != t; h++) {
      const struct io_uring_cqe *c = &u->cqes[h & *u->cq_mask];
      if ((c->user_data & ~(uint64_t)0xffffffffu) == gen && (c->user_data & 0xffffffffu) < n) {
        res[c->user_data & 0xffffffffu] = c->res;
        got++;
      }
    }
    __atomic_store_n(u->cq_head, h, __ATOMIC_RELEASE);
    if (got >= submitted) return 0;
    r = enter(u, 0, submitted - got);
    if (r < 0 && r != -EINTR) return 0; /* the rest count as not done (-EAGAIN) */
  }
}

int ix_uring_rw(ix_uring *u, int fd, int write, const struct mmsghdr *msgs, uint32_t n, int32_t *res) {
  uint32_t done = 0;
  while (done < n) {
    uint32_t k = n - done < u->entries ? n - done : u->entries;
    int r = rw_chunk(u, fd, write, msgs + done, k, res + done);
    if (r < 0) {
      if (done == 0) return r;
      for (; done < n; done++) res[done] = -EAGAIN; /* not done */
      return 0;
    }
    done += k;
  }
  return 0;
}

/*
 * tapUring(enable?) -> boolean: whether TAP reads and writes in this thread go through io_uring.
 * With an argument it is turned on (if the kernel lets it) or off first (tests, troubleshooting).
 */
static napi_value js_tap_uring(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1] = {NULL}, ret;
  ix_instance *inst = NULL;
  IX_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  IX_NAPI(env, napi_get_instance_data(env, (void **)&inst));
  if (argc >= 1 && !ix_is_nullish(env, argv[0])) {
    bool on = false;
    if (napi_get_value_bool(env, argv[0], &on) != napi_ok) return ix_throw_type(env, "enable must be a boolean");
    if (!on) {
      ix_uring_free(inst->uring);
      inst->uring = NULL;
      inst->uring_state = -1;
    } else if (inst->uring_state == -1) {
      inst->uring_state = 0;
    }
  }
  IX_NAPI(env, napi_get_boolean(env, ix_uring_get(inst) != NULL, &ret));
  return ret;
}

napi_status ix_uring_init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_status st = napi_create_function(env, "tapUring", NAPI_AUTO_LENGTH, js_tap_uring, NULL, &fn);
  if (st != napi_ok) return st;
  return napi_set_named_property(env, exports, "tapUring", fn);
}
