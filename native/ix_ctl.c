/*
 * ixfabric native addon: control calls (open/close descriptors, interface settings, sd_notify).
 * These are not on the hot path; they throw errno-coded errors.
 */
#include "ix.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif
/* UDP segmentation offload for TAPs (Linux 6.2); missing from older userspace headers. */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6 0x40
#endif

#define IX_SOCKBUF (4 * 1024 * 1024)

/* ---------- helpers ---------- */

static void set_buf(int fd, int force_opt, int opt, int size) {
  if (setsockopt(fd, SOL_SOCKET, force_opt, &size, sizeof size) == 0) return;
  (void)setsockopt(fd, SOL_SOCKET, opt, &size, sizeof size);
}

void ix_set_bufs(int fd) {
  set_buf(fd, SO_RCVBUFFORCE, SO_RCVBUF, IX_SOCKBUF);
  set_buf(fd, SO_SNDBUFFORCE, SO_SNDBUF, IX_SOCKBUF);
}

static int ctl_socket(void) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  return fd;
}

/* ioctl on an interface by name; returns 0 or an errno value. */
static int if_ioctl(const char *name, unsigned long req, struct ifreq *ifr) {
  int fd, err = 0;
  if (strlen(name) >= IFNAMSIZ) return ENAMETOOLONG;
  strncpy(ifr->ifr_name, name, IFNAMSIZ - 1);
  ifr->ifr_name[IFNAMSIZ - 1] = '\0';
  fd = ctl_socket();
  if (fd < 0) return errno;
  if (ioctl(fd, req, ifr) < 0) err = errno;
  close(fd);
  return err;
}

static int if_set_up(const char *name, const char **sys) {
  struct ifreq ifr;
  int err;
  memset(&ifr, 0, sizeof ifr);
  *sys = "ioctl(SIOCGIFFLAGS)";
  if ((err = if_ioctl(name, SIOCGIFFLAGS, &ifr)) != 0) return err;
  if (ifr.ifr_flags & IFF_UP) return 0;
  ifr.ifr_flags |= IFF_UP;
  *sys = "ioctl(SIOCSIFFLAGS)";
  return if_ioctl(name, SIOCSIFFLAGS, &ifr);
}

static int if_set_mtu(const char *name, uint32_t mtu) {
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  if (mtu > INT32_MAX) return EINVAL;
  ifr.ifr_mtu = (int)mtu;
  return if_ioctl(name, SIOCSIFMTU, &ifr);
}

/* Numeric address + port to a sockaddr; returns 0 or an errno value. Empty address = wildcard. */
static int parse_addr(int family, const char *addr, uint32_t port, struct sockaddr_storage *ss,
                      socklen_t *len) {
  struct addrinfo hints, *res = NULL;
  char portstr[12];
  int rc;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = family;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
  snprintf(portstr, sizeof portstr, "%u", port);
  rc = getaddrinfo(addr[0] ? addr : NULL, portstr, &hints, &res);
  if (rc != 0 || res == NULL) {
    if (res) freeaddrinfo(res);
    if (rc == EAI_FAMILY || rc == EAI_ADDRFAMILY) return EAFNOSUPPORT;
    if (rc == EAI_MEMORY) return ENOMEM;
    return EINVAL;
  }
  memcpy(ss, res->ai_addr, res->ai_addrlen);
  *len = res->ai_addrlen;
  freeaddrinfo(res);
  return 0;
}

static int get_family(napi_env env, napi_value v, int *af) {
  uint32_t f;
  if (ix_get_uint32(env, v, "family", &f) != 0) return -1;
  if (f == 4) *af = AF_INET;
  else if (f == 6) *af = AF_INET6;
  else {
    ix_throw_range(env, "family must be 4 or 6");
    return -1;
  }
  return 0;
}

static napi_value make_int(napi_env env, int32_t v) {
  napi_value r;
  if (napi_create_int32(env, v, &r) != napi_ok) return NULL;
  return r;
}

/* Close fd preserving errno and throw. */
static napi_value fail_close(napi_env env, int fd, int err, const char *sys, const char *subject) {
  close(fd);
  return ix_throw_errno(env, err, sys, subject);
}

