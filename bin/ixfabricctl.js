#!/usr/bin/env node
// ixfabricctl: see src/control/ctl-cli.ts (built to dist/ by `npm run build`).
const { main } = await import('../dist/src/control/ctl-cli.js');
process.exitCode = await main(process.argv.slice(2), process.env, { stdout: process.stdout, stderr: process.stderr });
