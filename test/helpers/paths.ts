// Where the repository and the shared captures are. The captures live beside the clone in
// `../shared/pcaps` (see DESIGN.md); IXFABRIC_SHARED overrides, /work/shared is the fallback.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${start}`);
    dir = up;
  }
  return dir;
}

export const repoRoot = findRoot(dirname(fileURLToPath(import.meta.url)));

export const sharedDir = [process.env.IXFABRIC_SHARED, resolve(repoRoot, '..', 'shared'), '/work/shared'].find(
  (d): d is string => !!d && existsSync(join(d, 'pcaps')),
) ?? resolve(repoRoot, '..', 'shared');

export const pcapsDir = join(sharedDir, 'pcaps');
