// The normalised configuration handed to the rest of the daemon: plain data (no class
// instances, so it can be posted to the dataplane worker), defaults filled in, addresses in
// canonical form, entries in file order. Produced by `loadConfig`/`parseConfig`
// (config-load.ts); the YAML keys are documented in docs/config.md.

/** One problem found in a config file; printed as `PATH:LINE:COLUMN: FIELD: reason`. */
export interface ConfigError {
  /** The config file as given to the loader. */
  path: string;
  /** 1-based line of the offending value (of the parent map for a missing key). */
  line: number;
  /** 1-based column, counted in UTF-16 code units like the `yaml` package does. */
  column: number;
  /** Dotted path with array indexes in brackets, e.g. `members[2].connections[0].vni`. */
  field: string;
  reason: string;
}

export type LoadResult = { ok: true; config: Config } | { ok: false; errors: ConfigError[] };

export interface LoadOptions {
  /** Run as this POP instead of `pop.name` (one shared registry file, one daemon per POP). */
  pop?: string;
}

export interface Config {
  /** The config file this was loaded from. */
  path: string;
  /** The POP this daemon runs as: `opts.pop`, else `pop.name`. */
  pop: string;
  /** Local tunnel endpoint addresses (canonical form); at least one is set. */
  underlay: { ipv4: string | null; ipv6: string | null };
  /** UDP port this POP receives VXLAN on. */
  vxlanPort: number;
  /** How VXLAN is received and sent: the native batched path, or Node's dgram (explicit fallback). */
  vxlanTransport: 'native' | 'dgram';
  /** The dataplane thread's scheduling: 0 ordinary, 1..99 SCHED_FIFO at that priority. */
  dataplanePriority: number;
  fabric: FabricConfig;
  control: ControlConfig;
  /** Every member of the registry, in file order, including members with no port here. */
  members: MemberConfig[];
  /** Every port this POP opens (its members' connections and its trunks), in file order. */
  ports: PortConfig[];
  /** The `route_server` section; null when absent (no route server rendered). */
  routeServer: RouteServerConfig | null;
  /** The `ixf` section (IX-F member export identity), defaults filled. */
  ixf: IxfConfig;
}

export interface FabricConfig {
  /** Canonical CIDRs (host bits cleared); at least one is set. */
  peeringLan: { ipv4: string | null; ipv6: string | null };
  fdb: {
    agingS: number;
    maxEntries: number;
    /** Default learned-MAC limit of a member port; `policy.maxMacs` is the effective value. */
    maxMacsPerPort: number;
  };
  /** Default BUM rate limit of a member port; `policy.bumPps` is the effective value. */
  bumPpsPerPort: number;
  arpNdProxy: boolean;
}

export interface ControlConfig {
  /** Path of the control socket. */
  socket: string;
  /** Group (name or numeric gid) given to the socket, or null to leave it alone. */
  socketGroup: string | number | null;
  /** Permission bits of the socket, e.g. 0o660. */
  socketMode: number;
  /** Prometheus listener (`host` without brackets, ready for `server.listen`), null = off. */
  metrics: { host: string; port: number } | null;
  stateDir: string;
}

export interface MemberConfig {
  asn: number;
  name: string;
  /** Allowed source MACs, lowercase `xx:xx:xx:xx:xx:xx`; empty = learn within the limit. */
  macs: string[];
  /** Peering-LAN addresses the member may claim in ARP / ND (canonical form). */
  ipv4: string[];
  ipv6: string[];
  policy: PolicyConfig;
  /** Names of this member's ports on this POP, in file order. */
  ports: string[];
  /** Connections of this member in the whole registry (every POP). */
  connectionCount: number;
  /** Route-server settings of the member (defaults filled even without a route server). */
  routeServer: MemberRouteServerConfig;
  /** Where the member came from: the YAML `members` list or the `members_from_ixf` file. */
  source: 'yaml' | 'ixf';
}

/** Ingress policy of a member port; every field filled (defaults = exchange hygiene). */
export interface PolicyConfig {
  /** 802.1Q VLAN ids accepted (sorted, unique); empty = untagged frames only. */
  allowVlanTags: number[];
  /** Ethertypes accepted besides IPv4, ARP and IPv6 (sorted, unique). */
  extraEthertypes: number[];
  /** Learned-MAC limit (member `policy.max_macs`, else `fabric.fdb.max_macs_per_port`). */
  maxMacs: number;
  /** BUM packets per second (member `policy.bum_pps`, else `fabric.bum_pps_per_port`). */
  bumPps: number;
  raGuard: boolean;
  dhcpGuard: boolean;
  arpGuard: boolean;
  ndGuard: boolean;
  /** ND may claim fe80::/10 addresses besides the member's configured ones. */
  allowLinkLocalNd: boolean;
  /** Drop link-local control frames (STP, LLDP, CDP, LACP...). */
  filterLinkLocal: boolean;
}

export type ConnectionType = 'vxlan' | 'eoip' | 'openvpn' | 'zerotier' | 'ethernet' | 'l2' | 'tap';

