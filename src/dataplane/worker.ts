// Entry point of the dataplane worker thread: runs a Dataplane and answers the control
// thread's requests ({id, op, args} → {id, ok, result | error}); reports port errors as events.

import { parentPort, workerData } from 'node:worker_threads';
import { Counters } from './counters.js';
import { Dataplane } from './dataplane.js';
import { native } from './native.js';
import type { FabricSpec, PortSpec, SocketSpec } from './port-spec.js';

export interface WorkerData {
  maxPorts: number;
  counters: SharedArrayBuffer;
  fabric: FabricSpec;
}

export type WorkerRequest =
  | { op: 'configure'; args: FabricSpec }
  | { op: 'setSocket'; args: SocketSpec }
  | { op: 'removeSocket'; args: { key: string } }
  | { op: 'setPort'; args: PortSpec }
  | { op: 'removePort'; args: { id: number } }
  | { op: 'fdbDump'; args: { port?: number; mac?: number } }
  | { op: 'fdbFlush'; args: { port?: number } }
  | { op: 'snapshot'; args: Record<string, never> }
  | { op: 'restore'; args: { bytes: Uint8Array } }
  | { op: 'warmUp'; args: Record<string, never> }
  | { op: 'close'; args: Record<string, never> };

const data = workerData as WorkerData;
const port = parentPort!;
const dp = new Dataplane({
  maxPorts: data.maxPorts,
  counters: new Counters(data.maxPorts, data.counters),
  native,
  fabric: data.fabric,
  events: (e) => port.postMessage(e),
});
const ticker = setInterval(() => dp.tick(), 1000);
/** This thread's scheduling as last configured (pop.dataplane_priority); 0 = ordinary. */
let threadPriority = 0;

/** Applies pop.dataplane_priority to this thread first, so a refusal changes nothing else. */
function setThreadPriority(priority: number): void {
  if (priority === threadPriority) return;
  try {
    native.setThreadPriority(priority);
  } catch (err) {
    throw new Error(`pop.dataplane_priority ${priority}: ${(err as Error).message}`);
  }
  threadPriority = priority;
}

function handle(req: WorkerRequest): { result: unknown; transfer?: ArrayBuffer[] } {
  switch (req.op) {
    case 'configure':
      setThreadPriority(req.args.threadPriority);
      dp.configure(req.args);
      return { result: null };
    case 'warmUp':
      return { result: dp.warmUp() };
    case 'setSocket':
      dp.setSocket(req.args);
      return { result: null };
    case 'removeSocket':
      dp.removeSocket(req.args.key);
      return { result: null };
    case 'setPort':
      dp.setPort(req.args);
      return { result: null };
    case 'removePort':
      return { result: dp.removePort(req.args.id) };
    case 'fdbDump': {
      const d = dp.fdbDump(req.args);
      return { result: d, transfer: [d.macs.buffer, d.ports.buffer, d.kinds.buffer, d.ages.buffer] as ArrayBuffer[] };
    }
    case 'fdbFlush':
      return { result: dp.fdbFlush(req.args.port) };
    case 'snapshot': {
      const bytes = dp.snapshot();
      return { result: bytes };
    }
    case 'restore':
      return { result: dp.restore(req.args.bytes) };
    case 'close':
      clearInterval(ticker);
      dp.close();
      return { result: null };
  }
}

port.on('message', (msg: WorkerRequest & { id: number }) => {
  try {
    const { result, transfer } = handle(msg);
    port.postMessage({ id: msg.id, ok: true, result }, transfer ?? []);
  } catch (err) {
    port.postMessage({ id: msg.id, ok: false, error: (err as Error).message });
  }
});
// how this thread's TAP ports read and write (the daemon logs it)
port.postMessage({ event: 'ready', tapIo: native.tapUring() ? 'io_uring' : 'readv/writev' });
