// Raw IP sockets on loopback: protocol 47 (EoIP over IPv4, IP header delivered on receive, TTL
// and DF from the options) and protocol 97 (EtherIP over IPv6, no IP header on receive).
import t, { type Test } from 'tap';
import { native, Poller, ADDR_SIZE, DESC_STRIDE, AF_INET, AF_INET6, decodeAddr, encodeAddr } from '../../src/dataplane/native.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(pred: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) return false;
    await sleep(5);
  }
  return true;
}

interface Pkt {
  data: Buffer;
  family: number;
  address: string;
  port: number;
}

function receiver(t: Test, fd: number, accept: (b: Buffer) => boolean) {
  const maxBatch = 8;
  const slotSize = 4096;
  const slab = Buffer.alloc(slotSize * maxBatch);
  const offsets = new Uint32Array(maxBatch);
  const lengths = new Uint32Array(maxBatch);
  const addrs = Buffer.alloc(ADDR_SIZE * maxBatch);
  const got: Pkt[] = [];
  const poller = new Poller(fd, 'dgram', slab, { slotSize, headroom: 0, maxBatch, offsets, lengths, addrs }, (n) => {
    for (let i = 0; i < n; i++) {
      const off = offsets[i] as number;
      const data = Buffer.from(slab.subarray(off, off + (lengths[i] as number)));
      if (accept(data)) got.push({ data, ...decodeAddr(addrs, i) });
    }
  });
  poller.start();
  t.teardown(() => poller.close());
  return got;
}

/** EoIP header: 20 01 64 00 | length BE | tunnel id LE. */
function eoipHeader(len: number, tid: number): Buffer {
  const h = Buffer.from([0x20, 0x01, 0x64, 0x00, 0, 0, 0, 0]);
  h.writeUInt16BE(len, 4);
  h.writeUInt16LE(tid, 6);
  return h;
}

t.test('IPv4 protocol 47: header + frame, received with the IPv4 header', async (t) => {
  const rx = native.rawOpen(4, 47, '127.0.0.1');
  t.teardown(() => native.close(rx));
  const txNoDf = native.rawOpen(4, 47, null, { ttl: 255, dontFragment: false });
  t.teardown(() => native.close(txNoDf));
  const txDf = native.rawOpen(4, 47, undefined, { ttl: 17, dontFragment: true });
  t.teardown(() => native.close(txDf));
  // Only our tunnel ids (other raw sockets on the machine may send protocol 47 too).
  const got = receiver(t, rx, (b) => b.length >= 28 && b[9] === 47 && b.readUInt16LE(26) >= 0xe000);

  const frame = Buffer.alloc(1514);
  for (let i = 0; i < frame.length; i++) frame[i] = (i * 3) & 0xff;
  const slab = Buffer.alloc(4096);
  eoipHeader(frame.length, 0xe001).copy(slab, 0);
  eoipHeader(0, 0xe002).copy(slab, 8); // keepalive: header only
  frame.copy(slab, 64);
  const desc = new Uint32Array([64, frame.length, 0, 8, 0, 0, 0, 8, 8, 0]);
  const addrs = Buffer.alloc(ADDR_SIZE);
  encodeAddr(addrs, 0, '127.0.0.1', 0);
  const result = new Int32Array(2);
  t.equal(native.send(txNoDf, 'dgram', slab, desc, 2, addrs, result), 2);
  t.same([...result], [0, 0]);
  eoipHeader(4, 0xe003).copy(slab, 16);
  slab.write('ping', 24);
  t.equal(native.send(txDf, 'dgram', slab, new Uint32Array([24, 4, 16, 8, 0]), 1, addrs, result), 1);

  t.ok(await until(() => got.length >= 3), 'received');
  const [data, keepalive, df] = got.map((g) => g.data) as [Buffer, Buffer, Buffer];
  const ihl = ((data[0] as number) & 0x0f) * 4;
  t.equal((data[0] as number) >> 4, 4, 'IPv4 header included');
  t.equal(data[9], 47, 'protocol 47');
  t.equal(data[8], 255, 'TTL 255');
  t.equal((data[6] as number) & 0x40, 0, 'DF clear');
  t.same([...data.subarray(12, 16)], [127, 0, 0, 1], 'source address in header');
  t.ok(data.subarray(ihl, ihl + 8).equals(eoipHeader(frame.length, 0xe001)), 'EoIP header');
  t.ok(data.subarray(ihl + 8).equals(frame), 'frame after the header');
  t.equal(keepalive.length, ihl + 8, 'keepalive is header only');
  t.equal(df[8], 17, 'TTL 17');
  t.equal((df[6] as number) & 0x40, 0x40, 'DF set when asked');
  t.equal(df.subarray(df.length - 4).toString(), 'ping');
  const g0 = got[0] as Pkt;
  t.equal(g0.family, AF_INET);
  t.equal(g0.address, '127.0.0.1');
  t.equal(g0.port, 0);
});

t.test('IPv6 protocol 97: received without an IP header', async (t) => {
  const rx = native.rawOpen(6, 97, '::1');
  t.teardown(() => native.close(rx));
  const tx = native.rawOpen(6, 97, '::1', { hopLimit: 64 });
  t.teardown(() => native.close(tx));
  const got = receiver(t, rx, (b) => b.length >= 2 && b[0] === 0xe3 && b[1] === 0x21);
  // EtherIP-over-IPv6 (MikroTik): byte0 = (tid >> 8) << 4 | 3, byte1 = tid & 0xff; tid 0xe21.
  const slab = Buffer.alloc(256);
  slab[0] = 0xe3;
  slab[1] = 0x21;
  const frame = Buffer.alloc(100, 0x5a);
  frame.copy(slab, 16);
  const addrs = Buffer.alloc(ADDR_SIZE);
  encodeAddr(addrs, 0, '::1', 0);
  t.equal(native.send(tx, 'dgram', slab, new Uint32Array([16, 100, 0, 2, 0]), 1, addrs, null), 1);
  t.ok(await until(() => got.length >= 1));
  const g = got[0] as Pkt;
  t.equal(g.data.length, 102, 'no IPv6 header');
  t.ok(g.data.subarray(2).equals(frame));
  t.equal(g.family, AF_INET6);
  t.equal(g.address, '::1');
});

t.test('rawOpen argument and bind errors', async (t) => {
  t.throws(() => native.rawOpen(4, 0), RangeError);
  t.throws(() => native.rawOpen(4, 256), RangeError);
  t.throws(() => native.rawOpen(4, 47, null, { ttl: 0 }), RangeError);
  t.throws(() => native.rawOpen(4, 47, '192.0.2.1'), { code: 'EADDRNOTAVAIL', syscall: 'bind' });
  t.throws(() => native.rawOpen(6, 97, '127.0.0.1'), { code: 'EAFNOSUPPORT' });
  t.equal(DESC_STRIDE, 5);
});
