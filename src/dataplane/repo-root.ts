// Where the repository (the installed package) is: the native addon, the worker script, the
// daemon's bin scripts and package.json are found from it, whether code runs from dist/ or src/.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Walk up from `from` (a file URL or path) to the first directory holding package.json. */
export function findRepoRoot(from: string = import.meta.url): string {
  let dir = dirname(from.startsWith('file:') ? fileURLToPath(from) : from);
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`ixfabric: no package.json above ${from}`);
    dir = up;
  }
}
