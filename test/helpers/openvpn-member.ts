// An OpenVPN member's side, as the end-to-end tests play it.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';

/**
 * The member's own key pair, made in `dir` (asN.key, asN.crt) with exactly the commands the
 * client config prints; returns the certificate's SHA-256 fingerprint as openssl prints it
 * (upper case, colon-separated), which is what a member pastes into the registry.
 */
export function memberKeyPair(dir: string, asn: number): string {
  mkdirSync(dir, { recursive: true });
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '3650', '-subj', `/CN=AS${asn}`, '-keyout', `as${asn}.key`, '-out', `as${asn}.crt`], { cwd: dir, stdio: 'ignore' });
  return execFileSync('openssl', ['x509', '-in', `as${asn}.crt`, '-noout', '-fingerprint', '-sha256'], { cwd: dir, encoding: 'utf8' }).trim().split('=')[1]!;
}
