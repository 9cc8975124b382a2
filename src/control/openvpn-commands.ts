// Control-socket commands for OpenVPN members (add them to `DaemonState.extra`):
//
//   openvpn.client-config  {asn, port?}   the member's ready client config (text); `port`
//                                          picks one when the member has several OpenVPN
//                                          connections on this POP
//   openvpn.status         {port?}        [{port, member_asn, interface, listen_port, state,
//                                          pid, restarts, uptime_s, connected, peer,
//                                          last_exit, next_restart_s}]
//
// `ixfabricctl openvpn client-config AS64500 [--port NAME]` sends the first one.

import type { Config, OpenvpnParams, PortConfig } from './config-types.js';
import { renderClientConfig } from './openvpn-config.js';
import { ensurePopIdentity } from './openvpn-pki.js';
import type { OpenvpnStatus, OpenvpnSupervisor } from './openvpn-supervisor.js';

type OpenvpnPort = PortConfig & OpenvpnParams;
export type CommandHandler = (args: Record<string, unknown>) => Promise<unknown> | unknown;

/** An ASN from a control request: a number, a bigint, "64500" or "AS64500". */
export function parseAsnArg(v: unknown): number {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'bigint') n = Number(v);
  else if (typeof v === 'string' && /^(as)?\d+$/i.test(v.trim())) n = Number(v.trim().replace(/^as/i, ''));
  else throw Object.assign(new Error('asn is required (a number such as 64500)'), { code: 'bad_request' });
  if (!Number.isInteger(n) || n < 1 || n > 4294967295) throw Object.assign(new Error(`asn ${String(v)} is not an AS number`), { code: 'bad_request' });
  return n;
}

/** The member's OpenVPN client config for this POP (generates the POP identity if needed). */
export async function clientConfigText(config: Config, args: Record<string, unknown>): Promise<string> {
  const asn = parseAsnArg(args.asn);
  const member = config.members.find((m) => m.asn === asn);
  if (!member) throw Object.assign(new Error(`AS${asn} is not a member in the registry`), { code: 'not_found' });
  const ports = config.ports.filter((p): p is OpenvpnPort => p.type === 'openvpn' && p.memberAsn === asn);
  if (ports.length === 0) throw Object.assign(new Error(`AS${asn} has no OpenVPN connection on this POP (${config.pop})`), { code: 'not_found' });
  let port = ports[0]!;
  if (args.port !== undefined && args.port !== true) {
    const wanted = String(args.port);
    const p = ports.find((x) => x.name === wanted);
    if (!p) throw Object.assign(new Error(`AS${asn} has no OpenVPN port named ${wanted} on this POP (it has ${ports.map((x) => x.name).join(', ')})`), { code: 'not_found' });
    port = p;
  } else if (ports.length > 1) {
    throw Object.assign(new Error(`AS${asn} has ${ports.length} OpenVPN connections on this POP: pick one with --port (${ports.map((x) => x.name).join(', ')})`), { code: 'bad_request' });
  }
  const id = await ensurePopIdentity({ stateDir: config.control.stateDir, pop: config.pop });
  return renderClientConfig({
    port: port.name,
    pop: config.pop,
    member: { asn: member.asn, name: member.name, ipv4: member.ipv4, ipv6: member.ipv6 },
    params: port,
    underlay: config.underlay,
    popFingerprint: id.fingerprint,
    peeringLan: config.fabric.peeringLan,
  });
}

/**
 * The handlers, over the daemon's current config and the running supervisors:
 *
 *   state.extra = { ...state.extra, ...openvpnCommands(() => state.config, () => supervisors.values()) };
 */
export function openvpnCommands(
  config: () => Config,
  supervisors: () => Iterable<OpenvpnSupervisor> = () => [],
): Record<string, CommandHandler> {
  return {
    'openvpn.client-config': (args) => clientConfigText(config(), args),
    'openvpn.status': (args): OpenvpnStatus[] => {
      const all = [...supervisors()].map((s) => s.status()).sort((a, b) => (a.port < b.port ? -1 : a.port > b.port ? 1 : 0));
      if (args.port === undefined || args.port === true) return all;
      const one = all.filter((s) => s.port === String(args.port));
      if (one.length === 0) throw Object.assign(new Error(`no OpenVPN port named ${String(args.port)}`), { code: 'not_found' });
      return one;
    },
  };
}
