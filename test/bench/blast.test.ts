// bench:e2e's batched generator as a harness check: the frame it sends is the 60-byte IPv4/UDP
// frame the benchmark describes (Wireshark agrees, checksum included), and every frame it says
// the socket took arrives on the other end of a veth, at a fixed rate as at full speed.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { writePcap } from '../../src/encap/pcap-writer.js';
import { linkStats } from '../../bench/e2e/counters.js';
import { testFrame } from '../../bench/e2e/pps.js';
import { Lab, sleep } from '../helpers/netns.js';
import { repoRoot } from '../helpers/paths.js';

const blast = join(repoRoot, 'dist', 'bench', 'e2e', 'blast.js');

t.test('the test frame: 60 bytes of Ethernet, IPv4 with a good checksum, UDP 9 -> 9', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ixf-blast-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const f = testFrame();
  t.equal(f.length, 60, '60 bytes (64 on the wire with the FCS)');
  const file = join(dir, 'frame.pcap');
  writeFileSync(file, writePcap([{ data: f }]));
  const out = execFileSync('tshark', ['-o', 'ip.check_checksum:TRUE', '-r', file, '-T', 'fields', '-E', 'separator=|', '-e', 'ip.checksum.status', '-e', 'udp.srcport', '-e', 'udp.dstport', '-e', 'ip.len'], { encoding: 'utf8' });
  t.same(out.trim().split('|'), ['1', '9', '9', '46'], 'tshark: IPv4 checksum good, UDP 9 -> 9, IP length 46');
});

for (const rate of [5000, 0]) {
  t.test(`every frame taken is received (${rate ? `${rate} pps` : 'full speed'})`, async (t) => {
    const lab = new Lab(t, 'bl');
    const nsA = lab.ns('a');
    const nsB = lab.ns('b');
    // no IPv6 autoconfiguration frames in the count
    for (const ns of [nsA, nsB]) lab.withoutIpv6(ns);
    lab.veth('m0', nsA, 'm0', nsB);
    for (const ns of [nsA, nsB]) lab.ip(ns, 'link set m0 up');
    const rx = () => linkStats(nsB, 'm0').rx_packets;
    const before = rx();
    const r = spawnSync('ip', ['netns', 'exec', nsA, process.execPath, blast, 'm0', '1', testFrame().toString('hex'), String(rate)], { encoding: 'utf8', timeout: 30_000 });
    t.equal(r.status, 0, `generator exit 0 ${r.stderr}`);
    const out = JSON.parse(r.stdout.trim()) as { offered: number; accepted: number; seconds: number };
    await sleep(300);
    const got = rx() - before;
    t.ok(out.accepted > 0, `frames sent (${out.accepted} in ${out.seconds.toFixed(2)} s)`);
    t.equal(got, out.accepted, 'B received every frame the socket took');
    if (rate) t.equal(out.offered, out.accepted, 'at a low rate nothing is refused');
  });
}
