// ixfabric-eoip: a small MikroTik EoIP endpoint for Linux, which has no EoIP driver. It joins
// a TAP device to one EoIP tunnel (IPv4 protocol 47 or IPv6 EtherIP protocol 97), with the
// project's codec and native batched I/O, and sends keepalives like RouterOS. A Linux member
// uses it to reach an exchange over EoIP; the end-to-end tests use it as the member's router.
//
//   ixfabric-eoip --local ADDR --remote ADDR --tunnel-id N [--tap NAME] [--mtu 1458] [--keepalive 10]

import { isIPv6 } from 'node:net';
import { parseArgs } from 'node:util';
import { decodeEoipV4, decodeEoipV6, EOIP_DEFAULT_MTU, EOIP_FRAME, EOIP_V4_HEADER_LEN, EOIP_V6_HEADER_LEN, newEoipPacket, writeEoipV4Header, writeEoipV6Header } from '../encap/eoip.js';
import { IPPROTO_GRE, newIpv4Header, parseIpv4 } from '../encap/ip.js';
import { FrameBatch } from './frame-batch.js';
import { encodeAddr, native } from './native.js';
import { TunnelDemux } from './tunnel-demux.js';
import { ADDR_ENTRY } from './vxlan-ingress.js';

const BATCH = 64;
const HEADROOM = 64;
const SLOT = 9216;

export interface EndpointOptions {
  local: string;
  remote: string;
  tunnelId: number;
  tap: string;
  mtu: number;
  keepaliveS: number;
}

export interface EndpointStats {
  toTunnel: number;
  fromTunnel: number;
  keepalivesIn: number;
  dropped: number;
}