/* ---------- tapOpen(name, opts?) ---------- */

/*
 * With vnetHdr every read and write carries a 10-byte virtio_net_hdr (TUNSETVNETHDRSZ 10, set
 * explicitly: a persistent TAP may remember another size). With offload the TAP also tells the
 * kernel it takes unchecksummed and TSO/USO packets (TUNSETOFFLOAD), so the member's stack hands
 * over CHECKSUM_PARTIAL frames and 64 KiB super-packets instead of segmenting them itself; the
 * Poller completes or carries them (opts.offload), send() writes them back with their header.
 * USO needs Linux 6.2; an older kernel refuses the flags and gets TSO only. The result reports
 * the TUN_F_* flags that took effect.
 */
static napi_value js_tap_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2] = {NULL, NULL}, result, v;
  char name[IFNAMSIZ];
  struct ifreq ifr;
  uint32_t mtu = 0;
  int vnet = 0, offload = 0, has_mtu, fd, err, hdrsz = IX_VNET_HDR_LEN;
  unsigned int feat = 0;
  const char *sys;

  IX_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (ix_get_string(env, argv[0], "name", name, sizeof name) != 0) return NULL;
  if ((has_mtu = ix_opt_uint32(env, argv[1], "mtu", &mtu)) < 0) return NULL;
  if (ix_opt_bool(env, argv[1], "vnetHdr", &vnet) < 0) return NULL;
  if (ix_opt_bool(env, argv[1], "offload", &offload) < 0) return NULL;
  if (offload && !vnet) return ix_throw_type(env, "opts.offload needs opts.vnetHdr");

  fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return ix_throw_errno(env, errno, "open(/dev/net/tun)", name);
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0);
  memcpy(ifr.ifr_name, name, strlen(name));
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) return fail_close(env, fd, errno, "ioctl(TUNSETIFF)", name);
  memcpy(name, ifr.ifr_name, IFNAMSIZ);
  name[IFNAMSIZ - 1] = '\0';
  if (vnet && ioctl(fd, TUNSETVNETHDRSZ, &hdrsz) < 0) return fail_close(env, fd, errno, "ioctl(TUNSETVNETHDRSZ)", name);
  if (offload) {
    feat = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN | TUN_F_USO4 | TUN_F_USO6;
    if (ioctl(fd, TUNSETOFFLOAD, feat) < 0) {
      feat = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
      if (errno != EINVAL || ioctl(fd, TUNSETOFFLOAD, feat) < 0)
        return fail_close(env, fd, errno, "ioctl(TUNSETOFFLOAD)", name);
    }
  } else if (vnet) {
    /* A persistent TAP keeps its offloads: this descriptor wants none. */
    if (ioctl(fd, TUNSETOFFLOAD, 0u) < 0) return fail_close(env, fd, errno, "ioctl(TUNSETOFFLOAD)", name);
  }
  if (has_mtu && (err = if_set_mtu(name, mtu)) != 0)
    return fail_close(env, fd, err, "ioctl(SIOCSIFMTU)", name);
  if ((err = if_set_up(name, &sys)) != 0) return fail_close(env, fd, err, sys, name);

  IX_NAPI(env, napi_create_object(env, &result));
  v = make_int(env, fd);
  napi_set_named_property(env, result, "fd", v);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, result, "name", v);
  napi_create_uint32(env, feat, &v);
  napi_set_named_property(env, result, "offloads", v);
  return result;
}

/* ---------- vnetHdrLen(fd) ---------- */

/* 10 when every frame on fd carries a virtio_net_hdr (an AF_PACKET socket with PACKET_VNET_HDR, a
 * TAP with IFF_VNET_HDR), else 0. */
static napi_value js_vnet_hdr_len(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1] = {NULL};
  int32_t fd;
  int v = 0, sz = 0;
  socklen_t vl = sizeof v;
  struct ifreq ifr;
  IX_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (ix_get_int32(env, argv[0], "fd", &fd) != 0) return NULL;
  if (getsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &v, &vl) == 0) return make_int(env, v ? IX_VNET_HDR_LEN : 0);
  memset(&ifr, 0, sizeof ifr);
  if (ioctl(fd, TUNGETIFF, &ifr) == 0 && (ifr.ifr_flags & IFF_VNET_HDR) && ioctl(fd, TUNGETVNETHDRSZ, &sz) == 0)
    return make_int(env, sz);
  return make_int(env, 0);
}

