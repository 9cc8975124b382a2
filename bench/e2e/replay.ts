// tcpreplay of the exchange captures (../shared/pcaps) from A at top speed, counted at B.
//
// The captures' frames are put into one file once per run: VXLAN captures contribute their
// inner frames; every frame gets A's MAC as source and, when its destination is unicast, B's MAC
// as destination (group destinations stay as captured); the payload is untouched (so ARP and ND
// still claim the captured addresses, which ixfabric's guards drop). Frames longer than the
// smallest member MTU allows (VXLAN members: 1450 + 14) are left out, so every variant replays
// the same frames. The file is looped to about REPLAY_TARGET frames.
//
// sent = the distinct frames tcpreplay sent (its own count; A's device counters are reported too:
// they also count frames dropped at A's device, e.g. a full TAP queue, and every retry of a frame
// refused with ENOBUFS); received = B's device rx_packets.
// ixfabric drops by policy what a bridge forwards (link-local control frames, spoofed ARP/ND,
// RAs, DHCP servers, foreign ethertypes, VLAN tags): those come from `ixfabricctl ports` (drops
// by reason during the replay) and are reported separately; lost = sent - received - dropped by
// policy. Linux bridges do not forward IEEE-reserved group addresses 01:80:c2:00:00:01..0f
// (802.1D); the file's count of those is reported with the figures so a bridge's "lost" can be
// read against it.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPcap, toEthernet } from '../../src/encap/pcap-reader.js';
import { writePcap } from '../../src/encap/pcap-writer.js';
import { decodeVxlan } from '../../src/encap/vxlan.js';
import { inNs, pinned, run } from './exec.js';
import { diffStats, linkStats } from './counters.js';
import { handed, settle, sumDrops, switchThroughput } from './pps.js';
import { A, B, GEN_CPU, VXLAN_MTU, type Topology } from './topology.js';

/** The exchange captures replayed, by what they carry. */
export const CAPTURES: { file: string; what: string }[] = [
  { file: 'tcpdump/bgp-4byte-asn.pcap', what: 'BGP sessions + ARP' },
  { file: 'tcpdump/bgp-large-community.pcap', what: 'BGP' },
  { file: 'tcpdump/mpbgp-linklocal-nexthop.pcap', what: 'BGP' },
  { file: 'arkime/cloudshark-bgp-md5.pcap', what: 'BGP (TCP MD5)' },
  { file: 'zeek/communityid-arp.pcap', what: 'ARP' },
  { file: 'zeek/icmp6-nd-options.pcap', what: 'ND (RS, RA, NS, NA, MLD)' },
  { file: 'zeek/communityid-icmp6.pcap', what: 'ICMPv6 + ND' },
  { file: 'tcpdump/vxlan.pcap', what: 'VXLAN inner: ARP, ICMP' },
  { file: 'zeek/vxlan-encapsulated-http.pcap', what: 'VXLAN inner: HTTP' },
  { file: 'ndpi/vxlan.pcap', what: 'VXLAN inner: 802.1Q-tagged TLS, DNS' },
  { file: 'tcpdump/LLDP_and_CDP.pcap', what: 'LLDP, CDP' },
  { file: 'tcpdump/802.1D_spanning_tree.pcap', what: 'STP BPDUs' },
  { file: 'tcpdump/LACP.pcap', what: 'LACP' },
  { file: 'tcpdump/icmpv6-ra-pref64.pcap', what: 'IPv6 RAs' },
  { file: 'zeek/dhcp.pcap', what: 'DHCPv4' },
  { file: 'arkime/ospf.pcap', what: 'router-lab mix (OSPF, IS-IS, BGP, LLDP, PIM, ND)' },
];

export const REPLAY_TARGET = 20_000;
/** Drop reasons that are capacity or state, not policy. */
const NOT_POLICY = new Set(['tx_full', 'tx_error', 'port_down']);

export interface ReplayFile {
  path: string;
  frames: number;
  loops: number;
  skipped: number;
  missing: string[];
  /** Frames (per loop) to IEEE-reserved 01:80:c2:00:00:01..0f, which Linux bridges keep. */
  ieeeReserved: number;
}

function inner(f: Uint8Array): Uint8Array {
  // IPv4/UDP to 4789 or 8472 with a valid VXLAN header: the inner frame
  if (f.length > 50 && f[12] === 0x08 && f[13] === 0x00 && f[23] === 17) {
    const ihl = (f[14]! & 0x0f) * 4;
    const dport = (f[14 + ihl + 2]! << 8) | f[14 + ihl + 3]!;
    if ((dport === 4789 || dport === 8472) && decodeVxlan(f, 14 + ihl + 8, f.length - 14 - ihl - 8) >= 0) return f.subarray(14 + ihl + 16);
  }
  return f;
}