/** Runs the endpoint until `stop()`. */
export function startEndpoint(o: EndpointOptions): { stats: EndpointStats; stop(): void } {
  const family = isIPv6(o.remote) ? 6 : 4;
  const hdr = family === 4 ? EOIP_V4_HEADER_LEN : EOIP_V6_HEADER_LEN;
  const stats: EndpointStats = { toTunnel: 0, fromTunnel: 0, keepalivesIn: 0, dropped: 0 };
  const { fd: tapFd } = native.tapOpen(o.tap, { mtu: o.mtu });
  const rawFd = family === 4 ? native.rawOpen(4, 47, o.local, { ttl: 255, dontFragment: false }) : native.rawOpen(6, 97, o.local, { hopLimit: 255 });
  const remote = new Uint8Array(ADDR_ENTRY);
  encodeAddr(remote, 0, o.remote, 0);
  const demux = new TunnelDemux();
  demux.add(o.remote, o.tunnelId, 0);
  const result = new Int32Array(2);

  // TAP → tunnel: each frame gets its EoIP header in the headroom.
  const fromTap = new FrameBatch(BATCH, SLOT, HEADROOM);
  const txDesc = new Uint32Array(BATCH * 5);
  const tapPoller = new native.Poller(tapFd, 'stream', fromTap.slab, { slotSize: SLOT, headroom: HEADROOM, maxBatch: BATCH, offsets: fromTap.offsets, lengths: fromTap.lengths }, (n) => {
    if (n < 0) throw new Error(`TAP ${o.tap} failed (errno ${-n})`);
    for (let i = 0; i < n; i++) {
      const off = fromTap.offsets[i]! - hdr;
      const len = fromTap.lengths[i]!;
      if (family === 4) writeEoipV4Header(fromTap.slab, off, o.tunnelId, len);
      else writeEoipV6Header(fromTap.slab, off, o.tunnelId);
      txDesc.set([off, len + hdr, 0, 0, 0], i * 5);
    }
    const sent = native.send(rawFd, 'dgram', fromTap.slab, txDesc, n, remote, result);
    stats.toTunnel += sent;
    stats.dropped += n - sent;
  });

  // tunnel → TAP: check the framing and that it is our tunnel from our peer.
  const fromRaw = new FrameBatch(BATCH, SLOT, HEADROOM);
  const rxOff = new Uint32Array(BATCH);
  const rxLen = new Uint32Array(BATCH);
  const addrs = new Uint8Array(BATCH * ADDR_ENTRY);
  const ip = newIpv4Header();
  const eo = newEoipPacket();
  const tapDesc = new Uint32Array(BATCH * 5);
  const rawPoller = new native.Poller(rawFd, 'dgram', fromRaw.slab, { slotSize: SLOT, headroom: HEADROOM, maxBatch: BATCH, offsets: rxOff, lengths: rxLen, addrs }, (n) => {
    if (n < 0) throw new Error(`raw socket failed (errno ${-n})`);
    let k = 0;
    for (let i = 0; i < n; i++) {
      let off = rxOff[i]!;
      let len = rxLen[i]!;
      if (family === 4) {
        if (!parseIpv4(fromRaw.slab, off, off + len, ip) || ip.protocol !== IPPROTO_GRE) continue;
        const end = Math.min(off + len, off + ip.totalLength);
        off = ip.payloadOffset;
        len = end - off;
      }
      const rc = family === 4 ? decodeEoipV4(fromRaw.slab, off, len, eo) : decodeEoipV6(fromRaw.slab, off, len, eo);
      if (demux.lookup(addrs, i * ADDR_ENTRY, eo.tunnelId) !== 0) continue;
      if (rc !== EOIP_FRAME) {
        if (rc > 0) stats.keepalivesIn++;
        continue;
      }
      tapDesc.set([eo.frameOffset, eo.frameLength, 0, 0, 0], k * 5);
      k++;
    }
    stats.fromTunnel += native.send(tapFd, 'stream', fromRaw.slab, tapDesc, k, null, result);
  });

  const keepalive = new Uint8Array(EOIP_V4_HEADER_LEN);
  if (family === 4) writeEoipV4Header(keepalive, 0, o.tunnelId, 0);
  else writeEoipV6Header(keepalive, 0, o.tunnelId);
  const kaDesc = Uint32Array.of(0, hdr, 0, 0, 0);
  const sendKeepalive = () => native.send(rawFd, 'dgram', keepalive, kaDesc, 1, remote, result);
  const timer = o.keepaliveS > 0 ? setInterval(sendKeepalive, o.keepaliveS * 1000) : null;
  if (o.keepaliveS > 0) sendKeepalive();
  tapPoller.start();
  rawPoller.start();
  return {
    stats,
    stop() {
      if (timer) clearInterval(timer);
      tapPoller.close();
      rawPoller.close();
      native.close(tapFd);
      native.close(rawFd);
    },
  };
}

const USAGE = 'usage: ixfabric-eoip --local ADDR --remote ADDR --tunnel-id N [--tap NAME] [--mtu 1458] [--keepalive 10]\n';

export function main(argv: string[]): number {
  let v;
  try {
    v = parseArgs({ args: argv, options: { local: { type: 'string' }, remote: { type: 'string' }, 'tunnel-id': { type: 'string' }, tap: { type: 'string' }, mtu: { type: 'string' }, keepalive: { type: 'string' }, help: { type: 'boolean' } } }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (v.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const tunnelId = Number(v['tunnel-id']);
  if (!v.local || !v.remote || !Number.isInteger(tunnelId) || tunnelId < 0 || tunnelId > (isIPv6(v.remote) ? 0xfff : 0xffff)) {
    process.stderr.write(USAGE);
    return 2;
  }
  const ep = startEndpoint({ local: v.local, remote: v.remote, tunnelId, tap: v.tap ?? `eoip${tunnelId}`, mtu: Number(v.mtu ?? EOIP_DEFAULT_MTU), keepaliveS: Number(v.keepalive ?? 10) });
  process.stdout.write(`ixfabric-eoip: ${v.tap ?? `eoip${tunnelId}`} <-> ${v.remote} tunnel ${tunnelId}\n`);
  const stop = () => {
    ep.stop();
    process.stdout.write(`ixfabric-eoip: stopped ${JSON.stringify(ep.stats)}\n`);
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return 0;
}
