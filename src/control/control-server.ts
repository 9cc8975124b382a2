// The daemon's control socket: a unix stream socket speaking length-prefixed BSON.
//
// Wire protocol (full reference with result shapes: docs/control-protocol.md):
//
//   request   {cmd: string, args?: object, id?: string | number}     one BSON document
//   answer    {ok: true, result: any, id?}                           one BSON document
//             {ok: false, error: string, code?: string, id?}
//
//   Each message is one BSON document delimited by its own int32 little-endian length prefix.
//   Requests on one connection may be pipelined; they are handled one at a time and answered
//   in order. `id`, when given, is echoed.
//
//   cmd              args                               result
//   status           {}                                 {pop, version, uptime_s, ports, members,
//                                                        fdb_entries, config_path, config_loaded_at}
//   ports            {}                                 [{name, type, member_asn, state, rx_packets,
//                                                        tx_packets, rx_bytes, tx_bytes, drops}]
//   members          {}                                 [{asn, name, macs, ipv4, ipv6, ports}]
//   fdb              {port?, mac?, cursor?, limit?}     {entries: [{mac, port, kind, age_s}],
//                                                        next_cursor: string | null}   (paged)
//   fdb.flush        {port?}                            {flushed}
//   reload           {}                                 {added, removed, changed, unchanged}
//   rs.render / rs.check / rs.apply / rs.status, ixf.export, openvpn.client-config {asn, ...}
//                    options of the ixfabricctl command (see docs/control-protocol.md)
//
//   Paging: a document is at most 1 MiB, the FDB may hold 100,000 entries. `fdb` returns at most
//   `limit` entries (server default FDB_PAGE_DEFAULT, capped at FDB_PAGE_MAX and by size) sorted
//   by MAC, and `next_cursor` (opaque; today the last MAC returned) to pass as `cursor` for the
//   next page, or null on the last page. Keyset paging: entries learned or aged between pages
//   never shift the pages. `pageByKey` below implements it for the daemon's handler.
//
// Limits and misbehaving clients (the daemon is never affected):
//   - a length prefix < 5 or > maxDocumentBytes (1 MiB; a negative int32 too) gets
//     {ok:false, code:'too_large' | 'bad_length'} and a disconnect, without buffering the body;
//   - a document that is not valid BSON, or not {cmd: string, args?: object}, gets
//     {ok:false, code:'bad_request'}; the connection stays usable (the framing is intact);
//   - at most maxClients (64) connections are served at once; a client beyond that gets
//     {ok:false, code:'busy'} as soon as it connects, before anything of it is read, and is
//     disconnected (nothing ran, so `request()` in control-client.ts retries it);
//   - a connection with no request in flight and no complete request received for
//     idleTimeoutMs (30 s) is closed quietly; bytes of an incomplete document do not extend
//     that time (so half a document followed by silence is closed on time);
//   - a handler error becomes {ok:false, error: message, code?: err.code};
//   - a result is made BSON-safe (toBsonSafe); one larger than maxDocumentBytes gets
//     {ok:false, code:'too_large'} instead.
//   - reading from a connection pauses while its request is being handled and more than one
//     document is buffered, and while its answers are not being read (back-pressure).

