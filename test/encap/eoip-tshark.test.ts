// What our EoIP encoder writes, Wireshark must dissect as MikroTik EoIP (GRE 0x6400) with the
// right key over IPv4, and as EtherIP over IPv6.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePcap } from '../../src/encap/pcap-writer.js';
import { writeEoipV4Header, writeEoipV6Header } from '../../src/encap/eoip.js';
import { ethernetFrame, icmpEchoFrame, ipv4Packet, ipv6Packet } from '../../src/encap/frame-builder.js';
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from '../../src/encap/ethernet.js';
import { IPPROTO_ETHERIP, IPPROTO_GRE } from '../../src/encap/ip.js';

const dir = mkdtempSync(join(tmpdir(), 'ixf-eoip-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function tshark(file: string, fields: string[]): string[][] {
  const out = execFileSync('tshark', ['-r', file, '-T', 'fields', '-E', 'separator=|', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.trim().split('\n').map((l) => l.split('|'));
}

const inner = (n: number) => icmpEchoFrame({ dst: '02:00:00:00:00:0b', src: `02:00:00:00:00:${n.toString(16).padStart(2, '0')}`, srcIp: '192.0.2.10', dstIp: '192.0.2.11' });
const outer = { dst: '02:00:00:00:01:02', src: '02:00:00:00:01:01' };

t.test('IPv4: GRE protocol 0x6400 with the tunnel id in the key', async (t) => {
  const tunnels = [0, 7, 100, 0x1234, 0xffff];
  const frames = tunnels.map((tid, k) => {
    const f = inner(k + 1);
    const gre = Buffer.alloc(8 + f.length);
    writeEoipV4Header(gre, 0, tid, f.length);
    f.copy(gre, 8);
    return ethernetFrame({ ...outer, ethertype: ETHERTYPE_IPV4 }, ipv4Packet('198.51.100.1', '203.0.113.7', IPPROTO_GRE, gre, 255));
  });
  const keepalive = Buffer.alloc(8);
  writeEoipV4Header(keepalive, 0, 100, 0);
  frames.push(ethernetFrame({ ...outer, ethertype: ETHERTYPE_IPV4 }, ipv4Packet('198.51.100.1', '203.0.113.7', IPPROTO_GRE, keepalive, 255)));
  const file = join(dir, 'eoip4.pcap');
  writeFileSync(file, writePcap(frames.map((data) => ({ data }))));
  const rows = tshark(file, ['gre.proto', 'gre.key', 'eth.src', '_ws.col.Protocol']);
  t.equal(rows.length, frames.length);
  tunnels.forEach((tid, k) => {
    const [proto, key, src] = rows[k]!;
    t.equal(proto, '0x6400', 'MIKROTIK EoIP');
    // Wireshark reads the 4 bytes after the protocol as a key: length (BE) then id (LE).
    const len = inner(k + 1).length;
    const expected = (len << 16) | ((tid & 0xff) << 8) | (tid >> 8);
    t.equal(Number(key), expected >>> 0, `key for tunnel ${tid}`);
    t.match(src!, new RegExp(`02:00:00:00:00:0${k + 1},?`), 'inner Ethernet dissected');
  });
  t.equal(Number(rows[5]![1]), 0x6400, 'keepalive for tunnel 100: key 00 00 64 00, as RouterOS sends');
});

t.test('IPv6: EtherIP (protocol 97) carrying the frame', async (t) => {
  const tunnels = [0, 7, 100, 0xfff];
  const frames = tunnels.map((tid, k) => {
    const f = inner(k + 1);
    const p = Buffer.alloc(2 + f.length);
    writeEoipV6Header(p, 0, tid);
    f.copy(p, 2);
    return ethernetFrame({ ...outer, ethertype: ETHERTYPE_IPV6 }, ipv6Packet('2001:db8:100::1', '2001:db8:200::7', IPPROTO_ETHERIP, p, 255));
  });
  const file = join(dir, 'eoip6.pcap');
  writeFileSync(file, writePcap(frames.map((data) => ({ data }))));
  const rows = tshark(file, ['ipv6.nxt', 'etherip.ver', 'eth.src']);
  t.equal(rows.length, frames.length);
  tunnels.forEach((tid, k) => {
    const [nxt, ver, src] = rows[k]!;
    t.equal(nxt, '97');
    t.not(ver, '', 'EtherIP dissected');
    // Wireshark's EtherIP version field is the top nibble of the first 16 bits: for MikroTik
    // that nibble is the high bits of the tunnel id.
    t.equal(Number(ver), tid >> 8);
    t.match(src!, new RegExp(`02:00:00:00:00:0${k + 1}`), 'inner Ethernet dissected');
  });
});
