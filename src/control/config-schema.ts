// The shape of the config file: which keys exist at each level, their types and defaults.
// Reading produces a `Draft`: the file's content checked key by key, defaults filled, values
// that failed their check left undefined (the error is already recorded). Cross-field rules
// are in config-checks.ts; docs/config.md documents every key read here.

import { isScalar } from 'yaml';
import type { IpAddress, IpPrefix } from './config-address.js';
import type { Leaf, MapReader, ReadContext } from './config-reader.js';
import type { ConnectionType } from './config-types.js';
import * as v from './config-values.js';
import { readIxf, type DraftIxf } from './ixf-export.js';
import { readMembersFromIxf } from './ixf-import.js';
import {
  readMemberRouteServer,
  readRouteServer,
  type DraftMemberRouteServer,
  type DraftRouteServer,
} from './rs-config.js';

export const DEFAULTS = {
  vxlanPort: 4789,
  vxlanTransport: 'native',
  dataplanePriority: 0,
  agingS: 300,
  maxEntries: 100000,
  maxMacsPerPort: 4,
  bumPpsPerPort: 500,
  socket: '/run/ixfabric/ixfabric.sock',
  socketMode: 0o660,
  metrics: { host: '127.0.0.1', port: 9477 },
  stateDir: '/var/lib/ixfabric',
  mtu: 1500,
  eoipKeepaliveS: 10,
  eoipTimeoutS: 100,
} as const;

export interface Draft {
  pop: {
    name?: string;
    underlay: { ipv4?: IpAddress; ipv6?: IpAddress };
    vxlanPort?: number;
    vxlanTransport?: 'native' | 'dgram';
    dataplanePriority?: number;
  };
  fabric: {
    peeringLan: { ipv4?: IpPrefix; ipv6?: IpPrefix };
    agingS?: number;
    maxEntries?: number;
    maxMacsPerPort?: number;
    bumPpsPerPort?: number;
    arpNdProxy?: boolean;
  };
  control: {
    socket?: string;
    socketGroup?: string | number | null;
    socketMode?: number;
    metrics?: { host: string; port: number } | null;
    stateDir?: string;
  };
  trunks: DraftTrunk[];
  members: DraftMember[];
  /** The `route_server` section; undefined when absent. */
  routeServer?: DraftRouteServer;
  ixf: DraftIxf;
}

/** A value with the field path it came from (for errors that point at it later). */
export interface At<T> {
  value: T;
  field: string;
}

export interface DraftTrunk {
  field: string;
  offset: number;
  pop?: string;
  remote?: IpAddress;
  vni?: number;
  port?: number;
  name?: string;
}

export interface DraftPolicy {
  allowVlanTags?: number[];
  extraEthertypes?: number[];
  maxMacs?: number;
  bumPps?: number;
  raGuard?: boolean;
  dhcpGuard?: boolean;
  arpGuard?: boolean;
  ndGuard?: boolean;
  allowLinkLocalNd?: boolean;
  filterLinkLocal?: boolean;
}

export interface DraftMember {
  field: string;
  asn?: number;
  name?: string;
  macs: At<string>[];
  ipv4: At<IpAddress>[];
  ipv6: At<IpAddress>[];
  policy: DraftPolicy;
  connections: DraftConnection[];
  routeServer: DraftMemberRouteServer;
  /** `ixf`: read from the `members_from_ixf` file (no connections, no policy). */
  source: 'yaml' | 'ixf';
}

export interface DraftConnection {
  field: string;
  offset: number;
  type?: ConnectionType;
  pop?: string;
  name?: string;
  remote?: IpAddress;
  local?: IpAddress;
  vni?: number;
  port?: number;
  tunnelId?: number;
  keepaliveS?: number;
  timeoutS?: number;
  listenPort?: number;
  peerFingerprint?: string;
  interface?: string;
  mtu?: number;
}

export function readDraft(ctx: ReadContext, root: unknown): Draft | undefined {
  const r = ctx.map('', root);
  if (!r) return undefined;
  const draft: Draft = {
    pop: readPop(r.map('pop', { required: true })),
    fabric: readFabric(r.map('fabric', { required: true })),
    control: readControl(r.map('control')),
    trunks: r.list('trunks', (node, f) => readTrunk(ctx, node, f)) ?? [],
    members: r.list('members', (node, f) => readMember(ctx, node, f)) ?? [],
    routeServer: readRouteServer(r.map('route_server')),
    ixf: readIxf(r.map('ixf')),
  };
  draft.members.push(...readMembersFromIxf(r, draft.members));
  r.done();
  return draft;
}