export interface VxlanParams {
  type: 'vxlan';
  /** Remote tunnel endpoint (canonical form). */
  remote: string;
  family: 4 | 6;
  vni: number;
  /** Remote UDP port frames are sent to. */
  port: number;
  /** Local (underlay) source address, same family as `remote`. */
  local: string;
  /** Local UDP port VXLAN is received on (`pop.vxlan_port`). */
  listenPort: number;
}

export interface EoipParams {
  type: 'eoip';
  remote: string;
  /** 4 = IPv4 protocol 47, 16-bit tunnel id; 6 = IPv6 protocol 97, 12-bit tunnel id. */
  family: 4 | 6;
  tunnelId: number;
  /** Local (underlay) source address, same family as `remote`. */
  local: string;
  /** Seconds between keepalives we send (0 = none), and without anything received before the port goes down. */
  keepaliveS: number;
  timeoutS: number;
}

export interface OpenvpnParams {
  type: 'openvpn';
  /** UDP port of this member's openvpn instance. */
  listenPort: number;
  /** SHA256 fingerprint of the member's certificate, lowercase `xx:xx:...` (32 bytes). */
  peerFingerprint: string;
  /** TAP device of the openvpn instance (default `ovpn<listen_port>`). */
  interface: string;
}

export interface InterfaceParams {
  /** zerotier / ethernet / l2: an existing interface; tap: a device the daemon creates. */
  type: 'zerotier' | 'ethernet' | 'l2' | 'tap';
  interface: string;
  mtu: number;
}

export type PortParams = VxlanParams | EoipParams | OpenvpnParams | InterfaceParams;

export interface PortCommon {
  /** Unique on this POP and stable across reloads: configured, else derived. */
  name: string;
  kind: 'member' | 'trunk';
  /** The member's ASN; null for trunks. */
  memberAsn: number | null;
  /** For trunks the POP at the other end; null for member ports. */
  trunkPop: string | null;
  /** The member's MACs and addresses (copied so a port is self-contained); empty for trunks. */
  macs: string[];
  ipv4: string[];
  ipv6: string[];
  /** The member's effective policy; null for trunks (fabric-internal, split horizon). */
  policy: PolicyConfig | null;
  /**
   * Canonical JSON of everything that affects this port's behaviour. Same name and same
   * fingerprint after a reload = leave the port alone (see `diffPorts`).
   */
  fingerprint: string;
}

/** A port of this POP; trunks are always `type: 'vxlan'`. Narrow on `type`. */
export type PortConfig = PortCommon & PortParams;

export interface PortDiff {
  added: string[];
  removed: string[];
  changed: string[];
  unchanged: string[];
}

/** What BIRD does when a session exceeds its max-prefix (`import limit ... action`). */
export type MaxPrefixAction = 'restart' | 'disable' | 'warn' | 'block';

export interface MaxPrefixConfig {
  ipv4: number;
  ipv6: number;
  action: MaxPrefixAction;
}

/** The exchange's BIRD 2 route server (`route_server` section); see docs/route-server.md. */
export interface RouteServerConfig {
  asn: number;
  /** BGP router id (IPv4 form): `router_id`, else `ipv4`. */
  routerId: string;
  /** The route server's own peering-LAN addresses (canonical); at least one is set. */
  ipv4: string | null;
  ipv6: string | null;
  /** Where `rs apply` writes the rendered config. */
  birdConfig: string;
  /** BIRD control socket used by `birdc` (`rs apply`, `rs status`). */
  birdcSocket: string;
  /** Longest AS path accepted (`bgp_path.len`, prepends counted). */
  maxAsPath: number;
  prefixLen: { ipv4: { min: number; max: number }; ipv6: { min: number; max: number } };
  /** ASNs rejected anywhere in a path except as the sending member itself (sorted, unique). */
  transitFreeAsns: number[];
  /** Default max-prefix of members (member `route_server.max_prefix` overrides). */
  maxPrefix: MaxPrefixConfig;
  rpki: { roaFile: string | null };
  irr: { enabled: boolean; sources: string[]; server: string | null; cacheTtlS: number };
  blackhole: {
    enabled: boolean;
    maxLenIpv4: number;
    maxLenIpv6: number;
    /** Next hop set on blackhole routes sent to members; null keeps the member's. */
    nextHopIpv4: string | null;
    nextHopIpv6: string | null;
  };
  /** Tag every route sent to members with GRACEFUL_SHUTDOWN (RFC 8326), for maintenance. */
  gracefulShutdown: boolean;
}

export interface MemberRouteServerConfig {
  /** Sessions with the route server for each of the member's addresses. */
  enabled: boolean;
  maxPrefix: MaxPrefixConfig;
  /** IRR object expanded by bgpq4 (AS-SET or aut-num); null = the member's own `AS<asn>`. */
  asSet: string | null;
  /** The route server waits for the member to open the session. */
  passive: boolean;
}

/** Identity of the exchange in the IX-F member export (`ixf` section). */
export interface IxfConfig {
  ixpId: number;
  ixfId: number;
  shortname: string;
  name: string | null;
  country: string | null;
  vlanId: number;
}