import { chmodSync, chownSync, lstatSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { BSON, Long } from 'bson';
import { BUSY_CODE, DESERIALIZE_OPTIONS, encodeDocument, FrameDecoder, MAX_DOCUMENT_BYTES } from './control-client.js';

export type ControlHandler = (cmd: string, args: Record<string, unknown>) => Promise<unknown> | unknown;

/** The subset of a pino logger the server uses. */
export interface ControlLog {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ControlServerOptions {
  path: string;
  /** Permission bits of the socket. Default 0o660. */
  mode?: number;
  /** Group of the socket: a name (resolved via /etc/group) or a gid; null/absent = leave it. */
  group?: string | number | null;
  /** Connections served at once. Default 64. */
  maxClients?: number;
  /** Largest document (request or answer), prefix included. Default 1 MiB. */
  maxDocumentBytes?: number;
  /** Close a connection idle for this long. Default 30000 ms. */
  idleTimeoutMs?: number;
  handler: ControlHandler;
  log?: ControlLog;
  /** Group database used to resolve group names. Default /etc/group. */
  groupFile?: string;
}

/** Default and largest page sizes of `fdb`. */
export const FDB_PAGE_DEFAULT = 4096;
export const FDB_PAGE_MAX = 10000;

const noop = (): void => {};
const silentLog: ControlLog = { debug: noop, info: noop, warn: noop, error: noop };

/** Leave this much room for the answer envelope when a page is filled by size. */
const ENVELOPE_SLACK = 1024;
/** How long a refused or broken connection may take to read its error answer. */
const LINGER_MS = 1000;

// ---------- results → BSON ----------

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function safeKey(k: string): string {
  return k.includes('\0') ? k.replaceAll('\0', '\uFFFD') : k;
}

/**
 * Makes a handler result serialisable as BSON: undefined, functions and symbols → null,
 * bigint → number when exact, else Long (else a decimal string), Map → object (keys as
 * strings), Set and typed arrays other than Uint8Array → arrays, objects with toJSON (other
 * than Date) → their toJSON(), Error → {name, message, code?}, NUL characters in keys →
 * U+FFFD. Dates, Uint8Arrays, RegExps and BSON values stay as they are. Throws TypeError on a
 * cycle.
 */
export function toBsonSafe(value: unknown): unknown {
  const seen = new Set<object>();
  const walk = (v: unknown): unknown => {
    switch (typeof v) {
      case 'undefined':
      case 'function':
      case 'symbol':
        return null;
      case 'bigint':
        if (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
        if (v >= INT64_MIN && v <= INT64_MAX) return Long.fromBigInt(v);
        return v.toString();
      case 'object':
        break;
      default:
        return v;
    }
    if (v === null) return null;
    if (v instanceof Date || v instanceof Uint8Array || v instanceof RegExp) return v;
    if (typeof (v as { _bsontype?: unknown })._bsontype === 'string') return v;
    if (seen.has(v)) throw new TypeError('the result contains a cycle');
    seen.add(v);
    try {
      if (Array.isArray(v)) return v.map(walk);
      if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number | bigint>, walk);
      if (v instanceof Set) return Array.from(v, walk);
      if (v instanceof Map) {
        const out: Record<string, unknown> = {};
        for (const [k, x] of v) defineKey(out, safeKey(String(k)), walk(x));
        return out;
      }
      if (v instanceof Error) {
        const code = (v as NodeJS.ErrnoException).code;
        return code === undefined ? { name: v.name, message: v.message } : { name: v.name, message: v.message, code: walk(code) };
      }
      const toJSON = (v as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') return walk(toJSON.call(v));
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) defineKey(out, safeKey(k), walk(x));
      return out;
    } finally {
      seen.delete(v);
    }
  };
  return walk(value);
}

// `__proto__` must become a key, not the prototype.
function defineKey(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/** Cut a string so its UTF-8 form fits in `max` bytes. */
function truncateUtf8(s: string, max: number): string {
  if (Buffer.byteLength(s) <= max) return s;
  let cut = Buffer.from(s).subarray(0, max).toString();
  if (cut.endsWith('\uFFFD')) cut = cut.slice(0, -1);
  return `${cut}… (truncated)`;
}

function errorAnswer(error: string, code: string | undefined, id: unknown, maxBytes: number): Buffer {
  const doc: Record<string, unknown> = { ok: false, error: truncateUtf8(error, Math.max(64, maxBytes - 512)) };
  if (code !== undefined) doc.code = code;
  if (id !== undefined) doc.id = id;
  return encodeDocument(doc);
}

/** Encode `{ok: true, result}`, or the error answer when that is impossible or too large. */
export function encodeAnswer(result: unknown, id: unknown, maxBytes: number): Buffer {
  try {
    const doc: Record<string, unknown> = { ok: true, result: toBsonSafe(result) };
    if (id !== undefined) doc.id = id;
    const size = BSON.calculateObjectSize(doc, { ignoreUndefined: false });
    if (size > maxBytes) {
      return errorAnswer(`the answer is too large (${size} bytes, limit ${maxBytes}); use paging or a filter`, 'too_large', id, maxBytes);
    }
    return encodeDocument(doc);
  } catch (err) {
    return errorAnswer(`the answer cannot be encoded: ${(err as Error).message}`, 'internal', id, maxBytes);
  }
}

// ---------- paging ----------

export interface PageRequest {
  cursor?: unknown;
  limit?: unknown;
}

export interface Page<T> {
  entries: T[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  next_cursor: string | null;
}

/**
 * Keyset paging for list answers (`fdb`): the entries whose key sorts after `cursor`, in key
 * order, at most `limit` of them (default `defaultLimit`, capped at `maxLimit`) and at most
 * `maxBytes` of BSON. Keys must be unique (a MAC for the FDB). Throws a RangeError for a bad
 * cursor or limit (the server turns it into an error answer).
 */
export function pageByKey<T>(
  items: Iterable<T>,
  keyOf: (item: T) => string,
  req: PageRequest,
  opts: { defaultLimit?: number; maxLimit?: number; maxBytes?: number } = {},
): Page<T> {
  const maxLimit = opts.maxLimit ?? FDB_PAGE_MAX;
  const maxBytes = opts.maxBytes ?? MAX_DOCUMENT_BYTES - ENVELOPE_SLACK;
  let limit = opts.defaultLimit ?? FDB_PAGE_DEFAULT;
  if (req.limit !== undefined && req.limit !== null) {
    if (typeof req.limit !== 'number' || !Number.isInteger(req.limit) || req.limit < 1) {
      throw new RangeError('limit must be a positive integer');
    }
    limit = req.limit;
  }
  limit = Math.min(limit, maxLimit);
  let cursor: string | null = null;
  if (req.cursor !== undefined && req.cursor !== null && req.cursor !== '') {
    if (typeof req.cursor !== 'string') throw new RangeError('cursor must be a string');
    cursor = req.cursor;
  }
  const keyed: Array<[string, T]> = [];
  for (const item of items) {
    const k = keyOf(item);
    if (cursor === null || k > cursor) keyed.push([k, item]);
  }
  // Only the first `limit` keys need sorting: select them first (O(n)), then sort those.
  if (keyed.length > limit) selectSmallest(keyed, limit);
  const head = keyed.length > limit ? keyed.slice(0, limit) : keyed;
  head.sort(byKey);
  const entries: T[] = [];
  // Envelope: {entries: [...], next_cursor: '...'} inside {ok, result}.
  let bytes = 64 + (cursor?.length ?? 0) * 2;
  for (const [, item] of head) {
    const size = BSON.calculateObjectSize({ x: toBsonSafe(item) }) + 8;
    if (entries.length > 0 && bytes + size > maxBytes) break;
    bytes += size;
    entries.push(item);
  }
  const more = entries.length < keyed.length;
  const last = head[entries.length - 1];
  return { entries, next_cursor: more && last ? last[0] : null };
}

function byKey(a: [string, unknown], b: [string, unknown]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/** Reorder `a` so its `k` smallest keys come first (in any order): quickselect. */
function selectSmallest<T>(a: Array<[string, T]>, k: number): void {
  let lo = 0;
  let hi = a.length - 1;
  const swap = (i: number, j: number): void => {
    const x = a[i] as [string, T];
    a[i] = a[j] as [string, T];
    a[j] = x;
  };
  while (lo < hi) {
    swap(lo + Math.floor(Math.random() * (hi - lo + 1)), hi);
    const pivot = (a[hi] as [string, T])[0];
    let store = lo;
    for (let i = lo; i < hi; i++) if ((a[i] as [string, T])[0] < pivot) swap(i, store++);
    swap(store, hi);
    if (store === k - 1 || store === k) return;
    if (store < k) lo = store + 1;
    else hi = store - 1;
  }
}

// ---------- groups ----------

/** Resolve a group name or gid to a gid via the group database (/etc/group format). */
export function resolveGroup(group: string | number, groupFile = '/etc/group'): number {
  if (typeof group === 'number') {
    if (!Number.isInteger(group) || group < 0) throw new RangeError(`invalid gid ${group}`);
    return group;
  }
  if (/^\d+$/.test(group)) return Number(group);
  let text: string;
  try {
    text = readFileSync(groupFile, 'utf8');
  } catch (err) {
    throw new Error(`cannot resolve group "${group}": ${(err as Error).message}`);
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] === group && f[2] !== undefined && /^\d+$/.test(f[2])) return Number(f[2]);
  }
  throw new Error(`unknown group "${group}" (not in ${groupFile})`);
}

// ---------- the server ----------

/** Probe a unix socket path: 'none' (no file), 'stale' (socket nobody listens on), 'live'. */
function probeSocket(path: string, timeoutMs = 1000): Promise<'none' | 'stale' | 'live'> {
  let st;
  try {
    st = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return Promise.resolve('none');
    throw err;
  }
  if (!st.isSocket()) {
    return Promise.reject(new Error(`${path} exists and is not a socket; refusing to replace it`));
  }
  return new Promise((resolve, reject) => {
    const s = connect({ path });
    const timer = setTimeout(() => {
      s.destroy();
      resolve('live');
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.destroy();
      resolve('live');
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      s.destroy();
      if (err.code === 'ECONNREFUSED') resolve('stale');
      else if (err.code === 'ENOENT') resolve('none');
      else if (err.code === 'EAGAIN') resolve('live');
      else reject(err);
    });
  });
}

export class ControlServer {
  readonly path: string;
  private readonly mode: number;
  private readonly group: string | number | null;
  private readonly maxClients: number;
  private readonly maxDocumentBytes: number;
  private readonly idleTimeoutMs: number;
  private readonly handler: ControlHandler;
  private readonly log: ControlLog;
  private readonly groupFile: string;
  private server: Server | null = null;
  private readonly connections = new Set<Connection>();
  private readonly lingering = new Set<Socket>();
  private inode: number | null = null;
  private nextId = 1;

  constructor(opts: ControlServerOptions) {
    this.path = opts.path;
    this.mode = opts.mode ?? 0o660;
    this.group = opts.group ?? null;
    this.maxClients = opts.maxClients ?? 64;
    this.maxDocumentBytes = opts.maxDocumentBytes ?? MAX_DOCUMENT_BYTES;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 30000;
    this.handler = opts.handler;
    this.log = opts.log ?? silentLog;
    this.groupFile = opts.groupFile ?? '/etc/group';
    if (!Number.isInteger(this.maxClients) || this.maxClients < 1) throw new RangeError('maxClients must be >= 1');
    if (!Number.isInteger(this.maxDocumentBytes) || this.maxDocumentBytes < 64 || this.maxDocumentBytes > 0x7fffffff) {
      throw new RangeError('maxDocumentBytes must be an integer in [64, 2^31-1]');
    }
  }

  /** Connections being served now (not counting refused ones). */
  get clients(): number {
    return this.connections.size;
  }

  /**
   * Bind the socket, then apply group and mode. A socket file nobody listens on is replaced;
   * if a daemon answers there, or the path is not a socket, this rejects and touches nothing.
   */
  async listen(): Promise<void> {
    if (this.server) throw new Error('the control server is already listening');
    const gid = this.group === null ? null : resolveGroup(this.group, this.groupFile);
    const state = await probeSocket(this.path);
    if (state === 'live') {
      const err = new Error(`another daemon is listening on ${this.path}`) as NodeJS.ErrnoException;
      err.code = 'EADDRINUSE';
      throw err;
    }
    if (state === 'stale') {
      this.log.info({ path: this.path }, 'removing a stale control socket');
      unlinkSync(this.path);
    }
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o755 });

    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (s) => this.accept(s));
    // Refused connections linger briefly to read their answer; cap the total as a backstop.
    server.maxConnections = this.maxClients + 1024;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      server.once('error', onError);
      // The socket is bound synchronously inside listen(): with umask 0177 it is born 0600, so
      // nobody outside the owner can connect before the group and mode are applied.
      const oldMask = isMainThread ? process.umask(0o177) : null;
      try {
        server.listen({ path: this.path, backlog: 511 }, () => {
          server.off('error', onError);
          resolve();
        });
      } finally {
        if (oldMask !== null) process.umask(oldMask);
      }
    });
    try {
      if (gid !== null) chownSync(this.path, -1, gid);
      chmodSync(this.path, this.mode);
      this.inode = lstatSync(this.path).ino;
    } catch (err) {
      await new Promise<void>((r) => server.close(() => r()));
      this.removeSocketFile();
      throw err;
    }
    server.on('error', (err) => this.log.error({ err }, 'control socket error'));
    this.server = server;
    this.log.info({ path: this.path, mode: this.mode.toString(8), gid }, 'control socket listening');
  }

  /** Stop accepting, drop every connection and remove the socket file. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    const closed = new Promise<void>((r) => server.close(() => r()));
    for (const c of this.connections) c.destroy();
    for (const s of this.lingering) s.destroy();
    await closed;
    this.removeSocketFile();
  }

  private removeSocketFile(): void {
    try {
      const st = lstatSync(this.path);
      // Never remove a socket another daemon has bound since.
      if (st.isSocket() && (this.inode === null || st.ino === this.inode)) unlinkSync(this.path);
    } catch {
      // already gone
    }
    this.inode = null;
  }

  private accept(socket: Socket): void {
    socket.on('error', noop);
    if (this.connections.size >= this.maxClients) {
      this.log.debug({ clients: this.connections.size }, 'control client refused: too many clients');
      this.refuse(socket, errorAnswer(`too many clients (limit ${this.maxClients}); try again`, BUSY_CODE, undefined, this.maxDocumentBytes));
      return;
    }
    const conn = new Connection(this.nextId++, socket, this, this.maxDocumentBytes, this.idleTimeoutMs, this.log);
    this.connections.add(conn);
    socket.once('close', () => this.connections.delete(conn));
    socket.resume();
  }

  /**
   * Send a final answer, half-close, discard whatever the client still sends, and destroy the
   * socket when the client closes or after LINGER_MS. Nothing of the client is buffered.
   */
  refuse(socket: Socket, answer: Buffer): void {
    this.lingering.add(socket);
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once('close', () => {
      clearTimeout(timer);
      this.lingering.delete(socket);
    });
    socket.removeAllListeners('data');
    socket.on('data', noop);
    socket.once('end', () => socket.destroy());
    socket.end(answer);
    socket.resume();
  }

  /** Run the handler for one request and encode its answer. Never throws. */
  async answer(cmd: string, args: Record<string, unknown>, id: unknown): Promise<Buffer> {
    let result: unknown;
    try {
      result = await this.handler(cmd, args);
    } catch (err) {
      const e = err as { message?: unknown; code?: unknown };
      const message = err instanceof Error ? err.message : typeof e?.message === 'string' ? e.message : String(err);
      const code = typeof e?.code === 'string' ? e.code : undefined;
      this.log.debug({ cmd, err: message }, 'control command failed');
      return errorAnswer(message || 'command failed', code, id, this.maxDocumentBytes);
    }
    return encodeAnswer(result, id, this.maxDocumentBytes);
  }
}

