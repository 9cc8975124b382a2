/*
 * ixfabric native addon: module init, error and argument helpers.
 */
#include "ix.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------- errors ---------- */

napi_value ix_throw_errno(napi_env env, int err, const char *syscall, const char *subject) {
  char msg[384];
  char codebuf[24];
  const char *name = strerrorname_np(err);
  const char *desc = strerrordesc_np(err);
  napi_value code, message, error, num, sys;

  if (name == NULL) {
    snprintf(codebuf, sizeof codebuf, "E%d", err);
    name = codebuf;
  }
  if (desc == NULL) desc = "Unknown error";
  if (subject != NULL && subject[0] != '\0')
    snprintf(msg, sizeof msg, "%s %s: %s", syscall, subject, desc);
  else
    snprintf(msg, sizeof msg, "%s: %s", syscall, desc);

  if (napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code) != napi_ok ||
      napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message) != napi_ok ||
      napi_create_error(env, code, message, &error) != napi_ok ||
      napi_create_int32(env, err, &num) != napi_ok ||
      napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sys) != napi_ok) {
    napi_throw_error(env, name, msg);
    return NULL;
  }
  napi_set_named_property(env, error, "errno", num);
  napi_set_named_property(env, error, "syscall", sys);
  napi_throw(env, error);
  return NULL;
}

napi_value ix_throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
  return NULL;
}

napi_value ix_throw_range(napi_env env, const char *msg) {
  napi_throw_range_error(env, "ERR_OUT_OF_RANGE", msg);
  return NULL;
}

napi_value ix_throw_status(napi_env env, napi_status st, const char *what) {
  bool pending = false;
  const napi_extended_error_info *info = NULL;
  char msg[256];
  napi_is_exception_pending(env, &pending);
  if (pending) return NULL;
  napi_get_last_error_info(env, &info);
  snprintf(msg, sizeof msg, "N-API call failed (%d: %s): %s", (int)st,
           info && info->error_message ? info->error_message : "unknown", what);
  napi_throw_error(env, "ERR_NAPI", msg);
  return NULL;
}

/* ---------- arguments ---------- */

int ix_is_nullish(napi_env env, napi_value v) {
  napi_valuetype t;
  if (v == NULL) return 1;
  if (napi_typeof(env, v, &t) != napi_ok) return 1;
  return t == napi_undefined || t == napi_null;
}

static int type_error(napi_env env, const char *what, const char *expected) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s must be %s", what, expected);
  ix_throw_type(env, msg);
  return -1;
}

int ix_get_int32(napi_env env, napi_value v, const char *what, int32_t *out) {
  napi_valuetype t;
  double d;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return type_error(env, what, "a number");
  napi_get_value_double(env, v, &d);
  if (!(d >= -2147483648.0 && d <= 2147483647.0) || d != (double)(int32_t)d)
    return type_error(env, what, "a 32-bit integer");
  *out = (int32_t)d;
  return 0;
}

int ix_get_uint32(napi_env env, napi_value v, const char *what, uint32_t *out) {
  napi_valuetype t;
  double d;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return type_error(env, what, "a number");
  napi_get_value_double(env, v, &d);
  if (!(d >= 0.0 && d <= 4294967295.0) || d != (double)(uint32_t)d)
    return type_error(env, what, "an unsigned 32-bit integer");
  *out = (uint32_t)d;
  return 0;
}

int ix_get_string(napi_env env, napi_value v, const char *what, char *buf, size_t cap) {
  napi_valuetype t;
  size_t len = 0;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) return type_error(env, what, "a string");
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return type_error(env, what, "a string");
  if (len + 1 > cap) {
    char msg[160];
    snprintf(msg, sizeof msg, "%s is too long (%zu bytes, at most %zu)", what, len, cap - 1);
    ix_throw_range(env, msg);
    return -1;
  }
  napi_get_value_string_utf8(env, v, buf, cap, &len);
  if (strlen(buf) != len) return type_error(env, what, "a string without NUL characters");
  return 0;
}

int ix_opt_value(napi_env env, napi_value obj, const char *key, napi_value *out) {
  napi_valuetype t;
  bool has = false;
  if (ix_is_nullish(env, obj)) return 0;
  if (napi_typeof(env, obj, &t) != napi_ok || t != napi_object) return type_error(env, "options", "an object");
  if (napi_has_named_property(env, obj, key, &has) != napi_ok || !has) return 0;
  if (napi_get_named_property(env, obj, key, out) != napi_ok) return -1;
  if (ix_is_nullish(env, *out)) return 0;
  return 1;
}