/* ---------- packetOpen(ifname) ---------- */

static napi_value js_packet_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1] = {NULL};
  char name[IFNAMSIZ];
  unsigned int ifindex;
  int fd, one = 1, soerr = 0;
  socklen_t slen = sizeof soerr;
  struct sockaddr_ll sll;
  struct packet_mreq mreq;

  IX_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (ix_get_string(env, argv[0], "ifname", name, sizeof name) != 0) return NULL;
  ifindex = if_nametoindex(name);
  if (ifindex == 0) return ix_throw_errno(env, errno ? errno : ENODEV, "if_nametoindex", name);

  /* Protocol 0 until bound, so no frames of other interfaces are queued before bind(). */
  fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return ix_throw_errno(env, errno, "socket(AF_PACKET)", name);
  if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) < 0 && errno != ENOPROTOOPT)
    return fail_close(env, fd, errno, "setsockopt(PACKET_IGNORE_OUTGOING)", name);
  if (setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof one) < 0)
    return fail_close(env, fd, errno, "setsockopt(PACKET_AUXDATA)", name);
  /* Every frame is read and written with a virtio_net_hdr in front, so offloaded packets
   * (CHECKSUM_PARTIAL, GSO/GRO super-packets) can be completed in software by the Poller
   * (ix_poller.c) instead of being forwarded with a bad checksum or truncated. Must be set before
   * any ring is set up; we set it before bind so no frame is ever queued without the header. */
  if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) < 0)
    return fail_close(env, fd, errno, "setsockopt(PACKET_VNET_HDR)", name);
  ix_set_bufs(fd);

  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = (int)ifindex;
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) return fail_close(env, fd, errno, "bind(AF_PACKET)", name);

  memset(&mreq, 0, sizeof mreq);
  mreq.mr_ifindex = (int)ifindex;
  mreq.mr_type = PACKET_MR_PROMISC;
  if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq, sizeof mreq) < 0)
    return fail_close(env, fd, errno, "setsockopt(PACKET_ADD_MEMBERSHIP)", name);

  /* Binding to an interface that is down leaves ENETDOWN pending on the socket; clear it so the
   * socket just starts receiving when the link comes up instead of failing the first poll. */
  (void)getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen);
  return make_int(env, fd);
}

/* ---------- udpOpen(family, address, port) ---------- */

static napi_value js_udp_open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3] = {NULL, NULL, NULL};
  char addr[INET6_ADDRSTRLEN + IFNAMSIZ + 2];
  uint32_t port;
  int af, fd, one = 1, err;
  struct sockaddr_storage ss;
  socklen_t sslen;

  IX_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (get_family(env, argv[0], &af) != 0) return NULL;
  if (ix_get_string(env, argv[1], "address", addr, sizeof addr) != 0) return NULL;
  if (ix_get_uint32(env, argv[2], "port", &port) != 0) return NULL;
  if (port > 65535) return ix_throw_range(env, "port must be 0..65535");
  if ((err = parse_addr(af, addr, port, &ss, &sslen)) != 0) return ix_throw_errno(env, err, "getaddrinfo", addr);

  fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) return ix_throw_errno(env, errno, "socket(SOCK_DGRAM)", addr);
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
    return fail_close(env, fd, errno, "setsockopt(SO_REUSEADDR)", addr);
  if (af == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0)
    return fail_close(env, fd, errno, "setsockopt(IPV6_V6ONLY)", addr);
  ix_set_bufs(fd);
  if (bind(fd, (struct sockaddr *)&ss, sslen) < 0) {
    char subject[sizeof addr + 16];
    snprintf(subject, sizeof subject, af == AF_INET6 ? "[%s]:%u" : "%s:%u", addr, port);
    return fail_close(env, fd, errno, "bind", subject);
  }
  return make_int(env, fd);
}

/* ---------- rawOpen(family, protocol, bindAddress?, opts?) ---------- */

