// Where the repository and the shared captures are. The captures live beside the clone in
// `../shared/pcaps` (see DESIGN.md); IXFABRIC_SHARED overrides, /work/shared is the fallback.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repoRoot } from '../../bench/e2e/paths.js';

export { repoRoot };

export const sharedDir = [process.env.IXFABRIC_SHARED, resolve(repoRoot, '..', 'shared'), '/work/shared'].find(
  (d): d is string => !!d && existsSync(join(d, 'pcaps')),
) ?? resolve(repoRoot, '..', 'shared');

export const pcapsDir = join(sharedDir, 'pcaps');
