// The Prometheus names and labels of CONTRACT.md, read from the shared counters at scrape time.
import t from 'tap';
import { Counters, C_FLOOD_PACKETS, C_RX_BYTES, C_RX_PACKETS, C_TX_PACKETS, C_DROPS, G_PROXY_REPLIES } from '../../src/dataplane/counters.js';
import { R_ARP_SPOOF } from '../../src/dataplane/drop-reasons.js';
import { FDB_ENTRIES, FDB_LEARNED } from '../../src/fdb/fdb-stats.js';
import { createRegistry, serveMetrics } from '../../src/control/metrics.js';

const counters = new Counters(8);
const v = counters.values;
const slots = [
  { name: 'as64500-vx', slot: 1, memberAsn: 64500, up: true },
  { name: 'trunk-ams', slot: 2, memberAsn: null, up: false },
];
v[counters.base(1) + C_RX_PACKETS] = 10;
v[counters.base(1) + C_RX_BYTES] = 1000;
v[counters.base(1) + C_FLOOD_PACKETS] = 3;
v[counters.base(1) + C_DROPS + R_ARP_SPOOF - 1] = 2;
v[counters.base(2) + C_TX_PACKETS] = 7;
v[FDB_ENTRIES] = 5;
v[FDB_LEARNED] = 6;
v[G_PROXY_REPLIES] = 4;

t.test('names, labels and values', async (t) => {
  const text = await createRegistry({ counters, slots: () => slots }).metrics();
  for (const line of [
    'ixfabric_port_rx_packets_total{port="as64500-vx",member_asn="64500"} 10',
    'ixfabric_port_rx_bytes_total{port="as64500-vx",member_asn="64500"} 1000',
    'ixfabric_port_tx_packets_total{port="trunk-ams",member_asn=""} 7',
    'ixfabric_port_drops_total{port="as64500-vx",member_asn="64500",reason="arp_spoof"} 2',
    'ixfabric_port_drops_total{port="as64500-vx",member_asn="64500",reason="malformed"} 0',
    'ixfabric_port_up{port="as64500-vx",member_asn="64500"} 1',
    'ixfabric_port_up{port="trunk-ams",member_asn=""} 0',
    'ixfabric_flood_packets_total{port="as64500-vx",member_asn="64500"} 3',
    'ixfabric_fdb_entries 5',
    'ixfabric_fdb_learned_total 6',
    'ixfabric_fdb_moves_total 0',
    'ixfabric_fdb_evictions_total 0',
    'ixfabric_arp_nd_proxy_replies_total 4',
  ]) t.ok(text.split('\n').includes(line), line);
  t.match(text, /process_cpu_seconds_total/, "prom-client's default process metrics");
  v[counters.base(1) + C_RX_PACKETS] = 11;
  t.match(await createRegistry({ counters, slots: () => slots }).metrics(), /ixfabric_port_rx_packets_total\{port="as64500-vx",member_asn="64500"\} 11/, 'read at scrape time');
});

t.test('served on /metrics', async (t) => {
  const registry = createRegistry({ counters, slots: () => slots });
  const server = await serveMetrics(registry, '127.0.0.1', 0);
  t.teardown(() => new Promise((r) => server.close(r)));
  const port = (server.address() as { port: number }).port;
  const ok = await fetch(`http://127.0.0.1:${port}/metrics`);
  t.equal(ok.status, 200);
  t.match(ok.headers.get('content-type'), /text\/plain/);
  t.match(await ok.text(), /ixfabric_fdb_entries 5/);
  t.equal((await fetch(`http://127.0.0.1:${port}/other`)).status, 404);
});
