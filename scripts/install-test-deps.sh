#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian 12 machine (run as root):
# the kernel parts are already there; these are the real peers and tools the tests drive.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
  echo "install-test-deps: run as root (the tests create network namespaces)" >&2
  exit 1
fi
packages=(
  iproute2 iputils-ping    # namespaces, veth, kernel vxlan, ping
  ethtool                  # offloads on veth members (native offload tests)
  tshark tcpdump           # dissect what we send; count frames on the wire
  iperf3                   # throughput between members
  openvpn                  # OpenVPN members (server and client)
  bird2 bgpq4              # route server and member BGP speakers; IRR prefix lists
  tcpreplay netsniff-ng    # replay captures, trafgen
  vde2                     # comparison switch in the benchmarks
  gcc                      # the C VXLAN hub of the benchmarks (bench/e2e/c-vxlan-hub.c)
  python3 make g++         # node-gyp for the native addon
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-test-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian starts bird and openvpn services on install where systemd runs; the tests start their own.
for s in bird openvpn; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$s" 2>/dev/null; then systemctl stop "$s" || true; fi
done
echo "install-test-deps: ok"
