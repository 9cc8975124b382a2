// The real RouterOS 7.18 EoIP captures and the synthetic corner cases decode as RouterOS means.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pcapsDir } from '../helpers/paths.js';
import { readPcap } from '../../src/encap/pcap-reader.js';
import { decodeEoipV4, EOIP_BAD_MAGIC, EOIP_FRAME, EOIP_KEEPALIVE, EOIP_TRUNCATED, newEoipPacket } from '../../src/encap/eoip.js';
import { IPPROTO_GRE, newIpv4Header, parseIpv4 } from '../../src/encap/ip.js';
import { newEthernetHeader, parseEthernet } from '../../src/encap/ethernet.js';

function decodeAll(file: string) {
  const { records } = readPcap(readFileSync(join(pcapsDir, file)));
  const ip = newIpv4Header();
  const eo = newEoipPacket();
  const eth = newEthernetHeader();
  const out = { frames: 0, keepalives: 0, other: 0, bad: [] as number[], tunnels: new Set<number>(), ttls: new Set<number>(), innerOk: 0, df: 0 };
  for (const r of records) {
    const d = r.data;
    if (d[12] !== 0x08 || d[13] !== 0x00 || !parseIpv4(d, 14, d.length, ip) || ip.protocol !== IPPROTO_GRE) {
      out.other++;
      continue;
    }
    // Decode exactly the bytes the IP header says belong to the packet (no Ethernet padding).
    const end = 14 + ip.totalLength;
    const rc = decodeEoipV4(d, ip.payloadOffset, end - ip.payloadOffset, eo);
    out.ttls.add(ip.ttl);
    if (d[14 + 6]! & 0x40) out.df++;
    if (rc === EOIP_KEEPALIVE) out.keepalives++;
    else if (rc === EOIP_FRAME) {
      out.frames++;
      if (parseEthernet(d, eo.frameOffset, eo.frameLength, eth)) out.innerOk++;
    } else out.bad.push(rc);
    out.tunnels.add(eo.tunnelId);
  }
  return out;
}

t.test('RouterOS captures: tunnels 100 and 200, keepalives, inner frames', async (t) => {
  for (const f of ['mk-mk-arp', 'mk-mk-idle', 'mk-mk-mtu', 'mk-mk-multi', 'mk-mk-ping', 'mk-mk-updown']) {
    const r = decodeAll(`eoip-rs/${f}.pcap`);
    t.same(r.bad, [], `${f}: nothing malformed`);
    t.equal(r.innerOk, r.frames, `${f}: every inner frame is Ethernet`);
    t.ok([...r.tunnels].every((id) => id === 100 || id === 200), `${f}: tunnel ids ${[...r.tunnels]}`);
    t.equal(r.df, 0, `${f}: DF clear`);
  }
  const idle = decodeAll('eoip-rs/mk-mk-idle.pcap');
  t.ok(idle.keepalives > 0, `idle: ${idle.keepalives} keepalives`);
  t.same([...idle.tunnels].sort(), [100, 200]);
  const multi = decodeAll('eoip-rs/mk-mk-multi.pcap');
  t.same([...multi.tunnels].sort(), [100, 200], 'two tunnels between the same hosts');
});

t.test('synthetic corner cases (pcapflowlab)', async (t) => {
  t.equal(decodeAll('pcapflowlab/04_ipv4_eoip_inner_vlan_ipv4_udp.pcap').frames, 1);
  t.equal(decodeAll('pcapflowlab/05_ipv4_eoip_inner_qinq_ipv6_tcp.pcap').frames, 1);
  t.same(decodeAll('pcapflowlab/13_eoip_payload_length_exceeds_available.pcap').bad, [EOIP_TRUNCATED]);
  t.same(decodeAll('pcapflowlab/22_ipv4_gre_v0_teb_inner_ipv4_udp_not_eoip.pcap').bad, [EOIP_BAD_MAGIC]);
  t.equal(decodeAll('pcapflowlab/20_ipv6_gre_v1_k_6400_inner_ipv4_udp_not_eoip.pcap').other, 1, 'GRE over IPv6 is not MikroTik EoIPv6 (that is EtherIP, protocol 97)');
});
