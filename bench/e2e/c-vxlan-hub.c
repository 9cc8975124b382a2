/*
 * c-vxlan-hub: the reference of issue 7's table "C: recvmmsg/sendmmsg VXLAN hub" (bench:e2e
 * variant c-vxlan-hub). A VXLAN hub in plain C with batched system calls and nothing else: no
 * learning, no policy. A member-to-member target of ixfabric ("at least 80% of a C
 * recvmmsg/sendmmsg VXLAN hub") is measured against it.
 *
 *   c-vxlan-hub <listen-ipv4> <vni>@<member-ipv4> <vni>@<member-ipv4> ...
 *
 * One UDP socket on <listen-ipv4>:4789. Each datagram that is VXLAN (8-byte header, I flag)
 * from a member's address with that member's VNI is sent to every other member with the VNI
 * rewritten to theirs; anything else is dropped. One recvmmsg (up to 64 datagrams) and one
 * sendmmsg per batch. Prints "ready" on stdout once bound; on SIGTERM or SIGINT prints
 * {"received":N,"sent":N,"dropped":N} on stderr (sent counts copies) and exits 0.
 * Needs CAP_NET_ADMIN (SO_RCVBUFFORCE, SO_SNDBUFFORCE).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#define VXLAN_PORT 4789
#define VXLAN_HDR 8
#define BATCH 64
#define MAX_MEMBERS 16 /* BATCH * (MAX_MEMBERS - 1) copies stay under sendmmsg's limit of 1024 */
#define BUF_SIZE 9216  /* a jumbo frame; a longer datagram is truncated and dropped */
#define SOCK_BUF (4 << 20)

struct member {
  struct sockaddr_in addr;
  uint32_t vni;
  uint8_t hdr[VXLAN_HDR]; /* the header of copies sent to this member */
};

static struct member members[MAX_MEMBERS];
static int n_members;
static volatile sig_atomic_t stop;

static uint8_t bufs[BATCH][BUF_SIZE];
static struct iovec rx_iov[BATCH];
static struct sockaddr_in rx_addr[BATCH];
static struct mmsghdr rx[BATCH];
static struct iovec tx_iov[BATCH * (MAX_MEMBERS - 1)][2];
static struct mmsghdr tx[BATCH * (MAX_MEMBERS - 1)];