static napi_value js_raw_open(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4] = {NULL, NULL, NULL, NULL};
  char addr[INET6_ADDRSTRLEN + IFNAMSIZ + 2] = "";
  uint32_t proto, ttl = 0, hops = 0;
  int af, fd, err, has_ttl, has_hops, has_df, df = 0;
  struct sockaddr_storage ss;
  socklen_t sslen;

  IX_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (get_family(env, argv[0], &af) != 0) return NULL;
  if (ix_get_uint32(env, argv[1], "protocol", &proto) != 0) return NULL;
  if (proto == 0 || proto > 255) return ix_throw_range(env, "protocol must be 1..255");
  if (!ix_is_nullish(env, argv[2]) && ix_get_string(env, argv[2], "bindAddress", addr, sizeof addr) != 0)
    return NULL;
  if ((has_ttl = ix_opt_uint32(env, argv[3], "ttl", &ttl)) < 0) return NULL;
  if ((has_hops = ix_opt_uint32(env, argv[3], "hopLimit", &hops)) < 0) return NULL;
  if ((has_df = ix_opt_bool(env, argv[3], "dontFragment", &df)) < 0) return NULL;
  if ((has_ttl && (ttl < 1 || ttl > 255)) || (has_hops && (hops < 1 || hops > 255)))
    return ix_throw_range(env, "ttl/hopLimit must be 1..255");

  fd = socket(af, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, (int)proto);
  if (fd < 0) return ix_throw_errno(env, errno, "socket(SOCK_RAW)", af == AF_INET ? "IPv4" : "IPv6");
  ix_set_bufs(fd);
  if (af == AF_INET) {
    if (has_ttl) {
      int v = (int)ttl;
      if (setsockopt(fd, IPPROTO_IP, IP_TTL, &v, sizeof v) < 0)
        return fail_close(env, fd, errno, "setsockopt(IP_TTL)", NULL);
    }
    if (has_df) {
      int v = df ? IP_PMTUDISC_DO : IP_PMTUDISC_DONT;
      if (setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof v) < 0)
        return fail_close(env, fd, errno, "setsockopt(IP_MTU_DISCOVER)", NULL);
    }
  } else {
    if (has_hops || has_ttl) {
      int v = (int)(has_hops ? hops : ttl);
      if (setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, sizeof v) < 0)
        return fail_close(env, fd, errno, "setsockopt(IPV6_UNICAST_HOPS)", NULL);
    }
    if (has_df) {
      int v = df ? 1 : 0;
      if (setsockopt(fd, IPPROTO_IPV6, IPV6_DONTFRAG, &v, sizeof v) < 0)
        return fail_close(env, fd, errno, "setsockopt(IPV6_DONTFRAG)", NULL);
    }
  }
  if (addr[0]) {
    if ((err = parse_addr(af, addr, 0, &ss, &sslen)) != 0) return fail_close(env, fd, err, "getaddrinfo", addr);
    if (bind(fd, (struct sockaddr *)&ss, sslen) < 0) return fail_close(env, fd, errno, "bind", addr);
  }
  return make_int(env, fd);
}

/* ---------- unixDgramOpen(path) (sd_notify tests, local datagram endpoints) ---------- */

static int unix_addr(const char *path, struct sockaddr_un *sun, socklen_t *len) {
  size_t n = strlen(path);
  memset(sun, 0, sizeof *sun);
  sun->sun_family = AF_UNIX;
  if (n == 0 || n >= sizeof sun->sun_path) return n == 0 ? EINVAL : ENAMETOOLONG;
  memcpy(sun->sun_path, path, n);
  if (path[0] == '@') sun->sun_path[0] = '\0'; /* abstract namespace, no trailing NUL */
  *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] == '@' ? 0 : 1));
  return 0;
}

static napi_value js_unix_dgram_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1] = {NULL};
  char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
  struct sockaddr_un sun;
  socklen_t len;
  int fd, err;

  IX_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (ix_get_string(env, argv[0], "path", path, sizeof path) != 0) return NULL;
  if ((err = unix_addr(path, &sun, &len)) != 0) return ix_throw_errno(env, err, "bind", path);
  fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return ix_throw_errno(env, errno, "socket(AF_UNIX)", path);
  if (bind(fd, (struct sockaddr *)&sun, len) < 0) return fail_close(env, fd, errno, "bind", path);
  return make_int(env, fd);
}

