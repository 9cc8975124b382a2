// The switches compared, in the order each round measures them.
import { buildIxfabricAfpacket, buildIxfabricTap, buildIxfabricVxlan } from './ixfabric.js';
import { buildBareAfpacket, buildBareTap } from './bare.js';
import { buildCVxlanHub } from './c-hub.js';
import { buildBridge, buildKernelVxlanHub } from './kernel.js';
import type { Topology } from './topology.js';
import { buildVde } from './vde.js';

export interface Variant {
  name: string;
  description: string;
  /** userspace: a switch process whose CPU time is measured; kernel: softirq, not attributable. */
  kind: 'userspace' | 'kernel';
  build: () => Promise<Topology>;
  /** Besides the Linux bridge, the natural references for this variant's ratios (the first is its `peer` in the JSON lines). */
  peers: string[];
  tools: string[];
}

export const VARIANTS: Variant[] = [
  { name: 'ixfabric-tap', description: 'ixfabricd, members on TAP devices it creates', kind: 'userspace', build: buildIxfabricTap, peers: ['vde-tap'], tools: [] },
  { name: 'ixfabric-afpacket', description: 'ixfabricd, members on veths (ethernet ports, AF_PACKET)', kind: 'userspace', build: buildIxfabricAfpacket, peers: ['vde-tap'], tools: [] },
  { name: 'ixfabric-vxlan', description: 'ixfabricd, members are kernel vxlan devices in A and B', kind: 'userspace', build: buildIxfabricVxlan, peers: ['kernel-vxlan-hub', 'c-vxlan-hub'], tools: [] },
  { name: 'bridge', description: 'Linux bridge, veth members', kind: 'kernel', build: buildBridge, peers: [], tools: [] },
  { name: 'vde-tap', description: 'vde_switch (vde2), TAP members', kind: 'userspace', build: buildVde, peers: [], tools: ['vde_switch'] },
  { name: 'kernel-vxlan-hub', description: 'Linux bridge in S joining one vxlan device per member', kind: 'kernel', build: buildKernelVxlanHub, peers: [], tools: [] },
  { name: 'c-vxlan-hub', description: 'C recvmmsg/sendmmsg VXLAN hub (c-vxlan-hub.c), same members as ixfabric-vxlan', kind: 'userspace', build: buildCVxlanHub, peers: [], tools: ['cc'] },
  // ixfabric's port I/O alone (bare-forwarder.ts): what its switching costs on top shows as the
  // ratio of these to the ixfabric variants with the same members
  { name: 'bare-afpacket', description: "ixfabric's AF_PACKET port I/O alone, no switch logic (veth members)", kind: 'userspace', build: buildBareAfpacket, peers: ['ixfabric-afpacket'], tools: [] },
  { name: 'bare-tap', description: "ixfabric's TAP port I/O alone, no switch logic (TAP members)", kind: 'userspace', build: buildBareTap, peers: ['ixfabric-tap'], tools: [] },
];

export const QUICK_VARIANTS = ['ixfabric-vxlan', 'kernel-vxlan-hub', 'c-vxlan-hub'];

export function variantByName(name: string): Variant | undefined {
  return VARIANTS.find((v) => v.name === name);
}
