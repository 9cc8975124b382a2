import t from 'tap';
import {
  decodeEoipV4,
  decodeEoipV6,
  EOIP_BAD_MAGIC,
  EOIP_FRAME,
  EOIP_KEEPALIVE,
  EOIP_TRUNCATED,
  newEoipPacket,
  writeEoipV4Header,
  writeEoipV6Header,
} from '../../src/encap/eoip.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

t.test('RouterOS 7.18 keepalive for tunnel 100 (eoip-rs/mk-mk-idle.pcap)', async (t) => {
  const p = newEoipPacket();
  const ka = hex('20 01 64 00 00 00 64 00');
  t.equal(decodeEoipV4(ka, 0, ka.length, p), EOIP_KEEPALIVE);
  t.equal(p.tunnelId, 100);
  const out = Buffer.alloc(8);
  writeEoipV4Header(out, 0, 100, 0);
  t.same(out, ka, 'we send the same bytes');
  const ka200 = hex('20 01 64 00 00 00 c8 00');
  t.equal(decodeEoipV4(ka200, 0, 8, p), EOIP_KEEPALIVE);
  t.equal(p.tunnelId, 200);
});

// pcapflowlab/04: GRE payload of a synthetic EoIP packet, inner 802.1Q frame of 0x32 bytes. Its
// authors wrote the tunnel id 25 big-endian (`00 19`); RouterOS writes it little-endian (see the
// keepalive above), so for a MikroTik peer these bytes mean tunnel 6400.
const VLAN_PACKET = hex(
  '20016400003200190200000081020200000081018100070e08004500002081010000401' + '1e50e0a50000a0a500014d22801bb000ca1d045303034',
);

t.test('frame with big-endian length and little-endian tunnel id', async (t) => {
  const p = newEoipPacket();
  t.equal(decodeEoipV4(VLAN_PACKET, 0, VLAN_PACKET.length, p), EOIP_FRAME);
  t.equal(p.tunnelId, 6400);
  t.equal(p.frameOffset, 8);
  t.equal(p.frameLength, 0x32);
  const hdr = Buffer.alloc(8);
  writeEoipV4Header(hdr, 0, 6400, 0x32);
  t.same(hdr, VLAN_PACKET.subarray(0, 8));
});

t.test('the length field is authoritative', async (t) => {
  const p = newEoipPacket();
  const padded = Buffer.concat([VLAN_PACKET, Buffer.alloc(10, 0xee)]);
  t.equal(decodeEoipV4(padded, 0, padded.length, p), EOIP_FRAME);
  t.equal(p.frameLength, 0x32, 'extra bytes trimmed');
  // pcapflowlab/13: announces 0x20 bytes, carries 0x14.
  const short = hex('20 01 64 00 00 20 00 19 02 00 00 00 81 02 02 00 00 00 81 01 08 00 45 00 00 20 81 01');
  t.equal(decodeEoipV4(short, 0, short.length, p), EOIP_TRUNCATED);
  const tiny = hex('20 01 64 00 00 05 00 19 00 00 00 00 00');
  t.equal(decodeEoipV4(tiny, 0, tiny.length, p), EOIP_TRUNCATED, 'inner frame under 14 bytes');
  t.equal(decodeEoipV4(hex('20 01 64 00 00'), 0, 5, p), EOIP_TRUNCATED, 'under 8 bytes');
});

t.test('not EoIP', async (t) => {
  const p = newEoipPacket();
  // pcapflowlab/22: GRE v0 transparent Ethernet bridging.
  const teb = hex('00 00 65 58 02 00 00 00 81 02 02 00 00 00 81 01 08 00');
  t.equal(decodeEoipV4(teb, 0, teb.length, p), EOIP_BAD_MAGIC);
  const wrongProto = hex('20 01 88 be 00 0e 00 19 00000000000000000000000000000000');
  t.equal(decodeEoipV4(wrongProto, 0, wrongProto.length, p), EOIP_BAD_MAGIC);
});

t.test('IPv6 EtherIP header carries a 12-bit tunnel id', async (t) => {
  const p = newEoipPacket();
  for (const tid of [0, 7, 100, 0x123, 0xfff]) {
    const b = Buffer.alloc(2 + 60);
    writeEoipV6Header(b, 0, tid);
    t.equal(b[0], ((tid >> 8) << 4) | 3);
    t.equal(b[1], tid & 0xff);
    t.equal(decodeEoipV6(b, 0, b.length, p), EOIP_FRAME);
    t.equal(p.tunnelId, tid);
    t.equal(p.frameOffset, 2);
    t.equal(p.frameLength, 60);
  }
  t.equal(decodeEoipV6(hex('03 64'), 0, 2, p), EOIP_KEEPALIVE);
  t.equal(decodeEoipV6(hex('30 00 00'), 0, 3, p), EOIP_BAD_MAGIC, 'RFC 3378 version nibble position is not MikroTik');
  t.equal(decodeEoipV6(hex('03 64 00 00 00'), 0, 5, p), EOIP_TRUNCATED);
  t.equal(decodeEoipV6(hex('03'), 0, 1, p), EOIP_TRUNCATED);
});
