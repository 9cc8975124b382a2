// The control thread's handle on the dataplane worker: starts it, sends requests and awaits
// their answers, and passes the worker's events (port errors) on.

import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Counters } from './counters.js';
import type { DataplaneEvent } from './dataplane.js';
import type { FabricSpec, FdbDump, PortSpec, SocketSpec } from './port-spec.js';
import type { RestoreResult } from '../fdb/fdb-snapshot.js';
import type { WorkerData, WorkerRequest } from './worker.js';
import { findRepoRoot } from './repo-root.js';

/** The compiled worker; from TypeScript sources (tests) it is the one under dist/. */
function workerScript(): string {
  const here = fileURLToPath(new URL('./worker.js', import.meta.url));
  return existsSync(here) ? here : join(findRepoRoot(import.meta.url), 'dist', 'src', 'dataplane', 'worker.js');
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

export class DataplaneClient extends EventEmitter<{ event: [DataplaneEvent]; exit: [number] }> {
  readonly counters: Counters;
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exited = false;

  private constructor(
    worker: Worker,
    counters: Counters,
    /** How TAP ports read and write: batches through io_uring, or one readv/writev per frame. */
    readonly tapIo: string,
  ) {
    super();
    this.worker = worker;
    this.counters = counters;
    worker.on('message', (msg: { id?: number; ok?: boolean; result?: unknown; error?: string; event?: string }) => {
      if (msg.event !== undefined) {
        if (msg.event !== 'ready') this.emit('event', msg as DataplaneEvent);
        return;
      }
      const p = this.pending.get(msg.id!);
      if (!p) return;
      this.pending.delete(msg.id!);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new Error(msg.error));
    });
    worker.on('exit', (code) => {
      this.exited = true;
      for (const p of this.pending.values()) p.reject(new Error(`dataplane worker exited with code ${code}`));
      this.pending.clear();
      this.emit('exit', code);
    });
  }

  /** Starts the worker and waits until it runs. */
  static async start(maxPorts: number, fabric: FabricSpec): Promise<DataplaneClient> {
    const counters = new Counters(maxPorts);
    const data: WorkerData = { maxPorts, counters: counters.values.buffer as SharedArrayBuffer, fabric };
    const worker = new Worker(workerScript(), { workerData: data });
    const tapIo = await new Promise<string>((resolve, reject) => {
      const onMsg = (m: { event?: string; tapIo?: string }) => {
        if (m.event === 'ready') {
          worker.off('message', onMsg);
          worker.off('error', reject);
          resolve(m.tapIo ?? 'unknown');
        }
      };
      worker.on('message', onMsg);
      worker.once('error', reject);
    });
    return new DataplaneClient(worker, counters, tapIo);
  }

  private call<T>(req: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.exited) return Promise.reject(new Error('dataplane worker is not running'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, ...req }, transfer);
    });
  }

  configure(f: FabricSpec): Promise<void> {
    return this.call({ op: 'configure', args: f });
  }
  setSocket(s: SocketSpec): Promise<void> {
    return this.call({ op: 'setSocket', args: s });
  }
  removeSocket(key: string): Promise<void> {
    return this.call({ op: 'removeSocket', args: { key } });
  }
  setPort(p: PortSpec): Promise<void> {
    return this.call({ op: 'setPort', args: p });
  }
  removePort(id: number): Promise<number> {
    return this.call({ op: 'removePort', args: { id } });
  }
  fdbDump(filter: { port?: number; mac?: number } = {}): Promise<FdbDump> {
    return this.call({ op: 'fdbDump', args: filter });
  }
  fdbFlush(port?: number): Promise<number> {
    return this.call({ op: 'fdbFlush', args: port === undefined ? {} : { port } });
  }
  snapshot(): Promise<Uint8Array> {
    return this.call({ op: 'snapshot', args: {} });
  }
  restore(bytes: Uint8Array): Promise<RestoreResult> {
    return this.call({ op: 'restore', args: { bytes } });
  }
  /** Compiles the dataplane's code with synthetic frames (warm-up.ts); at start, ports set up. */
  warmUp(): Promise<{ frames: number; ms: number }> {
    return this.call({ op: 'warmUp', args: {} });
  }

  /** Stops the dataplane and the worker. */
  async close(): Promise<void> {
    if (this.exited) return;
    await this.call({ op: 'close', args: {} }).catch(() => undefined);
    await this.worker.terminate();
  }
}