export function prepareReplay(pcaps: string, dir: string): ReplayFile {
  const srcMac = Buffer.from(A.mac.split(':').map((h) => parseInt(h, 16)));
  const dstMac = Buffer.from(B.mac.split(':').map((h) => parseInt(h, 16)));
  const frames: Uint8Array[] = [];
  const missing: string[] = [];
  let skipped = 0;
  let ieeeReserved = 0;
  for (const c of CAPTURES) {
    const p = join(pcaps, c.file);
    if (!existsSync(p)) {
      missing.push(c.file);
      continue;
    }
    for (const r of readPcap(readFileSync(p), { lenient: true }).records) {
      const e = toEthernet(r);
      if (!e) {
        skipped++;
        continue;
      }
      const f = Buffer.from(inner(e));
      if (f.length < 14 || f.length > VXLAN_MTU + 14) {
        skipped++;
        continue;
      }
      srcMac.copy(f, 6);
      if ((f[0]! & 1) === 0) dstMac.copy(f, 0);
      else if (f[0] === 0x01 && f[1] === 0x80 && f[2] === 0xc2 && f[3] === 0 && f[4] === 0 && f[5]! >= 1 && f[5]! <= 0x0f) ieeeReserved++;
      frames.push(f);
    }
  }
  if (frames.length === 0) throw new Error(`no frames in the captures under ${pcaps}`);
  const path = join(dir, 'exchange-mix.pcap');
  writeFileSync(path, writePcap(frames.map((data, i) => ({ data, tsSec: i, tsNsec: 0 }))));
  return { path, frames: frames.length, loops: Math.max(1, Math.round(REPLAY_TARGET / frames.length)), skipped, missing, ieeeReserved };
}

export interface ReplayResult {
  /** Distinct frames tcpreplay sent (its "Successful packets"). */
  sent: number;
  /** Frames handed to A's device, from its counters (a frame tcpreplay retried after ENOBUFS counts each time). */
  handedToA: number;
  /** Of those, dropped at A's device (TAP queue full, veth backlog full, underlay refused). */
  droppedAtA: number;
  received: number;
  /** ixfabric: frames its port for A received and its port for B transmitted. */
  switchRx: number | null;
  switchTx: number | null;
  policyDropped: number | null;
  otherDropped: number | null;
  lost: number;
  /** tcpreplay's own figures. */
  tcpreplaySent: number | null;
  tcpreplayFailed: number | null;
  tcpreplayPps: number | null;
  dropsByReason?: Record<string, number>;
}

export async function measureReplay(topo: Topology, file: ReplayFile): Promise<ReplayResult> {
  const a0 = linkStats(topo.nsA, topo.devA);
  const b0 = linkStats(topo.nsB, topo.devB);
  const ports0 = topo.ports ? await topo.ports() : null;
  const r = await run(inNs(topo.nsA, pinned(GEN_CPU, ['tcpreplay', '--topspeed', '--preload-pcap', '--loop', String(file.loops), '--intf1', topo.devA, file.path])), 180_000);
  if (r.code !== 0) throw new Error(`tcpreplay: ${r.timedOut ? 'timed out' : `exit ${r.code}`}: ${(r.stderr || r.stdout).trim().slice(-400)}`);
  await settle(topo);
  const a = diffStats(a0, linkStats(topo.nsA, topo.devA));
  const b = diffStats(b0, linkStats(topo.nsB, topo.devB));
  const ports1 = topo.ports ? await topo.ports() : null;
  const drops = sumDrops(ports0, ports1);
  const sw = switchThroughput(topo, ports0, ports1);
  let policy: number | null = null;
  let other: number | null = null;
  if (drops) {
    policy = 0;
    other = 0;
    for (const [reason, n] of Object.entries(drops)) {
      if (NOT_POLICY.has(reason)) other += n;
      else policy += n;
    }
  }
  const num = (re: RegExp) => {
    const m = re.exec(r.stdout);
    return m ? Number(m[1]) : null;
  };
  const tcpreplaySent = num(/Successful packets:\s+(\d+)/);
  const sent = tcpreplaySent ?? handed(a);
  return {
    sent,
    handedToA: handed(a),
    droppedAtA: a.tx_dropped + a.tx_errors,
    switchRx: sw?.rx ?? null,
    switchTx: sw?.tx ?? null,
    received: b.rx_packets,
    policyDropped: policy,
    otherDropped: other,
    lost: sent - b.rx_packets - (policy ?? 0),
    tcpreplaySent,
    tcpreplayFailed: num(/Failed packets:\s+(\d+)/),
    tcpreplayPps: num(/Rated:.*?([\d.]+) pps/),
    dropsByReason: drops,
  };
}
