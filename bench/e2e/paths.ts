// Where the repository, the daemon's entry points and the shared captures are, seen from the
// compiled benchmark (dist/bench/e2e/*.js) or its source (bench/e2e/*.ts).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findRepoRoot } from '../../src/dataplane/repo-root.js';

export const repoRoot = findRepoRoot(import.meta.url);
export const daemonBin = join(repoRoot, 'bin', 'ixfabricd.js');
export const ctlBin = join(repoRoot, 'bin', 'ixfabricctl.js');
/** What the daemon's bin script loads; absent until `npm run build`. */
export const daemonBuilt = join(repoRoot, 'dist', 'src', 'control', 'daemon.js');
export const nativeBuilt = join(repoRoot, 'native', 'build', 'Release', 'ixfabric.node');

/** The exchange captures: ../shared/pcaps beside the clone (IXFABRIC_SHARED overrides), else /work/shared/pcaps. */
export function pcapsDir(): string | null {
  const candidates = [process.env.IXFABRIC_SHARED && join(process.env.IXFABRIC_SHARED, 'pcaps'), resolve(repoRoot, '..', 'shared', 'pcaps'), '/work/shared/pcaps'];
  return candidates.find((d): d is string => !!d && existsSync(d)) ?? null;
}
/** ixfabric's port I/O without its switch (bare-forwarder.ts), as compiled. */
export const bareForwarderBin = join(repoRoot, 'dist', 'bench', 'e2e', 'bare-forwarder.js');
/** The batched 64-byte generator (blast.ts), as compiled. */
export const blastBin = join(repoRoot, 'dist', 'bench', 'e2e', 'blast.js');
/** The C VXLAN hub's source (c-hub.ts compiles it per run; tsc does not copy it to dist). */
export const cVxlanHubSource = join(repoRoot, 'bench', 'e2e', 'c-vxlan-hub.c');
