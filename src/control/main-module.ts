// "Run as a program, not imported": modules that are both (ixfabricctl's CLI, the lab) act on
// process.argv only when node was started on them.

import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** True when the module at `moduleUrl` (its import.meta.url) is the script node was started with. */
export function isMainModule(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return moduleUrl === pathToFileURL(realpathSync(script)).href || moduleUrl === pathToFileURL(script).href;
  } catch {
    return false;
  }
}
