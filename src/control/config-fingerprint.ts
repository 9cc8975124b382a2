// Port identity across reloads: a port is identified by its name, its behaviour by its
// fingerprint, a canonical JSON string of everything that affects it. A reload compares the
// old and the new config with `diffPorts` and touches only added, removed and changed ports.

import type { Config, PortCommon, PortDiff, PortParams } from './config-types.js';

/**
 * The fingerprint of a port: its parameters (which include the fabric-wide settings it uses:
 * underlay source address, VXLAN receive port, effective policy with the fabric's MAC and BUM
 * limits filled in), its member's ASN, MACs and addresses. The order of MACs and addresses
 * does not matter; descriptive names (member name, port name) are not part of it.
 */
export function portFingerprint(
  common: Omit<PortCommon, 'fingerprint' | 'name'>,
  params: PortParams,
): string {
  const set = (xs: string[]) => [...new Set(xs)].sort();
  return canonicalJson({
    ...params,
    kind: common.kind,
    memberAsn: common.memberAsn,
    trunkPop: common.trunkPop,
    macs: set(common.macs),
    ipv4: set(common.ipv4),
    ipv6: set(common.ipv6),
    policy: common.policy,
  });
}

/** JSON with object keys sorted at every level, so equal data gives an equal string. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/**
 * Ports of `next` missing from `old` are added, ports of `old` missing from `next` removed;
 * ports in both are changed when their fingerprint differs, else unchanged. Names come in the
 * order of `next` (removed: in the order of `old`).
 */
export function diffPorts(old: Config, next: Config): PortDiff {
  const before = new Map(old.ports.map((p) => [p.name, p.fingerprint]));
  const after = new Set(next.ports.map((p) => p.name));
  const diff: PortDiff = { added: [], removed: [], changed: [], unchanged: [] };
  for (const p of next.ports) {
    const fp = before.get(p.name);
    if (fp === undefined) diff.added.push(p.name);
    else if (fp !== p.fingerprint) diff.changed.push(p.name);
    else diff.unchanged.push(p.name);
  }
  for (const p of old.ports) if (!after.has(p.name)) diff.removed.push(p.name);
  return diff;
}