function readPop(r: MapReader | undefined): Draft['pop'] {
  if (!r) return { underlay: {} };
  const u = r.map('underlay', { required: true });
  const underlay = { ipv4: u?.leaf('ipv4', v.ipv4Address), ipv6: u?.leaf('ipv6', v.ipv6Address) };
  if (u && !u.has('ipv4') && !u.has('ipv6')) {
    u.ctx.error(u.field, 'needs an ipv4 or an ipv6 address (or both)');
  }
  u?.done();
  const pop = {
    name: r.leaf('name', v.popName, { required: true }),
    underlay,
    vxlanPort: r.opt('vxlan_port', v.udpPort, DEFAULTS.vxlanPort),
    vxlanTransport: r.opt('vxlan_transport', v.vxlanTransport, DEFAULTS.vxlanTransport),
    dataplanePriority: r.opt('dataplane_priority', v.intRange(0, 99), DEFAULTS.dataplanePriority),
  };
  r.done();
  return pop;
}

function readFabric(r: MapReader | undefined): Draft['fabric'] {
  if (!r) return { peeringLan: {} };
  const lan = r.map('peering_lan', { required: true });
  const peeringLan = { ipv4: lan?.leaf('ipv4', v.prefix(4)), ipv6: lan?.leaf('ipv6', v.prefix(6)) };
  if (lan && !lan.has('ipv4') && !lan.has('ipv6')) {
    lan.ctx.error(lan.field, 'needs an ipv4 or an ipv6 prefix (or both)');
  }
  lan?.done();
  const fdb = r.map('fdb');
  const fabric = {
    peeringLan,
    agingS: fdb ? fdb.opt('aging_s', v.intRange(1, 604800), DEFAULTS.agingS) : DEFAULTS.agingS,
    maxEntries: fdb
      ? fdb.opt('max_entries', v.intRange(1, 10000000), DEFAULTS.maxEntries)
      : DEFAULTS.maxEntries,
    maxMacsPerPort: fdb
      ? fdb.opt('max_macs_per_port', v.intRange(0, 1000000), DEFAULTS.maxMacsPerPort)
      : DEFAULTS.maxMacsPerPort,
    bumPpsPerPort: r.opt('bum_pps_per_port', v.intRange(1, 10000000), DEFAULTS.bumPpsPerPort),
    arpNdProxy: r.opt('arp_nd_proxy', v.bool, false),
  };
  fdb?.done();
  r.done();
  return fabric;
}

function readControl(r: MapReader | undefined): Draft['control'] {
  if (!r) {
    return {
      socket: DEFAULTS.socket,
      socketGroup: null,
      socketMode: DEFAULTS.socketMode,
      metrics: { ...DEFAULTS.metrics },
      stateDir: DEFAULTS.stateDir,
    };
  }
  const control = {
    socket: r.opt('socket', v.absolutePath(107, 'a Unix socket path'), DEFAULTS.socket),
    socketGroup: r.opt('socket_group', v.groupLeaf, null),
    socketMode: r.opt('socket_mode', v.fileMode, DEFAULTS.socketMode),
    metrics: r.opt('metrics', v.metricsListen, { ...DEFAULTS.metrics }),
    stateDir: r.opt('state_dir', v.absolutePath(4095, 'PATH_MAX'), DEFAULTS.stateDir),
  };
  r.done();
  return control;
}

function readTrunk(ctx: ReadContext, node: unknown, field: string): DraftTrunk | undefined {
  const r = ctx.map(field, node);
  if (!r) return undefined;
  const trunk: DraftTrunk = {
    field,
    offset: ctx.at(field).offset,
    pop: r.leaf('pop', v.popName, { required: true }),
    remote: r.leaf('remote', v.ipAddress, { required: true }),
    vni: r.leaf('vni', v.vni, { required: true }),
    port: r.leaf('port', v.udpPort),
    name: r.leaf('name', v.portName),
  };
  r.done();
  return trunk;
}

function readMember(ctx: ReadContext, node: unknown, field: string): DraftMember | undefined {
  const r = ctx.map(field, node);
  if (!r) return undefined;
  const at =
    <T>(leaf: Leaf<T>) =>
    (n: unknown, f: string): At<T> | undefined => {
      const value = ctx.leaf(f, n, leaf);
      return value === undefined ? undefined : { value, field: f };
    };
  const member: DraftMember = {
    field,
    asn: r.leaf('asn', v.asn, { required: true }),
    name: r.leaf('name', v.nonEmptyText, { required: true }),
    macs: r.list('macs', at(v.unicastMac)) ?? [],
    ipv4: r.list('ipv4', at(v.ipv4Address)) ?? [],
    ipv6: r.list('ipv6', at(v.ipv6Address)) ?? [],
    policy: readPolicy(r.map('policy')),
    connections: r.list('connections', (n, f) => readConnection(ctx, n, f)) ?? [],
    routeServer: readMemberRouteServer(r.map('route_server')),
    source: 'yaml',
  };
  r.done();
  return member;
}