type Request = { cmd: string; args: Record<string, unknown>; id: unknown } | { error: string; id: unknown };

function parseRequest(bytes: Buffer): Request {
  let doc: Record<string, unknown>;
  try {
    doc = BSON.deserialize(bytes, DESERIALIZE_OPTIONS) as Record<string, unknown>;
  } catch (err) {
    return { error: `malformed BSON document: ${(err as Error).message}`, id: undefined };
  }
  const rawId = Object.hasOwn(doc, 'id') ? doc.id : undefined;
  const id = typeof rawId === 'string' || typeof rawId === 'number' ? rawId : undefined;
  const cmd = Object.hasOwn(doc, 'cmd') ? doc.cmd : undefined;
  if (typeof cmd !== 'string' || cmd.length === 0 || cmd.length > 128) {
    return { error: 'bad request: `cmd` must be a non-empty string', id };
  }
  const args = Object.hasOwn(doc, 'args') ? doc.args : undefined;
  if (args === undefined || args === null) return { cmd, args: {}, id };
  if (typeof args !== 'object' || Array.isArray(args) || Object.getPrototypeOf(args) !== Object.prototype) {
    return { error: 'bad request: `args` must be a document', id };
  }
  return { cmd, args: args as Record<string, unknown>, id };
}

class Connection {
  private readonly decoder: FrameDecoder;
  private running = false;
  private closed = false;
  private readonly idle: NodeJS.Timeout;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly server: ControlServer,
    private readonly maxBytes: number,
    idleTimeoutMs: number,
    private readonly log: ControlLog,
  ) {
    this.decoder = new FrameDecoder(maxBytes);
    this.idle = setTimeout(() => this.onIdle(), idleTimeoutMs);
    this.idle.unref();
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // The client half-closed: finish what it sent, then close (allowHalfOpen keeps writes open).
    socket.on('end', () => {
      if (!this.running) this.finish();
    });
    socket.on('close', () => this.onClose());
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onClose(): void {
    this.closed = true;
    clearTimeout(this.idle);
    this.decoder.clear();
  }

  private onIdle(): void {
    if (this.closed || this.running) return;
    this.log.debug({ conn: this.id, buffered: this.decoder.buffered }, 'control client idle: closing');
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.decoder.push(chunk);
    if (this.running) {
      // Back-pressure: hold the rest until the current request is answered.
      if (this.decoder.buffered >= this.maxBytes) this.socket.pause();
      return;
    }
    void this.run();
  }

  private finish(): void {
    if (this.closed) return;
    if (this.decoder.buffered > 0) this.log.debug({ conn: this.id }, 'control client closed mid-document');
    this.socket.end();
  }

  private async run(): Promise<void> {
    this.running = true;
    let handled = 0;
    try {
      for (;;) {
        if (this.closed) return;
        // A long pipeline of quick requests must not starve other connections.
        if (++handled % 64 === 0) await new Promise<void>((r) => setImmediate(r));
        if (this.closed) return;
        const frame = this.decoder.next();
        if (frame === null) break;
        if (frame.kind === 'bad-length') {
          const tooLarge = frame.length > this.maxBytes || frame.length < 0;
          const msg = tooLarge
            ? `document too large (length prefix ${frame.length}, limit ${this.maxBytes} bytes)`
            : `invalid document length ${frame.length}`;
          this.log.debug({ conn: this.id, length: frame.length }, 'control client sent a bad length prefix');
          this.decoder.clear();
          this.closed = true;
          clearTimeout(this.idle);
          this.server.refuse(this.socket, errorAnswer(msg, tooLarge ? 'too_large' : 'bad_length', undefined, this.maxBytes));
          return;
        }
        const req = parseRequest(frame.bytes);
        let answer: Buffer;
        if ('error' in req) {
          this.log.debug({ conn: this.id, err: req.error }, 'control client sent a bad request');
          answer = errorAnswer(req.error, 'bad_request', req.id, this.maxBytes);
        } else {
          answer = await this.server.answer(req.cmd, req.args, req.id);
        }
        if (this.closed) return;
        this.idle.refresh();
        if (!this.socket.write(answer)) {
          this.socket.pause();
          await new Promise<void>((resolve) => {
            const done = (): void => {
              this.socket.off('drain', done);
              this.socket.off('close', done);
              resolve();
            };
            this.socket.on('drain', done);
            this.socket.on('close', done);
          });
        }
        if (this.decoder.buffered < this.maxBytes && !this.closed) this.socket.resume();
      }
    } finally {
      this.running = false;
    }
    if (this.closed) return;
    this.socket.resume();
    if (this.socket.readableEnded) this.finish();
  }
}
