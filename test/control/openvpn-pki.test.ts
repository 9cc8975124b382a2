// The POP's OpenVPN identity: generated once with the real openssl, 0600 key, fingerprint as
// openssl computes it, never silently replaced.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { certificateFingerprint, ensurePopIdentity, openvpnDir, popCommonName, readPopIdentity } from '../../src/control/openvpn-pki.js';

function stateDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'ixf-ovpn-pki-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function opensslFingerprint(file: string): string {
  const out = execFileSync('openssl', ['x509', '-in', file, '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' });
  return out.trim().split('=')[1]!.toLowerCase();
}

t.test('first call generates an EC P-256 self-signed certificate and a 0600 key; later calls reuse them', async (t) => {
  const dir = stateDir(t);
  const a = await ensurePopIdentity({ stateDir: dir, pop: 'fmt' });
  t.equal(a.created, true);
  t.equal(a.certPath, join(dir, 'openvpn', 'pop.crt'));
  t.equal(a.keyPath, join(dir, 'openvpn', 'pop.key'));
  t.equal(statSync(a.keyPath).mode & 0o777, 0o600, 'key is 0600');
  t.equal(statSync(openvpnDir(dir)).mode & 0o777, 0o700, 'directory is 0700');
  t.match(a.fingerprint, /^([0-9a-f]{2}:){31}[0-9a-f]{2}$/);
  t.equal(a.fingerprint, opensslFingerprint(a.certPath), 'same fingerprint as openssl x509 -fingerprint -sha256');
  t.equal(a.subject, 'CN=ixfabric-fmt');
  const cert = new X509Certificate(readFileSync(a.certPath));
  t.equal(cert.issuer, cert.subject, 'self-signed');
  t.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  t.ok(a.validTo.getTime() > Date.now() + 9 * 365 * 86400_000, 'valid for about 10 years');
  t.same(readdirSync(openvpnDir(dir)).sort(), ['pop.crt', 'pop.key'], 'no temporary files left');

  const b = await ensurePopIdentity({ stateDir: dir, pop: 'other-name' });
  t.equal(b.created, false);
  t.equal(b.fingerprint, a.fingerprint, 'not regenerated');
});

t.test('concurrent first starts generate one identity', async (t) => {
  const dir = stateDir(t);
  const all = await Promise.all([1, 2, 3, 4].map(() => ensurePopIdentity({ stateDir: dir, pop: 'fmt' })));
  t.equal(all.filter((x) => x.created).length, 1);
  t.equal(new Set(all.map((x) => x.fingerprint)).size, 1);
});

t.test('a loose key mode is tightened', async (t) => {
  const dir = stateDir(t);
  const a = await ensurePopIdentity({ stateDir: dir, pop: 'fmt' });
  chmodSync(a.keyPath, 0o644);
  await ensurePopIdentity({ stateDir: dir, pop: 'fmt' });
  t.equal(statSync(a.keyPath).mode & 0o777, 0o600);
});

t.test('a certificate without its key, or a key of another certificate, is an error; nothing is replaced', async (t) => {
  const dir = stateDir(t);
  const a = await ensurePopIdentity({ stateDir: dir, pop: 'fmt' });
  const cert = readFileSync(a.certPath);
  rmSync(a.keyPath);
  await t.rejects(ensurePopIdentity({ stateDir: dir, pop: 'fmt' }), /pop\.key is missing but .*pop\.crt exists/);
  t.same(readFileSync(a.certPath), cert, 'certificate untouched');

  const other = stateDir(t);
  const o = await ensurePopIdentity({ stateDir: other, pop: 'fmt' });
  writeFileSync(a.keyPath, readFileSync(o.keyPath), { mode: 0o600 });
  await t.rejects(ensurePopIdentity({ stateDir: dir, pop: 'fmt' }), /pop\.key is not the key of .*pop\.crt/);
  writeFileSync(a.keyPath, 'garbage');
  t.throws(() => readPopIdentity(a.certPath, a.keyPath), /not a PEM private key/);
  writeFileSync(a.certPath, 'garbage');
  t.throws(() => readPopIdentity(a.certPath, a.keyPath), /not a PEM certificate/);
});

t.test('a key without a certificate (crash during the first generation) gets a certificate for that key', async (t) => {
  const dir = stateDir(t);
  const a = await ensurePopIdentity({ stateDir: dir, pop: 'fmt' });
  const key = readFileSync(a.keyPath);
  rmSync(a.certPath);
  const b = await ensurePopIdentity({ stateDir: dir, pop: 'fmt' });
  t.equal(b.created, true);
  t.same(readFileSync(b.keyPath), key, 'same key');
  t.equal(b.fingerprint, certificateFingerprint(readFileSync(b.certPath)));
});

t.test('openssl failing is reported with its message', async (t) => {
  const dir = stateDir(t);
  await t.rejects(ensurePopIdentity({ stateDir: dir, pop: 'fmt', opensslBin: '/nonexistent/openssl' }), /generating the POP's OpenVPN certificate with \/nonexistent\/openssl failed/);
  t.same(readdirSync(openvpnDir(dir)), [], 'no partial files');
});

t.test('CN', async (t) => {
  t.equal(popCommonName('fmt'), 'ixfabric-fmt');
  t.equal(popCommonName('a/b c'), 'ixfabric-a_b_c');
});
