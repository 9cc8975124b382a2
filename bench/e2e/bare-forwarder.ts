// ixfabric's port I/O without its switch: two FdPorts (the daemon's own port class: a Poller with
// offload, send() with offload metadata) joined back to back, every frame received on one sent out
// of the other; no policy, no FDB, no forwarding decision. bench:e2e runs it as the variants
// addon-afpacket and addon-tap, so what ixfabric's switching costs on top of its I/O shows as the
// ratio between them and ixfabric-afpacket / ixfabric-tap.
//
//   node dist/bench/e2e/bare-forwarder.js packet:IFNAME|tap:IFNAME packet:IFNAME|tap:IFNAME
//
// packet: opens an AF_PACKET socket on an existing interface; tap: creates the TAP (as the
// daemon's tap ports do). Prints "ready" once both ports are polled; on SIGTERM prints
// {"forwarded":N,"refused":N} (refused: frames the egress did not take) and exits.
import { BATCH, FdPort } from '../../src/dataplane/fd-port.js';
import type { FrameBatch } from '../../src/dataplane/frame-batch.js';
import { native, type IoKind } from '../../src/dataplane/native.js';

function open(spec: string): { fd: number; io: IoKind } {
  const [kind, name] = spec.split(':');
  if (kind === 'packet' && name) return { fd: native.packetOpen(name), io: 'dgram' };
  if (kind === 'tap' && name) return { fd: native.tapOpen(name, { mtu: 1500, vnetHdr: true, offload: true }).fd, io: 'stream' };
  throw new Error(`bad port ${JSON.stringify(spec)}: packet:IFNAME or tap:IFNAME`);
}

const specs = process.argv.slice(2);
if (specs.length !== 2) {
  console.error('usage: bare-forwarder.js packet:IFNAME|tap:IFNAME packet:IFNAME|tap:IFNAME');
  process.exit(2);
}
const ends = specs.map(open);
const all = Uint32Array.from({ length: BATCH }, (_, i) => i);
const errors = new Int32Array(2);
const ports: FdPort[] = [];
let forwarded = 0;
let refused = 0;
ends.forEach((e, i) => {
  const egress = { forward: (batch: FrameBatch) => {
    const sent = ports[1 - i]!.transmit(batch, all, batch.count, errors);
    forwarded += sent;
    refused += batch.count - sent;
  } };
  ports[i] = new FdPort(i, e.fd, e.io, 1500, native, egress, () => 0, (errno) => {
    console.error(`${specs[i]}: receive failed, errno ${errno}`);
    process.exit(1);
  });
});
console.log('ready');
process.on('SIGTERM', () => {
  for (const p of ports) p.close();
  for (const e of ends) native.close(e.fd);
  console.log(JSON.stringify({ forwarded, refused }));
  process.exit(0);
});
