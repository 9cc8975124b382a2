// Network-namespace labs for end-to-end tests. The implementation (Lab, sleep, waitFor, exited)
// lives in bench/lib/netns.ts, shared with the end-to-end benchmark; see there. Test namespaces
// keep the default `ixt-` mark that scripts/test.mjs sweeps.
import { join } from 'node:path';
import { repoRoot } from './paths.js';

export { Lab, NS_MARK, sleep, waitFor, exited } from '../../bench/lib/netns.js';
export type { Test, Teardown, LabOptions } from '../../bench/lib/netns.js';

export const daemonBin = join(repoRoot, 'bin', 'ixfabricd.js');
export const ctlBin = join(repoRoot, 'bin', 'ixfabricctl.js');
export const frameTool = join(repoRoot, 'test', 'helpers', 'frame-tool.mjs');
