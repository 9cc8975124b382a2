#!/usr/bin/env node
// ixfabricd: see src/control/daemon.ts (built to dist/ by `npm run build`).
const { main } = await import('../dist/src/control/daemon.js');
process.exitCode = await main(process.argv.slice(2));
