// From a checked draft (no errors left) to the `Config` the daemon runs: this POP's ports with
// their names, parameters, effective policy and fingerprint; plain data in file order.

import { portFingerprint } from './config-fingerprint.js';
import { openvpnInterface, planPorts, type PlannedPort } from './config-ports.js';
import { DEFAULTS, type Draft, type DraftMember } from './config-schema.js';
import { normaliseIxf } from './ixf-export.js';
import { normaliseMemberRouteServer, normaliseRouteServer } from './rs-config.js';
import type {
  Config,
  MemberConfig,
  PolicyConfig,
  PortCommon,
  PortConfig,
  PortParams,
} from './config-types.js';

/** Thrown only when a checked draft still lacks a value: a bug here, not bad input. */
export class DraftIncomplete extends Error {}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new DraftIncomplete(`missing ${what} after validation`);
  return value;
}

const sorted = (xs: number[]): number[] => [...new Set(xs)].sort((a, b) => a - b);

export function normalise(draft: Draft, thisPop: string, path: string): Config {
  const fabric: Config['fabric'] = {
    peeringLan: {
      ipv4: draft.fabric.peeringLan.ipv4?.text ?? null,
      ipv6: draft.fabric.peeringLan.ipv6?.text ?? null,
    },
    fdb: {
      agingS: need(draft.fabric.agingS, 'fabric.fdb.aging_s'),
      maxEntries: need(draft.fabric.maxEntries, 'fabric.fdb.max_entries'),
      maxMacsPerPort: need(draft.fabric.maxMacsPerPort, 'fabric.fdb.max_macs_per_port'),
    },
    bumPpsPerPort: need(draft.fabric.bumPpsPerPort, 'fabric.bum_pps_per_port'),
    arpNdProxy: need(draft.fabric.arpNdProxy, 'fabric.arp_nd_proxy'),
  };
  const c = draft.control;
  const control: Config['control'] = {
    socket: need(c.socket, 'control.socket'),
    socketGroup: need(c.socketGroup, 'control.socket_group'),
    socketMode: need(c.socketMode, 'control.socket_mode'),
    metrics: need(c.metrics, 'control.metrics'),
    stateDir: need(c.stateDir, 'control.state_dir'),
  };
  const underlay = {
    ipv4: draft.pop.underlay.ipv4?.text ?? null,
    ipv6: draft.pop.underlay.ipv6?.text ?? null,
  };
  const vxlanPort = need(draft.pop.vxlanPort, 'pop.vxlan_port');
  const vxlanTransport = need(draft.pop.vxlanTransport, 'pop.vxlan_transport');
  const dataplanePriority = need(draft.pop.dataplanePriority, 'pop.dataplane_priority');

  const routeServer = normaliseRouteServer(draft.routeServer);
  const policies = new Map<DraftMember, PolicyConfig>();
  for (const m of draft.members) policies.set(m, effectivePolicy(m, fabric));

  const ports = planPorts(draft, thisPop, thisPop).map((p) =>
    portConfig(p, { underlay, vxlanPort, policy: p.kind === 'member' ? policies.get(p.member) : undefined }),
  );

  const members: MemberConfig[] = draft.members.map((m) => ({
    asn: need(m.asn, `${m.field}.asn`),
    name: need(m.name, `${m.field}.name`),
    macs: m.macs.map((x) => x.value),
    ipv4: m.ipv4.map((x) => x.value.text),
    ipv6: m.ipv6.map((x) => x.value.text),
    policy: need(policies.get(m), `${m.field}.policy`),
    ports: ports.filter((p) => p.kind === 'member' && p.memberAsn === m.asn).map((p) => p.name),
    routeServer: normaliseMemberRouteServer(m.routeServer, routeServer),
    source: m.source,
    connectionCount: m.connections.length,
  }));

  const ixf = normaliseIxf(draft.ixf, thisPop);
  return { path, pop: thisPop, underlay, vxlanPort, vxlanTransport, dataplanePriority, fabric, control, members, ports, routeServer, ixf };
}

