import t from 'tap';
import { A, B, C, TRUNK1, TRUNK2, makeCore, ping } from '../helpers/core-fixture.js';
import { Forwarder, type EgressPort } from '../../src/dataplane/forwarder.js';
import { FrameBatch } from '../../src/dataplane/frame-batch.js';

class Sink implements EgressPort {
  frames: Buffer[] = [];
  constructor(private accept = Infinity, private refuse = 0) {}
  transmit(batch: FrameBatch, idx: Uint32Array, n: number, errors: Int32Array): number {
    const sent = Math.min(n, this.accept);
    for (let k = 0; k < sent; k++) this.frames.push(Buffer.from(batch.frame(idx[k]!)));
    errors[0] = Math.min(this.refuse, n - sent);
    return sent;
  }
}

t.test('flood reaches every other port once; unicast one port; counters', async (t) => {
  const core = makeCore();
  const fwd = new Forwarder(core, 64);
  const sinks = new Map<number, Sink>();
  for (const p of [A.port, B.port, C.port, TRUNK1, TRUNK2]) {
    const s = new Sink();
    sinks.set(p, s);
    fwd.attach(p, s);
  }
  const batch = new FrameBatch(64);
  batch.push(ping(A, B), A.port);
  batch.push(ping(B, A), B.port);
  fwd.forward(batch, 1);
  t.equal(sinks.get(A.port)!.frames.length, 1, 'A got the reply only');
  t.equal(sinks.get(B.port)!.frames.length, 1, 'B got the flood');
  t.equal(sinks.get(C.port)!.frames.length, 1);
  t.equal(sinks.get(TRUNK1)!.frames.length, 1);
  t.equal(sinks.get(TRUNK2)!.frames.length, 1);
  t.equal(core.counters.port(B.port).tx_packets, 1);
  t.equal(core.counters.port(A.port).tx_bytes, 98);
});

t.test('tx_full and tx_error are counted on the egress port', async (t) => {
  const core = makeCore();
  const fwd = new Forwarder(core, 64);
  const full = new Sink(2, 1);
  fwd.attach(B.port, full);
  const batch = new FrameBatch(64);
  batch.push(ping(B, A), B.port); // learn B
  fwd.forward(batch, 1);
  const b2 = new FrameBatch(64);
  for (let i = 0; i < 5; i++) b2.push(ping(A, B), A.port);
  fwd.forward(b2, 1);
  const c = core.counters.port(B.port);
  t.equal(c.tx_packets, 2);
  t.equal(c.drops.tx_error, 1);
  t.equal(c.drops.tx_full, 2);
  t.equal(core.counters.port(C.port).drops.tx_full, 1, 'a flood to a port without a transmit side counts as tx_full');
});