/* ---------- sdNotify(state) ---------- */

static napi_value js_sd_notify(napi_env env, napi_callback_info info) {
  size_t argc = 1, slen = 0;
  napi_value argv[1] = {NULL}, r;
  const char *path = getenv("NOTIFY_SOCKET");
  struct sockaddr_un sun;
  socklen_t len;
  char *state;
  int fd, err;
  ssize_t n;

  IX_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  {
    napi_valuetype t;
    if (napi_typeof(env, argv[0], &t) != napi_ok || t != napi_string) return ix_throw_type(env, "state must be a string");
  }
  if (path == NULL || path[0] == '\0') {
    napi_get_boolean(env, false, &r);
    return r;
  }
  if (path[0] != '/' && path[0] != '@') return ix_throw_errno(env, EAFNOSUPPORT, "sd_notify", path);
  if ((err = unix_addr(path, &sun, &len)) != 0) return ix_throw_errno(env, err, "sd_notify", path);

  IX_NAPI(env, napi_get_value_string_utf8(env, argv[0], NULL, 0, &slen));
  state = malloc(slen + 1);
  if (state == NULL) return ix_throw_errno(env, ENOMEM, "sd_notify", path);
  napi_get_value_string_utf8(env, argv[0], state, slen + 1, &slen);

  fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    err = errno;
    free(state);
    return ix_throw_errno(env, err, "socket(AF_UNIX)", path);
  }
  n = sendto(fd, state, slen, MSG_NOSIGNAL, (struct sockaddr *)&sun, len);
  err = errno;
  close(fd);
  free(state);
  if (n < 0) return ix_throw_errno(env, err, "sendto(NOTIFY_SOCKET)", path);
  napi_get_boolean(env, true, &r);
  return r;
}

/* ---------- close(fd) ---------- */

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1] = {NULL};
  int32_t fd;
  char subject[16];
  IX_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (ix_get_int32(env, argv[0], "fd", &fd) != 0) return NULL;
  if (fd < 0) return ix_throw_errno(env, EBADF, "close", "fd");
  if (close(fd) < 0 && errno != EINTR) {
    snprintf(subject, sizeof subject, "%d", fd);
    return ix_throw_errno(env, errno, "close", subject);
  }
  return NULL;
}

/* ---------- localAddress(fd) ---------- */

static napi_value js_local_address(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1] = {NULL}, obj, v;
  int32_t fd;
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  char text[INET6_ADDRSTRLEN] = "";
  uint32_t port = 0;
  char subject[16];

  IX_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (ix_get_int32(env, argv[0], "fd", &fd) != 0) return NULL;
  memset(&ss, 0, sizeof ss);
  if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
    snprintf(subject, sizeof subject, "%d", fd);
    return ix_throw_errno(env, errno, "getsockname", subject);
  }
  if (ss.ss_family == AF_INET) {
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    port = ntohs(in->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    port = ntohs(in6->sin6_port);
  } else if (ss.ss_family == AF_PACKET) {
    struct sockaddr_ll *ll = (struct sockaddr_ll *)&ss;
    port = ntohs(ll->sll_protocol);
  }
  IX_NAPI(env, napi_create_object(env, &obj));
  napi_create_uint32(env, ss.ss_family, &v);
  napi_set_named_property(env, obj, "family", v);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, "address", v);
  napi_create_uint32(env, port, &v);
  napi_set_named_property(env, obj, "port", v);
  return obj;
}

/* ---------- interfaces ---------- */

static int get_ifname(napi_env env, napi_callback_info info, char *name, napi_value *extra) {
  size_t argc = 2;
  napi_value argv[2] = {NULL, NULL};
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
    ix_throw_status(env, napi_generic_failure, "napi_get_cb_info");
    return -1;
  }
  if (extra) *extra = argv[1];
  return ix_get_string(env, argv[0], "name", name, IFNAMSIZ);
}