function effectivePolicy(m: DraftMember, fabric: Config['fabric']): PolicyConfig {
  const p = m.policy;
  return {
    allowVlanTags: sorted(p.allowVlanTags ?? []),
    extraEthertypes: sorted(p.extraEthertypes ?? []),
    maxMacs: p.maxMacs ?? fabric.fdb.maxMacsPerPort,
    bumPps: p.bumPps ?? fabric.bumPpsPerPort,
    raGuard: p.raGuard ?? true,
    dhcpGuard: p.dhcpGuard ?? true,
    arpGuard: p.arpGuard ?? true,
    ndGuard: p.ndGuard ?? true,
    allowLinkLocalNd: p.allowLinkLocalNd ?? true,
    filterLinkLocal: p.filterLinkLocal ?? true,
  };
}

interface PortEnv {
  underlay: Config['underlay'];
  vxlanPort: number;
  policy: PolicyConfig | undefined;
}

function localFor(family: 4 | 6, env: PortEnv, what: string): string {
  return need((family === 4 ? env.underlay.ipv4 : env.underlay.ipv6) ?? undefined, what);
}

function portParams(p: PlannedPort, env: PortEnv): PortParams {
  if (p.kind === 'trunk') {
    const t = p.trunk;
    const remote = need(t.remote, `${t.field}.remote`);
    return {
      type: 'vxlan',
      remote: remote.text,
      family: remote.family,
      vni: need(t.vni, `${t.field}.vni`),
      port: t.port ?? env.vxlanPort,
      local: localFor(remote.family, env, 'pop.underlay'),
      listenPort: env.vxlanPort,
    };
  }
  const c = p.conn;
  const type = need(c.type, `${c.field}.type`);
  switch (type) {
    case 'vxlan': {
      const remote = need(c.remote, `${c.field}.remote`);
      return {
        type,
        remote: remote.text,
        family: remote.family,
        vni: need(c.vni, `${c.field}.vni`),
        port: c.port ?? env.vxlanPort,
        local: c.local?.text ?? localFor(remote.family, env, 'pop.underlay'),
        listenPort: env.vxlanPort,
      };
    }
    case 'eoip': {
      const remote = need(c.remote, `${c.field}.remote`);
      return {
        type,
        remote: remote.text,
        family: remote.family,
        tunnelId: need(c.tunnelId, `${c.field}.tunnel_id`),
        local: localFor(remote.family, env, 'pop.underlay'),
        keepaliveS: need(c.keepaliveS, `${c.field}.keepalive_s`),
        timeoutS: need(c.timeoutS, `${c.field}.timeout_s`),
      };
    }
    case 'openvpn':
      return {
        type,
        listenPort: need(c.listenPort, `${c.field}.listen_port`),
        peerFingerprint: need(c.peerFingerprint, `${c.field}.peer_fingerprint`),
        interface: need(openvpnInterface(c), `${c.field}.interface`),
      };
    default:
      return {
        type,
        interface: need(c.interface, `${c.field}.interface`),
        mtu: c.mtu ?? DEFAULTS.mtu,
      };
  }
}

function portConfig(p: PlannedPort, env: PortEnv): PortConfig {
  const params = portParams(p, env);
  const name = need(p.name, `${p.field}.name`);
  let common: Omit<PortCommon, 'fingerprint'>;
  if (p.kind === 'trunk') {
    const trunkPop = need(p.trunk.pop, `${p.field}.pop`);
    common = { name, kind: 'trunk', memberAsn: null, trunkPop, macs: [], ipv4: [], ipv6: [], policy: null };
  } else {
    const m = p.member;
    common = {
      name,
      kind: 'member',
      memberAsn: need(m.asn, `${m.field}.asn`),
      trunkPop: null,
      macs: m.macs.map((x) => x.value),
      ipv4: m.ipv4.map((x) => x.value.text),
      ipv6: m.ipv6.map((x) => x.value.text),
      policy: need(env.policy, `${m.field}.policy`),
    };
  }
  const fingerprint = portFingerprint(common, params);
  return { ...common, ...params, fingerprint };
}
