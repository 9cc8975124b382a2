// Control-socket client and the framing shared with the server (control-server.ts).
//
// Framing: every message is exactly one BSON document, delimited by the document's own int32
// little-endian length prefix (which counts itself and the trailing 0x00). Nothing else goes on
// the wire. A request is `{cmd: string, args?: object, id?: string|number}`; the answer is
// `{ok: true, result}` or `{ok: false, error: string, code?: string}`, in request order.
// The protocol (commands, arguments, results, paging) is documented in docs/control-protocol.md.

import { connect, type Socket } from 'node:net';
import { BSON, type Binary, type Long } from 'bson';

/** Largest request document the server accepts by default (1 MiB, prefix included). */
export const MAX_DOCUMENT_BYTES = 1024 * 1024;
/** Largest response the client accepts by default: generous, the daemon is trusted. */
export const CLIENT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
/** Smallest valid BSON document: the length prefix and the terminating zero byte. */
export const MIN_DOCUMENT_BYTES = 5;
/** `code` of the error answer sent to a client beyond the server's client limit. */
export const BUSY_CODE = 'busy';

// ---------- framing ----------

export type Frame = { kind: 'doc'; bytes: Buffer } | { kind: 'bad-length'; length: number };

/**
 * Splits a byte stream into BSON documents without ever buffering more than one document of at
 * most `maxBytes`. A length prefix outside [5, maxBytes] (including negative ones, e.g.
 * 0x80000000) is reported as soon as its 4 bytes are in, before any of the body is stored.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private total = 0;

  constructor(readonly maxBytes: number) {}

  /** Bytes received and not yet returned as a frame. */
  get buffered(): number {
    return this.total;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.total += chunk.length;
  }

  /** The next complete frame, or null when more bytes are needed. */
  next(): Frame | null {
    if (this.total < 4) return null;
    const length = this.peekInt32();
    if (length < MIN_DOCUMENT_BYTES || length > this.maxBytes) return { kind: 'bad-length', length };
    if (this.total < length) return null;
    return { kind: 'doc', bytes: this.take(length) };
  }

  /** Drop everything buffered (after a fatal framing error). */
  clear(): void {
    this.chunks = [];
    this.total = 0;
  }

  private peekInt32(): number {
    const first = this.chunks[0] as Buffer;
    if (first.length >= 4) return first.readInt32LE(0);
    const head = Buffer.alloc(4);
    let got = 0;
    for (const c of this.chunks) {
      got += c.copy(head, got, 0, Math.min(c.length, 4 - got));
      if (got === 4) break;
    }
    return head.readInt32LE(0);
  }

  private take(n: number): Buffer {
    const first = this.chunks[0] as Buffer;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let got = 0;
      while (got < n) {
        const c = this.chunks[0] as Buffer;
        const k = Math.min(c.length, n - got);
        c.copy(out, got, 0, k);
        got += k;
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      }
    }
    this.total -= n;
    return out;
  }
}

/** Options used for every document read from the wire. */
export const DESERIALIZE_OPTIONS = {
  promoteLongs: true,
  promoteValues: true,
  promoteBuffers: true,
  bsonRegExp: true,
  validation: { utf8: true },
} as const;