static void die(const char *what) {
  fprintf(stderr, "c-vxlan-hub: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void usage(const char *msg) {
  fprintf(stderr, "c-vxlan-hub: %s\nusage: c-vxlan-hub <listen-ipv4> <vni>@<member-ipv4> <vni>@<member-ipv4> ...\n", msg);
  exit(2);
}

static void on_signal(int sig) {
  (void)sig;
  stop = 1;
}

static void parse_member(const char *arg, struct member *m) {
  char *end;
  errno = 0;
  unsigned long vni = strtoul(arg, &end, 10);
  if (errno || end == arg || *end != '@' || vni > 0xffffff) usage("member must be <vni>@<ipv4>, vni 0..16777215");
  memset(m, 0, sizeof *m);
  m->addr.sin_family = AF_INET;
  m->addr.sin_port = htons(VXLAN_PORT);
  if (inet_pton(AF_INET, end + 1, &m->addr.sin_addr) != 1) usage("bad member address");
  m->vni = (uint32_t)vni;
  const uint8_t hdr[VXLAN_HDR] = {0x08, 0, 0, 0, vni >> 16, vni >> 8, vni, 0};
  memcpy(m->hdr, hdr, VXLAN_HDR);
}

/* The member that sent a datagram: by source address (not port: Linux picks the source port
 * per flow) and VNI. */
static int sender(const struct sockaddr_in *from, const uint8_t *hdr) {
  uint32_t vni = (uint32_t)hdr[4] << 16 | (uint32_t)hdr[5] << 8 | hdr[6];
  for (int i = 0; i < n_members; i++)
    if (members[i].addr.sin_addr.s_addr == from->sin_addr.s_addr) return members[i].vni == vni ? i : -1;
  return -1;
}

int main(int argc, char **argv) {
  if (argc < 4) usage("needs a listen address and at least two members");
  if (argc - 2 > MAX_MEMBERS) usage("too many members");
  struct sockaddr_in local = {.sin_family = AF_INET, .sin_port = htons(VXLAN_PORT)};
  if (inet_pton(AF_INET, argv[1], &local.sin_addr) != 1) usage("bad listen address");
  for (n_members = 0; n_members < argc - 2; n_members++) {
    parse_member(argv[n_members + 2], &members[n_members]);
    for (int j = 0; j < n_members; j++)
      if (members[j].addr.sin_addr.s_addr == members[n_members].addr.sin_addr.s_addr) usage("member address given twice");
  }

  /* no SA_RESTART: a signal interrupts the blocking recvmmsg */
  struct sigaction sa = {.sa_handler = on_signal};
  if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0) die("sigaction");

  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) die("socket");
  int size = SOCK_BUF;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0) die("SO_RCVBUFFORCE (needs CAP_NET_ADMIN)");
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) < 0) die("SO_SNDBUFFORCE (needs CAP_NET_ADMIN)");
  /* a signal that lands between the stop check and recvmmsg would otherwise wait for the next
   * datagram: wake up every 200 ms regardless */
  struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
  if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) die("SO_RCVTIMEO");
  if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0) die("bind");

  for (int i = 0; i < BATCH; i++) {
    rx_iov[i] = (struct iovec){.iov_base = bufs[i], .iov_len = BUF_SIZE};
    rx[i].msg_hdr = (struct msghdr){.msg_iov = &rx_iov[i], .msg_iovlen = 1, .msg_name = &rx_addr[i]};
  }
  printf("ready\n");
  if (fflush(stdout) != 0) die("stdout");

  unsigned long long received = 0, sent = 0, dropped = 0;
  while (!stop) {
    for (int i = 0; i < BATCH; i++) rx[i].msg_hdr.msg_namelen = sizeof rx_addr[i];
    /* blocks for the first datagram, then takes whatever else is queued, up to BATCH */
    int n = recvmmsg(fd, rx, BATCH, MSG_WAITFORONE, NULL);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      die("recvmmsg");
    }
    received += n;
    /* every copy: this member's header, then the received datagram after the header */
    int n_tx = 0;
    for (int i = 0; i < n; i++) {
      const uint8_t *d = bufs[i];
      unsigned len = rx[i].msg_len;
      int from = -1;
      if (len >= VXLAN_HDR && (d[0] & 0x08) && !(rx[i].msg_hdr.msg_flags & MSG_TRUNC)) from = sender(&rx_addr[i], d);
      if (from < 0) {
        dropped++;
        continue;
      }
      for (int j = 0; j < n_members; j++) {
        if (j == from) continue;
        tx_iov[n_tx][0] = (struct iovec){.iov_base = members[j].hdr, .iov_len = VXLAN_HDR};
        tx_iov[n_tx][1] = (struct iovec){.iov_base = (void *)(d + VXLAN_HDR), .iov_len = len - VXLAN_HDR};
        tx[n_tx].msg_hdr = (struct msghdr){.msg_name = &members[j].addr, .msg_namelen = sizeof members[j].addr, .msg_iov = tx_iov[n_tx], .msg_iovlen = 2};
        n_tx++;
      }
    }
    /* a blocking UDP socket without IP_RECVERR: a full queue blocks, and drops further on (a
     * full veth backlog) are silent, so an error here is a real one. sendmmsg stops early only
     * on an error (or a signal) */
    for (int done = 0; done < n_tx;) {
      int r = sendmmsg(fd, tx + done, n_tx - done, 0);
      if (r < 0) {
        if (errno == EINTR) continue;
        die("sendmmsg");
      }
      done += r;
      sent += r;
    }
  }
  fprintf(stderr, "{\"received\":%llu,\"sent\":%llu,\"dropped\":%llu}\n", received, sent, dropped);
  return 0;
}
