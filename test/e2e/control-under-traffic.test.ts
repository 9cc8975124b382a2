// The control socket under abuse while the fabric forwards: garbage bytes, a 2 GiB length
// prefix, half a document followed by silence and 200 clients at once get an error or a
// disconnect, and not one ping between two members is lost. Then a 100,000-entry FDB is
// dumped repeatedly while we measure the ping p99 between members (reported, not asserted).
import t from 'tap';
import { connect } from 'node:net';
import { spawnSync } from 'node:child_process';
import { Lab, frameTool, sleep, waitFor, ctlBin } from '../helpers/netns.js';
import { Daemon } from '../helpers/daemon.js';
import { prng } from '../helpers/prng.js';
import { request } from '../../src/control/control-client.js';
import { icmpEchoFrame } from '../../src/encap/frame-builder.js';

const lab = new Lab(t, 'k');
const pop = lab.ns('pop');
const m = { A: lab.ns('a'), B: lab.ns('b'), F: lab.ns('f') };
const v4 = { A: '192.0.2.91', B: '192.0.2.92', F: '192.0.2.93' };
for (const k of ['A', 'B', 'F'] as const) {
  lab.veth(lab.ifname(k.toLowerCase()), pop, 'x0', m[k]);
  lab.ip(m[k], 'link set x0 up');
  lab.ip(m[k], `addr add ${v4[k]}/24 dev x0`);
}
const cfg = lab.file(
  'ixfabric.yaml',
  `pop: { name: lab, underlay: { ipv4: 10.90.0.1 } }
fabric: { peering_lan: { ipv4: 192.0.2.0/24 }, fdb: { max_entries: 120000 } }
control: { socket: ${lab.dir}/pop.sock, metrics: false, state_dir: ${lab.dir}/state }
members:
  - { asn: 65201, name: A, ipv4: [${v4.A}], connections: [{ type: ethernet, interface: ${lab.ifname('a')} }] }
  - { asn: 65202, name: B, ipv4: [${v4.B}], connections: [{ type: ethernet, interface: ${lab.ifname('b')} }] }
  - { asn: 65203, name: F, ipv4: [${v4.F}], policy: { max_macs: 110000 }, connections: [{ type: ethernet, interface: ${lab.ifname('f')} }] }
`,
);
const daemon = new Daemon(lab, pop, cfg);
t.before(() => daemon.start());
t.after(() => daemon.stop());

/** Runs a ping and resolves with its per-packet round-trip times and loss. */
function pingRun(count: number, interval: string): Promise<{ rtts: number[]; sent: number; received: number }> {
  const p = lab.spawn(m.A, ['ping', '-c', String(count), '-i', interval, '-W', '1', v4.B]);
  let out = '';
  p.stdout!.on('data', (c) => (out += c));
  return new Promise((resolve) => {
    p.on('exit', () => {
      const rtts = [...out.matchAll(/time=([\d.]+) ms/g)].map((x) => Number(x[1]));
      const s = /(\d+) packets transmitted, (\d+) received/.exec(out);
      resolve({ rtts, sent: Number(s?.[1] ?? 0), received: Number(s?.[2] ?? 0) });
    });
  });
}

function p99(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.99))] ?? NaN;
}

/** Writes raw bytes to the control socket; resolves with what came back before the close (or after ms). */
function raw(bytes: Buffer, ms: number): Promise<{ reply: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const s = connect(daemon.socket);
    const chunks: Buffer[] = [];
    let closed = false;
    s.on('data', (c) => chunks.push(c));
    s.on('close', () => {
      closed = true;
      resolve({ reply: Buffer.concat(chunks), closed });
    });
    s.on('error', () => undefined);
    s.on('connect', () => s.write(bytes));
    setTimeout(() => {
      s.destroy();
      resolve({ reply: Buffer.concat(chunks), closed });
    }, ms);
  });
}

t.test('abusive control clients while traffic flows', async (t) => {
  t.ok(lab.run(m.A, ['ping', '-c', '2', '-W', '2', v4.B]).status === 0, 'A reaches B');
  const traffic = pingRun(1500, '0.01');
  await sleep(300);
  const rnd = prng(7);
  const garbage = Buffer.from(Uint8Array.from({ length: 4096 }, () => Math.floor(rnd() * 256)));
  const g = await raw(garbage, 3000);
  t.ok(g.closed || g.reply.length > 0, 'garbage bytes: an error reply or a disconnect');
  const big = Buffer.alloc(4);
  big.writeInt32LE(0x7fffffff);
  const b = await raw(big, 3000);
  t.ok(b.reply.length > 0 && b.closed, 'a 2 GiB length prefix: an error reply and a disconnect');
  const half = raw(Buffer.from([0x40, 0, 0, 0, 0x02, 0x63, 0x6d, 0x64]), 4000); // half a document, then silence
  const storm = await Promise.allSettled(Array.from({ length: 200 }, () => request(daemon.socket, 'status', {}, { timeoutMs: 20000 })));
  const ok = storm.filter((s) => s.status === 'fulfilled').length;
  t.equal(ok, 200, '200 clients at once: all answered (those beyond 64 after a busy retry)');
  const h = await half;
  t.notOk(h.reply.length > 0, 'half a document gets no answer while it waits (it is closed at the idle timeout)');
  const after = await traffic;
  t.equal(after.received, after.sent, `no ping lost meanwhile (${after.received}/${after.sent})`);
  t.equal(spawnSync(process.execPath, [ctlBin, '--socket', daemon.socket, 'status'], { encoding: 'utf8' }).status, 0, 'the daemon still answers');
});

t.test('dumping a 100,000-entry FDB does not stall forwarding', async (t) => {
  const probe = icmpEchoFrame({ dst: '02:00:00:00:00:99', src: '06:00:00:00:00:00', srcIp: v4.F, dstIp: '192.0.2.250', size: 60 });
  lab.sh(m.F, [process.execPath, frameTool, 'flood', 'x0', '100000'], { input: JSON.stringify([probe.toString('hex')]), timeoutMs: 120_000 });
  const size = await waitFor('the FDB to hold 100,000 entries', async () => {
    const st = daemon.ctl<{ fdb_entries: number }>('status');
    return st.fdb_entries >= 100_000 ? st.fdb_entries : 0;
  }, 30_000);
  t.ok(size >= 100_000, `${size} FDB entries`);
  const idle = await pingRun(500, '0.005');
  const during = pingRun(1000, '0.005');
  let dumps = 0;
  let entries = 0;
  const until = Date.now() + 4500;
  while (Date.now() < until) {
    const r = spawnSync(process.execPath, [ctlBin, '--socket', daemon.socket, '--json', 'fdb'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    t.equal(r.status, 0, 'dump ok');
    entries = (JSON.parse(r.stdout) as unknown[]).length;
    dumps++;
  }
  const busy = await during;
  t.ok(entries >= 100_000, `each dump returned ${entries} entries (${dumps} dumps)`);
  t.equal(busy.received, busy.sent, 'no ping lost during the dumps');
  t.comment(`ping A→B p99: idle ${p99(idle.rtts).toFixed(3)} ms, during ${dumps} dumps of ${entries} entries ${p99(busy.rtts).toFixed(3)} ms (max ${Math.max(...busy.rtts).toFixed(3)} ms)`);
});