function readPolicy(r: MapReader | undefined): DraftPolicy {
  if (!r) return {};
  // allow_vlan_tags: false (untagged only, the default) or a list of VLAN ids.
  const vlan = r.raw('allow_vlan_tags');
  let allowVlanTags: number[] | undefined;
  if (vlan.present) {
    const f = r.sub('allow_vlan_tags');
    const n = r.ctx.resolve(vlan.node);
    if (isScalar(n) && n.value === false) allowVlanTags = [];
    else if (isScalar(n) && n.value !== null) r.ctx.error(f, 'must be false or a list of VLAN ids');
    else allowVlanTags = r.ctx.list(f, vlan.node, (item, itemField) => r.ctx.leaf(itemField, item, v.vlanId));
  }
  const policy: DraftPolicy = {
    allowVlanTags,
    extraEthertypes: r.list('extra_ethertypes', (n, f) => r.ctx.leaf(f, n, v.ethertype)),
    maxMacs: r.leaf('max_macs', v.intRange(0, 1000000)),
    bumPps: r.leaf('bum_pps', v.intRange(1, 10000000)),
    raGuard: r.leaf('ra_guard', v.bool),
    dhcpGuard: r.leaf('dhcp_guard', v.bool),
    arpGuard: r.leaf('arp_guard', v.bool),
    ndGuard: r.leaf('nd_guard', v.bool),
    allowLinkLocalNd: r.leaf('allow_link_local_nd', v.bool),
    filterLinkLocal: r.leaf('filter_link_local', v.bool),
  };
  r.done();
  return policy;
}

/** Keys each connection type accepts besides `type`, `pop` and `name`. */
const TYPE_KEYS: Record<ConnectionType, readonly string[]> = {
  vxlan: ['remote', 'vni', 'port', 'local'],
  eoip: ['remote', 'tunnel_id', 'keepalive_s', 'timeout_s'],
  openvpn: ['listen_port', 'peer_fingerprint', 'interface'],
  zerotier: ['interface', 'mtu'],
  ethernet: ['interface', 'mtu'],
  l2: ['interface', 'mtu'],
  tap: ['interface', 'mtu'],
};

function readConnection(ctx: ReadContext, node: unknown, field: string): DraftConnection | undefined {
  const r = ctx.map(field, node);
  if (!r) return undefined;
  const c: DraftConnection = { field, offset: ctx.at(field).offset };
  c.type = r.leaf('type', v.connectionType, { required: true });
  c.pop = r.leaf('pop', v.popName);
  c.name = r.leaf('name', v.portName);
  if (!c.type) {
    r.acceptAll(); // without a valid type, which keys belong here is unknown
    return c;
  }
  const keys = TYPE_KEYS[c.type];
  const req = { required: true };
  if (keys.includes('remote')) c.remote = r.leaf('remote', v.ipAddress, req);
  if (keys.includes('vni')) c.vni = r.leaf('vni', v.vni, req);
  if (keys.includes('port')) c.port = r.leaf('port', v.udpPort);
  if (keys.includes('local')) c.local = r.leaf('local', v.ipAddress);
  if (keys.includes('tunnel_id')) {
    const max = c.remote?.family === 6 ? 4095 : 65535;
    c.tunnelId = r.leaf('tunnel_id', v.intRange(0, max), req);
  }
  if (keys.includes('keepalive_s')) c.keepaliveS = r.opt('keepalive_s', v.intRange(0, 3600), DEFAULTS.eoipKeepaliveS);
  if (keys.includes('timeout_s')) c.timeoutS = r.opt('timeout_s', v.intRange(1, 86400), DEFAULTS.eoipTimeoutS);
  if (keys.includes('listen_port')) c.listenPort = r.leaf('listen_port', v.udpPort, req);
  if (keys.includes('peer_fingerprint')) {
    c.peerFingerprint = r.leaf('peer_fingerprint', v.sha256Fingerprint, req);
  }
  if (keys.includes('interface')) {
    c.interface = r.leaf('interface', v.interfaceName, { required: c.type !== 'openvpn' });
  }
  if (keys.includes('mtu')) c.mtu = r.opt('mtu', v.intRange(576, 65535), DEFAULTS.mtu);
  if (c.type === 'vxlan' && c.remote && c.local && c.remote.family !== c.local.family) {
    ctx.error(r.sub('local'), `must be of the same address family as remote (IPv${c.remote.family})`);
  }
  r.done();
  return c;
}