int ix_opt_uint32(napi_env env, napi_value obj, const char *key, uint32_t *out) {
  napi_value v;
  int r = ix_opt_value(env, obj, key, &v);
  if (r <= 0) return r;
  if (ix_get_uint32(env, v, key, out) != 0) return -1;
  return 1;
}

int ix_opt_bool(napi_env env, napi_value obj, const char *key, int *out) {
  napi_value v;
  napi_valuetype t;
  bool b;
  int r = ix_opt_value(env, obj, key, &v);
  if (r <= 0) return r;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_boolean) return type_error(env, key, "a boolean");
  napi_get_value_bool(env, v, &b);
  *out = b ? 1 : 0;
  return 1;
}

int ix_get_bytes(napi_env env, napi_value v, const char *what, uint8_t **data, size_t *len) {
  bool is = false;
  void *p = NULL;
  if (napi_is_buffer(env, v, &is) != napi_ok || !is) return type_error(env, what, "a Buffer or Uint8Array");
  if (napi_get_buffer_info(env, v, &p, len) != napi_ok) return type_error(env, what, "a Buffer or Uint8Array");
  *data = p;
  return 0;
}

static int get_typed(napi_env env, napi_value v, const char *what, napi_typedarray_type want,
                     const char *wname, void **data, size_t *len) {
  bool is = false;
  napi_typedarray_type type;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return type_error(env, what, wname);
  if (napi_get_typedarray_info(env, v, &type, len, data, NULL, NULL) != napi_ok || type != want)
    return type_error(env, what, wname);
  return 0;
}

int ix_get_u32array(napi_env env, napi_value v, const char *what, uint32_t **data, size_t *len) {
  return get_typed(env, v, what, napi_uint32_array, "a Uint32Array", (void **)data, len);
}

int ix_get_i32array(napi_env env, napi_value v, const char *what, int32_t **data, size_t *len) {
  return get_typed(env, v, what, napi_int32_array, "an Int32Array", (void **)data, len);
}

int ix_get_u16array(napi_env env, napi_value v, const char *what, uint16_t **data, size_t *len) {
  return get_typed(env, v, what, napi_uint16_array, "a Uint16Array", (void **)data, len);
}

/* ---------- module ---------- */

static void instance_finalize(napi_env env, void *data, void *hint) {
  ix_instance *inst = data;
  (void)env;
  (void)hint;
  free(inst->tx_msgs);
  free(inst->tx_iov);
  free(inst->tx_names);
  free(inst->tx_vnet);
  free(inst->tx_res);
  free(inst->poll_fds);
  ix_uring_free(inst->uring);
  free(inst);
}

NAPI_MODULE_INIT() {
  ix_instance *inst = calloc(1, sizeof *inst);
  napi_value ver;
  if (inst == NULL) {
    napi_throw_error(env, "ENOMEM", "ixfabric: out of memory");
    return NULL;
  }
  if (napi_set_instance_data(env, inst, instance_finalize, NULL) != napi_ok) {
    free(inst);
    return ix_throw_status(env, napi_generic_failure, "napi_set_instance_data");
  }
  if (ix_ctl_init(env, exports) != napi_ok) return ix_throw_status(env, napi_generic_failure, "ix_ctl_init");
  if (ix_poller_init(env, exports) != napi_ok) return ix_throw_status(env, napi_generic_failure, "ix_poller_init");
  if (ix_send_init(env, exports) != napi_ok) return ix_throw_status(env, napi_generic_failure, "ix_send_init");
  if (ix_uring_init(env, exports) != napi_ok) return ix_throw_status(env, napi_generic_failure, "ix_uring_init");
  napi_create_uint32(env, IX_ADDR_SIZE, &ver);
  napi_set_named_property(env, exports, "ADDR_SIZE", ver);
  napi_create_uint32(env, IX_DESC_STRIDE, &ver);
  napi_set_named_property(env, exports, "DESC_STRIDE", ver);
  napi_create_uint32(env, IX_MAX_BATCH, &ver);
  napi_set_named_property(env, exports, "MAX_BATCH", ver);
  return exports;
}
