// The shipped unit has what the operations guide promises.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.js';

const unit = readFileSync(join(repoRoot, 'packaging', 'ixfabricd.service'), 'utf8');
const directives = new Map<string, string[]>();
for (const line of unit.split('\n')) {
  const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
  if (m) directives.set(m[1]!, [...(directives.get(m[1]!) ?? []), m[2]!]);
}
const one = (k: string) => directives.get(k)?.join(' ');

t.equal(one('Type'), 'notify');
t.match(one('WatchdogSec'), /^\d+$/);
t.equal(one('Restart'), 'on-failure');
t.equal(one('CapabilityBoundingSet'), 'CAP_NET_ADMIN CAP_NET_RAW');
t.equal(one('NoNewPrivileges'), 'yes');
t.equal(one('ProtectSystem'), 'strict');
t.match(one('ReadWritePaths'), /\/var\/lib\/ixfabric/, 'state_dir is writable');
t.equal(one('RuntimeDirectory'), 'ixfabric', '/run/ixfabric for the control socket');
t.match(one('ExecReload'), /kill -HUP \$MAINPID/);
t.match(one('ExecStart'), /ixfabricd\.js --config \/etc\/ixfabric\/ixfabric\.yaml$/);
