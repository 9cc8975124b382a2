#!/usr/bin/env node
// ixfabric-eoip: a MikroTik EoIP endpoint for Linux members; see src/dataplane/eoip-endpoint.ts.
const { main } = await import('../dist/src/dataplane/eoip-endpoint.js');
const code = main(process.argv.slice(2));
if (code !== 0) process.exitCode = code;
