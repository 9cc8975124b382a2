// Prometheus endpoint (prom-client). Values are read at scrape time from the counters the
// dataplane worker keeps in shared memory: a scrape never stops forwarding. Metric names and
// labels are fixed by CONTRACT.md.

import { createServer, type Server } from 'node:http';
import { Counter, Gauge, collectDefaultMetrics, Registry } from 'prom-client';
import type { Counters } from '../dataplane/counters.js';
import { C_DROPS, C_FLOOD_PACKETS, C_RX_BYTES, C_RX_PACKETS, C_TX_BYTES, C_TX_PACKETS, G_NO_PORT, G_PROXY_REPLIES } from '../dataplane/counters.js';
import { DROP_REASONS } from '../dataplane/drop-reasons.js';
import { FDB_ENTRIES, FDB_EVICTED, FDB_LEARNED, FDB_MOVED } from '../fdb/fdb-stats.js';

/** One row per counter slot: member ports, trunks and the shared tunnel sockets. */
export interface MetricSlot {
  name: string;
  slot: number;
  memberAsn: number | null;
  up: boolean;
}

export interface MetricsSource {
  counters: Counters;
  slots(): MetricSlot[];
}

export function createRegistry(src: MetricsSource): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labels = ['port', 'member_asn'] as const;
  const v = () => src.counters.values;
  const lbl = (s: MetricSlot) => ({ port: s.name, member_asn: s.memberAsn === null ? '' : String(s.memberAsn) });
  const perPort = (name: string, help: string, field: number) =>
    new Counter({
      name,
      help,
      labelNames: labels,
      registers: [registry],
      collect() {
        this.reset();
        for (const s of src.slots()) this.inc(lbl(s), v()[src.counters.base(s.slot) + field]!);
      },
    });
  perPort('ixfabric_port_rx_packets_total', 'Frames received on the port (tunnel packets for a shared socket).', C_RX_PACKETS);
  perPort('ixfabric_port_tx_packets_total', 'Frames sent on the port.', C_TX_PACKETS);
  perPort('ixfabric_port_rx_bytes_total', 'Bytes received on the port (Ethernet frames; whole datagrams for a shared socket).', C_RX_BYTES);
  perPort('ixfabric_port_tx_bytes_total', 'Bytes sent on the port (Ethernet frames).', C_TX_BYTES);
  perPort('ixfabric_flood_packets_total', 'Frames received on the port that were flooded (broadcast, multicast, unknown unicast).', C_FLOOD_PACKETS);
  new Counter({
    name: 'ixfabric_port_drops_total',
    help: 'Frames dropped, by port and reason (see the README for each reason).',
    labelNames: [...labels, 'reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of src.slots()) {
        const b = src.counters.base(s.slot);
        DROP_REASONS.forEach((reason, i) => this.inc({ ...lbl(s), reason }, v()[b + C_DROPS + i]!));
      }
    },
  });
  new Gauge({
    name: 'ixfabric_port_up',
    help: '1 when the port is attached to its device or tunnel, else 0.',
    labelNames: labels,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of src.slots()) this.set(lbl(s), s.up ? 1 : 0);
    },
  });
  new Gauge({ name: 'ixfabric_fdb_entries', help: 'Entries in the forwarding table (learned, static and remote).', registers: [registry], collect() { this.set(v()[FDB_ENTRIES]!); } });
  const fdbCounter = (name: string, help: string, slot: number) =>
    new Counter({ name, help, registers: [registry], collect() { this.reset(); this.inc(v()[slot]!); } });
  fdbCounter('ixfabric_fdb_learned_total', 'MACs learned.', FDB_LEARNED);
  fdbCounter('ixfabric_fdb_moves_total', 'MACs that moved to another port.', FDB_MOVED);
  fdbCounter('ixfabric_fdb_evictions_total', 'Entries evicted because the table was full (fair eviction).', FDB_EVICTED);
  fdbCounter('ixfabric_arp_nd_proxy_replies_total', 'ARP requests and neighbour solicitations answered by the POP (fabric.arp_nd_proxy).', G_PROXY_REPLIES);
  fdbCounter('ixfabric_orphan_frames_total', 'Frames received for a port that was being removed.', G_NO_PORT);
  return registry;
}

/** Serves `/metrics` on host:port. */
export async function serveMetrics(registry: Registry, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics' && !req.url?.startsWith('/metrics?')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('see /metrics\n');
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
