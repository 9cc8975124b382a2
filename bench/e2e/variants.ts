// The switches compared, in the order each round measures them.
import { buildIxfabricAfpacket, buildIxfabricTap, buildIxfabricVxlan } from './ixfabric.js';
import { buildBareAfpacket, buildBareTap } from './bare.js';
import { buildBridge, buildKernelVxlanHub } from './kernel.js';
import type { Topology } from './topology.js';
import { buildVde } from './vde.js';

export interface Variant {
  name: string;
  description: string;
  /** userspace: a switch process whose CPU time is measured; kernel: softirq, not attributable. */
  kind: 'userspace' | 'kernel';
  build: () => Promise<Topology>;
  /** Besides the Linux bridge, the natural reference for this variant's ratios. */
  peer: string | null;
  tools: string[];
}

export const VARIANTS: Variant[] = [
  { name: 'ixfabric-tap', description: 'ixfabricd, members on TAP devices it creates', kind: 'userspace', build: buildIxfabricTap, peer: 'vde-tap', tools: [] },
  { name: 'ixfabric-afpacket', description: 'ixfabricd, members on veths (ethernet ports, AF_PACKET)', kind: 'userspace', build: buildIxfabricAfpacket, peer: 'vde-tap', tools: [] },
  { name: 'ixfabric-vxlan', description: 'ixfabricd, members are kernel vxlan devices in A and B', kind: 'userspace', build: buildIxfabricVxlan, peer: 'kernel-vxlan-hub', tools: [] },
  { name: 'bridge', description: 'Linux bridge, veth members', kind: 'kernel', build: buildBridge, peer: null, tools: [] },
  { name: 'vde-tap', description: 'vde_switch (vde2), TAP members', kind: 'userspace', build: buildVde, peer: null, tools: ['vde_switch'] },
  { name: 'kernel-vxlan-hub', description: 'Linux bridge in S joining one vxlan device per member', kind: 'kernel', build: buildKernelVxlanHub, peer: null, tools: [] },
  // ixfabric's port I/O alone (bare-forwarder.ts): what its switching costs on top shows as the
  // ratio of these to the ixfabric variants with the same members
  { name: 'bare-afpacket', description: "ixfabric's AF_PACKET port I/O alone, no switch logic (veth members)", kind: 'userspace', build: buildBareAfpacket, peer: 'ixfabric-afpacket', tools: [] },
  { name: 'bare-tap', description: "ixfabric's TAP port I/O alone, no switch logic (TAP members)", kind: 'userspace', build: buildBareTap, peer: 'ixfabric-tap', tools: [] },
];

export const QUICK_VARIANTS = ['ixfabric-vxlan', 'kernel-vxlan-hub'];

export function variantByName(name: string): Variant | undefined {
  return VARIANTS.find((v) => v.name === name);
}
