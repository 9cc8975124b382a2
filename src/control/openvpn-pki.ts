// The POP's OpenVPN identity: one self-signed certificate and key in `state_dir/openvpn/`,
// shared by every openvpn instance of the POP. There is no CA: each member's instance pins the
// member's certificate with `peer-fingerprint`, and the member pins this certificate's SHA256
// fingerprint (printed by `ixfabricctl openvpn client-config`).
//
// Generated on first use with openssl (X.509 generation is not in Node's crypto): an ECDSA
// P-256 key (mode 0600) and a 10-year certificate with CN `ixfabric-<pop>`. The TLS key
// exchange is ECDHE, so no DH parameters are needed (`dh none` in the server config).
// Existing files are never replaced: a certificate and key that do not belong together, or a
// certificate without its key, is an error the operator resolves (deleting both makes a new
// identity, and every member then needs the new fingerprint). A key without a certificate (a
// crash during the first generation) gets a new certificate for that key.

import { execFile } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const PKI_DIR = 'openvpn';
export const CERT_FILE = 'pop.crt';
export const KEY_FILE = 'pop.key';
const VALID_DAYS = 3650;

export interface PopIdentity {
  /** Absolute or state_dir-relative paths of the PEM files. */
  certPath: string;
  keyPath: string;
  /** SHA256 fingerprint of the certificate, lowercase `xx:xx:...` (what `peer-fingerprint` takes). */
  fingerprint: string;
  /** The certificate's subject, e.g. `CN=ixfabric-fmt`. */
  subject: string;
  /** The certificate's last day of validity. */
  validTo: Date;
  /** True when this call generated the files. */
  created: boolean;
}

export interface PkiOptions {
  stateDir: string;
  /** The POP's name, used in the certificate's CN. */
  pop: string;
  /** openssl binary (default `openssl` from PATH, or IXFABRIC_OPENSSL). */
  opensslBin?: string;
}

/** `state_dir/openvpn`: the POP identity, rendered configs and pid files. */
export function openvpnDir(stateDir: string): string {
  return join(stateDir, PKI_DIR);
}

/** Lowercase colon-separated SHA256 fingerprint of a PEM certificate. */
export function certificateFingerprint(pem: string | Buffer): string {
  return new X509Certificate(pem).fingerprint256.toLowerCase();
}

/** The certificate CN for a POP: `ixfabric-<pop>`, restricted to characters safe in `-subj`. */
export function popCommonName(pop: string): string {
  const safe = pop.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 48);
  return `ixfabric-${safe || 'pop'}`;
}

/**
 * Returns the POP's certificate and key, generating them when both are absent. Throws (with the
 * file and the reason) when only one exists, when they do not match, or when openssl fails.
 */
export function ensurePopIdentity(opts: PkiOptions): Promise<PopIdentity> {
  // Several instances start at once: one generation per directory, the others wait for it.
  const dir = openvpnDir(opts.stateDir);
  const prev = queue.get(dir) ?? Promise.resolve();
  const next = prev.then(() => ensureNow(opts, dir));
  const tail = next.catch(() => undefined);
  queue.set(dir, tail);
  void tail.then(() => {
    if (queue.get(dir) === tail) queue.delete(dir);
  });
  return next;
}

const queue = new Map<string, Promise<unknown>>();

async function ensureNow(opts: PkiOptions, dir: string): Promise<PopIdentity> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const certPath = join(dir, CERT_FILE);
  const keyPath = join(dir, KEY_FILE);
  const haveCert = existsSync(certPath);
  const haveKey = existsSync(keyPath);
  if (haveCert && !haveKey) {
    throw new Error(`${keyPath} is missing but ${certPath} exists: restore the key, or delete both to generate a new POP identity (members then need the new fingerprint)`);
  }
  let created = false;
  if (!haveCert) {
    await generate(opts, dir, certPath, keyPath, haveKey);
    created = true;
  }
  return readPopIdentity(certPath, keyPath, created);
}

/** Reads and checks an existing identity (no generation). */
export function readPopIdentity(certPath: string, keyPath: string, created = false): PopIdentity {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(readFileSync(certPath));
  } catch (err) {
    throw new Error(`${certPath}: not a PEM certificate (${(err as Error).message})`);
  }
  let matches: boolean;
  try {
    matches = cert.checkPrivateKey(createPrivateKey(readFileSync(keyPath)));
  } catch (err) {
    throw new Error(`${keyPath}: not a PEM private key (${(err as Error).message})`);
  }
  if (!matches) throw new Error(`${keyPath} is not the key of ${certPath}`);
  // The key must stay private even if someone copied it in with a loose mode.
  if ((statSync(keyPath).mode & 0o077) !== 0) chmodSync(keyPath, 0o600);
  return {
    certPath,
    keyPath,
    fingerprint: cert.fingerprint256.toLowerCase(),
    subject: cert.subject.replace(/\n/g, ', '),
    validTo: new Date(cert.validTo),
    created,
  };
}

async function generate(opts: PkiOptions, dir: string, certPath: string, keyPath: string, reuseKey: boolean): Promise<void> {
  const bin = opts.opensslBin ?? process.env.IXFABRIC_OPENSSL ?? 'openssl';
  const tmpKey = join(dir, `.${KEY_FILE}.tmp-${process.pid}`);
  const tmpCert = join(dir, `.${CERT_FILE}.tmp-${process.pid}`);
  // Pre-create the key file 0600 so it is never readable by others, whatever openssl's umask.
  if (!reuseKey) writeFileSync(tmpKey, '', { mode: 0o600 });
  const keyArgs = reuseKey ? ['-key', keyPath] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', tmpKey];
  try {
    await run(
      bin,
      ['req', '-x509', ...keyArgs, '-days', String(VALID_DAYS), '-subj', `/CN=${popCommonName(opts.pop)}`, '-out', tmpCert],
      { timeout: 30_000 },
    ).catch((err: Error & { stderr?: string }) => {
      throw new Error(`generating the POP's OpenVPN certificate with ${bin} failed: ${(err.stderr ?? err.message).trim()}`);
    });
    if (!reuseKey) chmodSync(tmpKey, 0o600);
    for (const f of reuseKey ? [tmpCert] : [tmpKey, tmpCert]) {
      const fd = openSync(f, 'r');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    // Key first: a crash between the renames leaves "key without cert", which is reported, not
    // silently regenerated.
    if (!reuseKey) renameSync(tmpKey, keyPath);
    renameSync(tmpCert, certPath);
  } finally {
    rmSync(tmpKey, { force: true });
    rmSync(tmpCert, { force: true });
  }
}
