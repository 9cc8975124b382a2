// A switch core with three members and two POP trunks, a way to push one frame through, and the
// ping frame and counting sink the dataplane tests share.
import { SwitchCore, GROUP_TRUNKS, EGRESS_DROP } from '../../src/dataplane/switch-core.js';
import type { EgressPort } from '../../src/dataplane/forwarder.js';
import { icmpEchoFrame } from '../../src/encap/frame-builder.js';
import { FrameBatch } from '../../src/dataplane/frame-batch.js';
import { memberPolicy, trunkPolicy, type PortPolicyInput } from '../../src/dataplane/port-policy.js';
import { reasonName } from '../../src/dataplane/drop-reasons.js';
import { parseMac } from '../../src/encap/mac.js';
import { parseIpv4Address, parseIpv6Address } from '../../src/encap/ip.js';

export const A = { port: 1, mac: '02:00:00:00:00:0a', ipv4: '192.0.2.10', ipv6: '2001:db8:ffff::10' };
export const B = { port: 2, mac: '02:00:00:00:00:0b', ipv4: '192.0.2.11', ipv6: '2001:db8:ffff::11' };
/** C has no configured MACs: it learns within its limit. */
export const C = { port: 3, mac: '02:00:00:00:00:0c', ipv4: '192.0.2.12', ipv6: '2001:db8:ffff::12' };
export const TRUNK1 = 10;
export const TRUNK2 = 11;

export function makeCore(opts: { proxy?: boolean; policy?: PortPolicyInput; statics?: boolean } = {}): SwitchCore {
  const core = new SwitchCore({ maxPorts: 64, batchCapacity: 64, arpNdProxy: opts.proxy ?? false });
  for (const m of [A, B]) {
    const policy = memberPolicy({ macs: [m.mac], ipv4: [m.ipv4], ipv6: [m.ipv6], ...opts.policy });
    core.setPort(m.port, { policy, group: 0, staticMacs: opts.statics ? [parseMac(m.mac)!] : [] }, 0);
  }
  core.setPort(C.port, { policy: memberPolicy({ ipv4: [C.ipv4], ipv6: [C.ipv6], ...opts.policy }), group: 0 }, 0);
  core.setPort(TRUNK1, { policy: trunkPolicy(), group: GROUP_TRUNKS }, 0);
  core.setPort(TRUNK2, { policy: trunkPolicy(), group: GROUP_TRUNKS }, 0);
  if (opts.proxy) {
    for (const m of [A, B]) {
      // bindings as the control plane installs them for members with one MAC
      core.neighbors.setFixed4(parseIpv4Address(m.ipv4)!, parseMac(m.mac)!);
      core.neighbors.setFixed6(parseIpv6Address(m.ipv6)!, parseMac(m.mac)!);
    }
  }
  return core;
}

export interface Outcome {
  egress: number;
  reason: string | undefined;
  frame: Buffer;
}

/** Pushes frames (each with its ingress port) through the core in one batch. */
export function run(core: SwitchCore, frames: [Buffer, number][], now = 1): Outcome[] {
  const batch = new FrameBatch(64);
  for (const [f, p] of frames) batch.push(f, p);
  core.process(batch, now);
  return frames.map((_, i) => ({
    egress: core.egress[i]!,
    reason: core.egress[i] === EGRESS_DROP ? reasonName(core.reasons[i]!) : undefined,
    frame: Buffer.from(batch.frame(i)),
  }));
}

export function one(core: SwitchCore, frame: Buffer, port: number, now = 1): Outcome {
  return run(core, [[frame, port]], now)[0]!;
}

/** An ICMP echo request from `src` to `dst`. */
export const ping = (src: { mac: string; ipv4: string }, dst: { mac: string; ipv4: string }) => icmpEchoFrame({ dst: dst.mac, src: src.mac, srcIp: src.ipv4, dstIp: dst.ipv4 });

/** A port's transmit side that takes up to `accept` frames per call and counts them. */
export class CountingSink implements EgressPort {
  frames = 0;
  constructor(private accept = Infinity) {}
  transmit(_batch: FrameBatch, _idx: Uint32Array, n: number, errors: Int32Array): number {
    const sent = Math.min(n, this.accept);
    this.frames += sent;
    errors[0] = 0;
    return sent;
  }
}
