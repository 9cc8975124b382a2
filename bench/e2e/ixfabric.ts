// ixfabricd as the switch: the daemon in namespace S, pinned to the switch CPU, with members A and
// B connected three ways (TAP devices the daemon creates and hands to the members, AF_PACKET on
// veths, VXLAN from kernel vxlan devices in the members' namespaces).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from '../lib/netns.js';
import { inNs, pinned, run, start, type Proc } from './exec.js';
import { ctlBin, daemonBin } from './paths.js';
import {
  A,
  B,
  GEN_CPU,
  newLab,
  PEERING_LAN,
  S_VTEP,
  SWITCH_CPU,
  tapMembers,
  vethMembers,
  VXLAN_MTU,
  vxlanMembers,
  type Member,
  type PortCounters,
  type Topology,
} from './topology.js';

let dataplanePriority = 0;
/** pop.dataplane_priority of the daemons the ixfabric variants start (bench:e2e --dataplane-priority). */
export function setDataplanePriority(priority: number): void {
  dataplanePriority = priority;
}

/** The registry: A and B with their static MACs; BUM rate limit high enough for the replay. */
function registry(dir: string, underlay: string, conn: (m: Member) => string): string {
  const member = (m: Member) => `  - { asn: ${m.asn}, name: ${m.name}, macs: ["${m.mac}"], ipv4: [${m.ip}], connections: [${conn(m)}] }`;
  return `pop:
  name: bench
  underlay: { ipv4: ${underlay} }
  dataplane_priority: ${dataplanePriority}
fabric:
  peering_lan: { ipv4: ${PEERING_LAN} }
  # the 64-byte stream is known unicast; the replay's broadcasts must not meet the default 500/s
  bum_pps_per_port: 1000000
  fdb: { max_macs_per_port: 4 }
control:
  socket: ${dir}/pop.sock
  metrics: false
  state_dir: ${dir}/state
members:
${member(A)}
${member(B)}
`;
}

export class IxfabricDaemon {
  proc: Proc | null = null;
  readonly socket: string;
  readonly log: string;

  constructor(readonly ns: string, readonly dir: string, readonly config: string) {
    this.socket = join(dir, 'pop.sock');
    this.log = join(dir, 'ixfabricd.log');
  }

  async start(): Promise<void> {
    this.proc = start(inNs(this.ns, pinned(SWITCH_CPU, [process.execPath, daemonBin, '--config', this.config])), { timeoutMs: 6 * 3600_000, logFile: this.log });
    const end = Date.now() + 30_000;
    for (;;) {
      if (!this.proc.running) throw new Error(`ixfabricd exited (${(await this.proc.done).code}): ${this.logTail()}`);
      if (existsSync(this.socket) && (await this.ctlRaw(['status'])).code === 0) return;
      if (Date.now() > end) throw new Error(`ixfabricd did not answer on its control socket within 30 s: ${this.logTail()}`);
      await sleep(200);
    }
  }

  logTail(): string {
    return existsSync(this.log) ? readFileSync(this.log, 'utf8').split('\n').slice(-8).join('\n') : '';
  }

  ctlRaw(args: string[]) {
    return run(pinned(GEN_CPU, [process.execPath, ctlBin, '--socket', this.socket, '--json', ...args]), 30_000);
  }

  async ctl<T>(...args: string[]): Promise<T> {
    const r = await this.ctlRaw(args);
    if (r.code !== 0) throw new Error(`ixfabricctl ${args.join(' ')}: ${r.timedOut ? 'timed out' : `exit ${r.code}`}: ${r.stderr.trim()}`);
    return JSON.parse(r.stdout) as T;
  }

  ports(): Promise<PortCounters[]> {
    return this.ctl<PortCounters[]>('ports');
  }

  async waitPortsUp(names: string[], timeoutMs = 20_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const ports = await this.ports();
      const down = names.filter((n) => ports.find((p) => p.name === n)?.state !== 'up');
      if (down.length === 0) return;
      if (Date.now() > end) throw new Error(`ixfabric ports not up: ${down.map((n) => `${n} (${JSON.stringify(ports.find((p) => p.name === n) ?? 'missing')})`).join(', ')}`);
      await sleep(200);
    }
  }

  async stop(): Promise<void> {
    if (this.proc?.running) await this.proc.stop('SIGTERM', 15_000);
  }
}

function portName(m: Member, abbr: string): string {
  return `as${m.asn}-${abbr}`;
}

async function withDaemon(
  variant: string,
  parts: ReturnType<typeof newLab>,
  underlay: string,
  conn: (m: Member) => string,
  abbr: string,
): Promise<{ daemon: IxfabricDaemon; base: Omit<Topology, 'devA' | 'devB' | 'devKind' | 'mtu' | 'notes'> }> {
  const { lab, nsS, nsA, nsB } = parts;
  const config = lab.file('ixfabric.yaml', registry(lab.dir, underlay, conn));
  const daemon = new IxfabricDaemon(nsS, lab.dir, config);
  await daemon.start();
  const portA = portName(A, abbr);
  const portB = portName(B, abbr);
  await daemon.waitPortsUp([portA, portB]);
  return {
    daemon,
    base: {
      variant,
      lab,
      nsA,
      nsB,
      nsS,
      switchPid: daemon.proc!.pid ?? null,
      ports: () => daemon.ports(),
      portA,
      portB,
      close: () => daemon.stop(),
    },
  };
}

/** ixfabric with TAP members: the daemon creates the TAPs in S; they are moved into A and B. */
export async function buildIxfabricTap(): Promise<Topology> {
  const parts = newLab('t');
  const { lab, nsS, nsA, nsB } = parts;
  const tap = { A: lab.ifname('ta'), B: lab.ifname('tb') };
  const { base } = await withDaemon('ixfabric-tap', parts, '127.0.0.1', (m) => `{ type: tap, interface: ${tap[m.name]} }`, 'tap');
  const notes = tapMembers(nsS, nsA, nsB, tap);
  return { ...base, devA: tap.A, devB: tap.B, devKind: 'tap', mtu: 1500, notes };
}

/** ixfabric with AF_PACKET members: veths A↔S and B↔S, `ethernet` ports on S's ends. */
export async function buildIxfabricAfpacket(): Promise<Topology> {
  const parts = newLab('p');
  const { lab, nsS, nsA, nsB } = parts;
  const outer = { A: lab.ifname('pa'), B: lab.ifname('pb') };
  const notes = vethMembers(lab, nsS, nsA, nsB, outer);
  const { base } = await withDaemon('ixfabric-afpacket', parts, '127.0.0.1', (m) => `{ type: ethernet, interface: ${outer[m.name]} }`, 'eth');
  return { ...base, devA: 'm0', devB: 'm0', devKind: 'veth', mtu: 1500, notes };
}

/** ixfabric with VXLAN members: kernel vxlan devices in A and B, the daemon's VTEP in S. */
export async function buildIxfabricVxlan(): Promise<Topology> {
  const parts = newLab('v');
  const { lab, nsS, nsA, nsB } = parts;
  const notes = vxlanMembers(lab, nsS, nsA, nsB);
  const { base } = await withDaemon('ixfabric-vxlan', parts, S_VTEP, (m) => `{ type: vxlan, remote: ${m.underlay}, vni: ${m.vni} }`, 'vx');
  return { ...base, devA: 'vx0', devB: 'vx0', devKind: 'vxlan', mtu: VXLAN_MTU, notes };
}