/** Serialise one document (never an array at the top level). */
export function encodeDocument(doc: Record<string, unknown>): Buffer {
  const bytes = BSON.serialize(doc, { ignoreUndefined: false });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Turns values read from BSON into plain JavaScript: Long → number (exact up to 2^53),
 * Binary → Uint8Array, other BSON wrapper types → their string form. Plain objects and arrays
 * are copied recursively.
 */
export function fromBson(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > 200) return null;
  if (Array.isArray(value)) return value.map((v) => fromBson(v, depth + 1));
  if (value instanceof Date || value instanceof Uint8Array || value instanceof RegExp) return value;
  const bsontype = (value as { _bsontype?: unknown })._bsontype;
  if (typeof bsontype === 'string') {
    switch (bsontype) {
      case 'Long':
        return (value as Long).toNumber();
      case 'Int32':
      case 'Double':
        return (value as { valueOf(): number }).valueOf();
      case 'Binary':
        return (value as Binary).value();
      default:
        return String(value);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    Object.defineProperty(out, k, { value: fromBson(v, depth + 1), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

// ---------- errors ----------

/** The daemon answered `{ok: false, error}`. */
export class DaemonError extends Error {
  override readonly name = 'DaemonError';
  constructor(
    message: string,
    /** Machine-readable error code when the daemon sent one (e.g. 'busy'). */
    readonly code: string | undefined,
    /** The command that failed. */
    readonly cmd: string,
  ) {
    super(message);
  }
}

/**
 * The daemon could not be asked: no socket (ENOENT), nobody listening (ECONNREFUSED), no
 * permission (EACCES), no answer in time (ETIMEDOUT), the connection closed before the answer
 * (ECONNRESET) or the answer was not a valid document (EPROTO).
 */
export class UnreachableError extends Error {
  override readonly name = 'UnreachableError';
  constructor(
    message: string,
    readonly code: string,
    readonly socketPath: string,
  ) {
    super(message);
  }
}

function describeErrno(code: string): string {
  switch (code) {
    case 'ENOENT':
      return 'no such socket (is ixfabricd running?)';
    case 'ECONNREFUSED':
      return 'connection refused (stale socket: the daemon is not running)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied (is this user in the control socket group?)';
    case 'ENOTSOCK':
      return 'not a socket';
    case 'EAGAIN':
      return 'the daemon is not accepting connections (backlog full)';
    default:
      return code;
  }
}

// ---------- client ----------

export interface ClientOptions {
  /** Per-request deadline in ms (connecting included for `request`). Default 30000. */
  timeoutMs?: number;
  /** Largest response accepted. Default 16 MiB. */
  maxResponseBytes?: number;
}

export interface RequestOptions extends ClientOptions {
  /** Retry while the daemon answers 'busy' (client limit reached) until the deadline. Default true. */
  retryBusy?: boolean;
}

interface Pending {
  cmd: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | null;
}

/**
 * One connection to the control socket; calls may be pipelined and are answered in order.
 * A timeout or a broken answer fails every outstanding call and closes the connection.
 */
export class ControlClient {
  private readonly decoder: FrameDecoder;
  private readonly pending: Pending[] = [];
  private failure: UnreachableError | null = null;
  /** A refusal ('busy') that arrived before any request was sent. */
  private refused: DaemonError | null = null;
  private readonly timeoutMs: number;

  private constructor(
    private readonly socket: Socket,
    readonly socketPath: string,
    opts: ClientOptions,
  ) {
    this.timeoutMs = opts.timeoutMs ?? 30000;
    this.decoder = new FrameDecoder(opts.maxResponseBytes ?? CLIENT_MAX_RESPONSE_BYTES);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.fail(err.code ?? 'EIO', `connection error: ${err.message}`);
    });
    socket.on('close', () => this.fail('ECONNRESET', 'the daemon closed the connection before answering'));
  }

  /** Connect to `socketPath`; rejects with UnreachableError. */
  static connect(socketPath: string, opts: ClientOptions = {}): Promise<ControlClient> {
    const timeoutMs = opts.timeoutMs ?? 30000;
    return new Promise((resolve, reject) => {
      const socket = connect({ path: socketPath });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new UnreachableError(`cannot reach the daemon at ${socketPath}: connect timed out`, 'ETIMEDOUT', socketPath));
      }, timeoutMs);
      const onError = (err: NodeJS.ErrnoException): void => {
        clearTimeout(timer);
        socket.destroy();
        const code = err.code ?? 'EIO';
        reject(new UnreachableError(`cannot reach the daemon at ${socketPath}: ${describeErrno(code)}`, code, socketPath));
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        resolve(new ControlClient(socket, socketPath, opts));
      });
    });
  }

  /** Send one request; resolves with `result` (see fromBson), rejects with DaemonError or UnreachableError. */
  call(cmd: string, args: Record<string, unknown> = {}): Promise<unknown> {
    if (this.refused) return Promise.reject(this.refused);
    if (this.failure) return Promise.reject(this.failure);
    let bytes: Buffer;
    try {
      bytes = encodeDocument({ cmd, args });
    } catch (err) {
      return Promise.reject(new TypeError(`cannot encode the request: ${(err as Error).message}`));
    }
    return new Promise((resolve, reject) => {
      const p: Pending = { cmd, resolve, reject, timer: null };
      if (this.timeoutMs > 0 && Number.isFinite(this.timeoutMs)) {
        p.timer = setTimeout(() => this.fail('ETIMEDOUT', `no answer to '${cmd}' within ${this.timeoutMs} ms`), this.timeoutMs);
      }
      this.pending.push(p);
      this.socket.write(bytes);
    });
  }

  close(): void {
    this.fail('ECLOSED', 'connection closed by the client');
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.failure) return;
    this.decoder.push(chunk);
    for (;;) {
      const frame = this.decoder.next();
      if (frame === null) return;
      if (frame.kind === 'bad-length') {
        this.fail('EPROTO', `the daemon sent a document with an invalid length (${frame.length})`);
        return;
      }
      let doc: Record<string, unknown>;
      try {
        doc = BSON.deserialize(frame.bytes, DESERIALIZE_OPTIONS) as Record<string, unknown>;
      } catch (err) {
        this.fail('EPROTO', `the daemon sent an invalid document: ${(err as Error).message}`);
        return;
      }
      const p = this.pending.shift();
      if (!p) {
        // An unsolicited answer: the only one the server sends is the 'busy' refusal on accept;
        // it answers the next call. Anything else is a protocol error.
        if (doc.ok !== true && doc.code === BUSY_CODE && !this.refused) {
          this.refused = new DaemonError(String(doc.error), BUSY_CODE, '(connect)');
          continue;
        }
        this.fail('EPROTO', 'the daemon sent an answer nobody asked for');
        return;
      }
      if (p.timer) clearTimeout(p.timer);
      if (doc.ok === true) {
        p.resolve(fromBson(doc.result));
      } else {
        const message = typeof doc.error === 'string' ? doc.error : 'the daemon answered with an error';
        const code = typeof doc.code === 'string' ? doc.code : undefined;
        p.reject(new DaemonError(message, code, p.cmd));
      }
    }
  }

  private fail(code: string, message: string): void {
    if (!this.failure) {
      this.failure = new UnreachableError(`cannot reach the daemon at ${this.socketPath}: ${message}`, code, this.socketPath);
    }
    const err = this.failure;
    for (const p of this.pending.splice(0)) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(err);
    }
    if (!this.socket.destroyed) this.socket.destroy();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Run `fn` with a fresh connection, closed afterwards. A 'busy' refusal (the daemon is at its
 * client limit; it refuses on accept, before reading anything, so nothing ran) is retried on a
 * new connection with backoff until the deadline unless `retryBusy` is false; `fn` then runs
 * again from the start. `timeoutMs` bounds the whole thing for the connect and each call.
 */
