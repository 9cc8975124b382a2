// What the control thread tells the dataplane worker: plain, structured-clonable data. The
// control thread owns port lifecycle (opening devices and sockets, watching interfaces); the
// worker owns the switch core and the file descriptors' polling.

import type { IoKind } from './native.js';
import type { PortPolicy } from './port-policy.js';

/** How a port's frames come and go. */
export type PortIo =
  /** A TAP device ('stream') or an AF_PACKET socket ('dgram') of its own. */
  | { kind: 'fd'; fd: number; io: IoKind; mtu: number }
  /** A VXLAN tunnel through a shared UDP socket. */
  | { kind: 'vxlan'; socket: string; remote: string; remotePort: number; vni: number }
  /** A MikroTik EoIP tunnel through a shared raw socket, with keepalives and liveness. */
  | { kind: 'eoip'; socket: string; remote: string; tunnelId: number; keepaliveS: number; timeoutS: number };

export interface PortSpec {
  id: number;
  name: string;
  policy: PortPolicy;
  /** Split-horizon group (GROUP_TRUNKS for POP trunks, 0 for members). */
  group: number;
  staticMacs: number[];
  /** null while the port is down (its device is gone). */
  io: PortIo | null;
}

/**
 * A shared tunnel socket; `slot` is its counter slot (listener-level drops). The native
 * transport gets the descriptor the control thread opened; the dgram fallback binds its own.
 */
export type SocketSpec =
  | { key: string; type: 'vxlan'; transport: 'native'; fd: number; slot: number }
  | { key: string; type: 'vxlan'; transport: 'dgram'; family: 4 | 6; address: string; port: number; slot: number }
  | { key: string; type: 'eoip'; family: 4 | 6; fd: number; slot: number };

export interface FabricSpec {
  agingS: number;
  maxEntries: number;
  arpNdProxy: boolean;
  /** Configured address → MAC bindings for the proxy. */
  bindings4: [string, string][];
  bindings6: [string, string][];
  /** The dataplane thread's scheduling (pop.dataplane_priority): 0 ordinary, 1..99 SCHED_FIFO;
   *  the worker applies it to its own thread, the switch does not read it. */
  threadPriority: number;
}

/** One FDB dump, as parallel arrays (transferable, cheap to build for 100,000 entries). */
export interface FdbDump {
  macs: Float64Array;
  ports: Int32Array;
  kinds: Uint8Array;
  ages: Float32Array;
}
