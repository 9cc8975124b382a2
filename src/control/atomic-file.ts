// Files the daemon writes for other programs or for its next start (the FDB snapshot, the BIRD
// config, openvpn configs and pid files, the POP's key) are written atomically: a reader sees
// the old content or the new, never half of it, even across a crash.

import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Writes `data` to `path` (created with `mode`) and fsyncs it before returning. */
export function writeFileSynced(path: string, data: string | Uint8Array, mode = 0o644): void {
  const fd = openSync(path, 'w', mode);
  try {
    writeFileSync(fd, data); // the whole of it (writeSync may write less)
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** A temporary file name beside `path`, for writing before a rename. */
export function tempPathBeside(path: string, tag = 'tmp'): string {
  return join(dirname(path), `.${basename(path)}.${tag}-${randomBytes(6).toString('hex')}`);
}

/** Writes a temporary file beside `path`, fsyncs it and renames it over `path`. */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): void {
  const tmp = tempPathBeside(path);
  try {
    writeFileSynced(tmp, data, mode);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  try {
    const dfd = openSync(dirname(path), 'r');
    fsyncSync(dfd);
    closeSync(dfd);
  } catch {
    // directory fsync is best effort (not every filesystem allows it)
  }
}
