#!/usr/bin/env node
// Raw frame tool for end-to-end tests, run inside a member's namespace with `ip netns exec`:
//   frame-tool.mjs send IFACE            frames as a JSON array of hex strings on stdin
//   frame-tool.mjs capture IFACE MS      prints the frames seen in MS milliseconds (JSON hex array)
//   frame-tool.mjs udp SRC DST PORT      datagrams as a JSON array of hex strings on stdin
//   frame-tool.mjs raw SRC DST PROTO     raw IPv4 payloads of protocol PROTO (JSON hex array on stdin)
//   frame-tool.mjs flood IFACE COUNT     COUNT copies of the frame on stdin, each with its own source MAC
// It uses the project's native addon (built to native/build/Release) for AF_PACKET.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import dgram from 'node:dgram';

const require = createRequire(import.meta.url);
const native = require('../../native/build/Release/ixfabric.node');
const [cmd, ...args] = process.argv.slice(2);
const input = () => JSON.parse(readFileSync(0, 'utf8'));

if (cmd === 'send') {
  const frames = input().map((h) => Buffer.from(h, 'hex'));
  const fd = native.packetOpen(args[0]);
  const slab = Buffer.concat(frames);
  const desc = new Uint32Array(frames.length * 5);
  let off = 0;
  frames.forEach((f, i) => {
    desc.set([off, f.length, 0, 0, 0], i * 5);
    off += f.length;
  });
  const result = new Int32Array(2);
  let sent = 0;
  // one at a time, so no receiver queue overflows
  for (let i = 0; i < frames.length; i++) {
    sent += native.send(fd, 'dgram', slab, desc.subarray(i * 5), 1, null, result);
    await new Promise((r) => setTimeout(r, 2));
  }
  native.close(fd);
  process.stdout.write(JSON.stringify({ sent, errors: result[0], errno: result[1] }) + '\n');
} else if (cmd === 'flood') {
  // COUNT copies of the frame given on stdin, each from its own source MAC, in paced batches of 64
  const [iface, count] = args;
  const n = Number(count);
  const fd = native.packetOpen(iface);
  const frame = Buffer.from(JSON.parse(readFileSync(0, 'utf8'))[0], 'hex');
  const slab = Buffer.alloc(64 * frame.length);
  const desc = new Uint32Array(64 * 5);
  const result = new Int32Array(2);
  let sent = 0;
  for (let base = 0; base < n; base += 64) {
    const k = Math.min(64, n - base);
    for (let i = 0; i < k; i++) {
      const off = i * frame.length;
      frame.copy(slab, off);
      slab.writeUInt32BE(0x02000000 + base + i, off + 8); // source MAC 06:00:xx:xx:xx:xx varies
      slab[off + 6] = 0x06;
      desc.set([off, frame.length, 0, 0, 0], i * 5);
    }
    let done = 0;
    while (done < k) {
      const r = native.send(fd, 'dgram', slab, desc.subarray(done * 5), k - done, null, result);
      done += r;
      if (r === 0) await new Promise((res) => setTimeout(res, 1));
    }
    sent += k;
    await new Promise((res) => setTimeout(res, 1)); // about 64,000 frames/s: no receiver overrun
  }
  native.close(fd);
  process.stdout.write(JSON.stringify({ sent }) + '\n');
} else if (cmd === 'capture') {
  const fd = native.packetOpen(args[0]);
  const slot = 10240;
  const slab = Buffer.alloc(64 * slot);
  const offsets = new Uint32Array(64);
  const lengths = new Uint32Array(64);
  const seen = [];
  const poller = new native.Poller(fd, 'dgram', slab, { slotSize: slot, headroom: 64, maxBatch: 64, offsets, lengths }, (n) => {
    for (let i = 0; i < n; i++) seen.push(slab.subarray(offsets[i], offsets[i] + lengths[i]).toString('hex'));
  });
  poller.start();
  process.stderr.write('capturing\n');
  setTimeout(() => {
    poller.close();
    native.close(fd);
    process.stdout.write(JSON.stringify(seen) + '\n');
  }, Number(args[1]));
} else if (cmd === 'udp') {
  const [src, dst, port] = args;
  const sock = dgram.createSocket(src.includes(':') ? 'udp6' : 'udp4');
  sock.bind({ address: src, port: 0 }, async () => {
    for (const h of input()) await new Promise((r) => sock.send(Buffer.from(h, 'hex'), Number(port), dst, r));
    sock.close();
  });
} else if (cmd === 'raw') {
  // raw IP packets of protocol PROTO (payload only; the kernel adds the IP header)
  const [src, dst, proto] = args;
  const family = dst.includes(':') ? 6 : 4;
  const fd = native.rawOpen(family, Number(proto), src, {});
  const table = new Uint8Array(32);
  table[0] = family === 4 ? 2 : 10;
  if (family === 4) dst.split('.').forEach((o, i) => (table[4 + i] = Number(o)));
  else throw new Error('raw: IPv4 only');
  const result = new Int32Array(2);
  let sent = 0;
  for (const h of input()) {
    const b = Buffer.from(h, 'hex');
    sent += native.send(fd, 'dgram', b, Uint32Array.of(0, b.length, 0, 0, 0), 1, table, result);
  }
  native.close(fd);
  process.stdout.write(JSON.stringify({ sent }) + '\n');
} else {
  process.stderr.write('usage: frame-tool.mjs send IFACE | capture IFACE MS | udp SRC DST PORT | raw SRC DST PROTO\n');
  process.exit(2);
}
