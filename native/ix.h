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
  struct iovec *tx_iov; /* two per message: header, frame */
  struct sockaddr_storage *tx_names;
  uint32_t tx_cap;
  /* One bit per fd that has an open Poller in this environment (libuv allows one watcher per fd
   * and silently ignores a second one). */
  uint8_t *poll_fds;
  size_t poll_fds_cap; /* bytes */
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

/* Socket buffer sizing shared by the openers (ix_ctl.c). */
void ix_set_bufs(int fd);

/* Address table codec (ix_addr.c). */
void ix_addr_encode(uint8_t *out, const struct sockaddr *sa, socklen_t len);
int ix_addr_decode(const uint8_t *in, struct sockaddr_storage *ss, socklen_t *len);

/* Module parts. */
napi_status ix_ctl_init(napi_env env, napi_value exports);
napi_status ix_poller_init(napi_env env, napi_value exports);
napi_status ix_send_init(napi_env env, napi_value exports);

#endif