export async function withClient<T>(socketPath: string, opts: RequestOptions, fn: (client: ControlClient) => Promise<T>): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30000;
  const deadline = Date.now() + timeoutMs;
  let backoff = 10;
  // A retry needs a little time to be worth starting; below that, report the busy daemon.
  const minAttemptMs = Math.min(50, timeoutMs / 4);
  for (;;) {
    const left = Math.max(1, deadline - Date.now());
    const client = await ControlClient.connect(socketPath, { ...opts, timeoutMs: left });
    try {
      return await fn(client);
    } catch (err) {
      const busy = err instanceof DaemonError && err.code === BUSY_CODE;
      if (!busy || opts.retryBusy === false) throw err;
      if (deadline - Date.now() < minAttemptMs) {
        throw new UnreachableError(`cannot reach the daemon at ${socketPath}: ${err.message}`, 'ETIMEDOUT', socketPath);
      }
    } finally {
      client.close();
    }
    await sleep(Math.max(0, Math.min(backoff, deadline - Date.now() - minAttemptMs)));
    backoff = Math.min(backoff * 2, 250);
  }
}

/**
 * One request on a fresh connection. Throws DaemonError when the daemon answered with an
 * error, UnreachableError when it could not be asked. 'busy' refusals are retried (withClient).
 */
export function request(
  socketPath: string,
  cmd: string,
  args: Record<string, unknown> = {},
  opts: RequestOptions = {},
): Promise<unknown> {
  return withClient(socketPath, opts, (client) => client.call(cmd, args));
}