static napi_value js_if_index(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1] = {NULL};
  char name[64];
  IX_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (ix_get_string(env, argv[0], "name", name, sizeof name) != 0) return NULL;
  if (strlen(name) >= IFNAMSIZ || name[0] == '\0') return make_int(env, 0);
  return make_int(env, (int32_t)if_nametoindex(name));
}

static napi_value js_if_set_up(napi_env env, napi_callback_info info) {
  char name[IFNAMSIZ];
  const char *sys;
  int err;
  if (get_ifname(env, info, name, NULL) != 0) return NULL;
  if ((err = if_set_up(name, &sys)) != 0) return ix_throw_errno(env, err, sys, name);
  return NULL;
}

static napi_value js_if_set_mtu(napi_env env, napi_callback_info info) {
  char name[IFNAMSIZ];
  napi_value mv;
  uint32_t mtu;
  int err;
  if (get_ifname(env, info, name, &mv) != 0) return NULL;
  if (ix_get_uint32(env, mv, "mtu", &mtu) != 0) return NULL;
  if ((err = if_set_mtu(name, mtu)) != 0) return ix_throw_errno(env, err, "ioctl(SIOCSIFMTU)", name);
  return NULL;
}

static napi_value js_if_get_mtu(napi_env env, napi_callback_info info) {
  char name[IFNAMSIZ];
  struct ifreq ifr;
  int err;
  if (get_ifname(env, info, name, NULL) != 0) return NULL;
  memset(&ifr, 0, sizeof ifr);
  if ((err = if_ioctl(name, SIOCGIFMTU, &ifr)) != 0) return ix_throw_errno(env, err, "ioctl(SIOCGIFMTU)", name);
  return make_int(env, ifr.ifr_mtu);
}

static napi_value js_if_get_mac(napi_env env, napi_callback_info info) {
  char name[IFNAMSIZ], text[18];
  struct ifreq ifr;
  const unsigned char *m;
  napi_value r;
  int err;
  if (get_ifname(env, info, name, NULL) != 0) return NULL;
  memset(&ifr, 0, sizeof ifr);
  if ((err = if_ioctl(name, SIOCGIFHWADDR, &ifr)) != 0) return ix_throw_errno(env, err, "ioctl(SIOCGIFHWADDR)", name);
  m = (const unsigned char *)ifr.ifr_hwaddr.sa_data;
  snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
  IX_NAPI(env, napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &r));
  return r;
}

/* ---------- setThreadPriority(priority) ---------- */

/* The calling thread (Linux schedules threads, and pid 0 means the caller): SCHED_FIFO at
 * `priority` (1..99), or back to SCHED_OTHER for 0. Needs CAP_SYS_NICE to raise it. */
static napi_value js_set_thread_priority(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1] = {NULL};
  uint32_t prio;
  struct sched_param sp;
  IX_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (ix_get_uint32(env, argv[0], "priority", &prio) != 0) return NULL;
  if (prio > 99) return ix_throw_range(env, "priority must be 0..99");
  memset(&sp, 0, sizeof sp);
  sp.sched_priority = (int)prio;
  if (sched_setscheduler(0, prio ? SCHED_FIFO : SCHED_OTHER, &sp) != 0)
    return ix_throw_errno(env, errno, prio ? "sched_setscheduler(SCHED_FIFO)" : "sched_setscheduler(SCHED_OTHER)", errno == EPERM ? "needs CAP_SYS_NICE" : NULL);
  return NULL;
}

napi_status ix_ctl_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"tapOpen", NULL, js_tap_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"vnetHdrLen", NULL, js_vnet_hdr_len, NULL, NULL, NULL, napi_enumerable, NULL},
      {"packetOpen", NULL, js_packet_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"udpOpen", NULL, js_udp_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"rawOpen", NULL, js_raw_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"unixDgramOpen", NULL, js_unix_dgram_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"localAddress", NULL, js_local_address, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ifIndex", NULL, js_if_index, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ifSetUp", NULL, js_if_set_up, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ifSetMtu", NULL, js_if_set_mtu, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ifGetMtu", NULL, js_if_get_mtu, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ifGetMac", NULL, js_if_get_mac, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sdNotify", NULL, js_sd_notify, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setThreadPriority", NULL, js_set_thread_priority, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
