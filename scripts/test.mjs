// Runs the whole suite: build (TypeScript + native addon), type-check the tests too (tap only
// strips their types), then every test under test/ with node-tap, and ends with one line `N passed, N failed` counting leaf assertions.
// Extra arguments are passed to tap (for example a single test file).
import { spawn, spawnSync } from 'node:child_process';
import { Parser } from 'tap-parser';

if (!process.env.IXFABRIC_SKIP_BUILD) {
  const build = spawnSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  const typecheck = build.status === 0 ? spawnSync('npm', ['run', '--silent', 'typecheck'], { stdio: 'inherit' }) : build;
  if (build.status !== 0 || typecheck.status !== 0) {
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

// End-to-end tests name their namespaces ixt-*; remove any left by a test file that was
// killed before its teardown ran (a timeout), before and after the run.
function sweepNamespaces() {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  for (const line of (r.stdout ?? '').split('\n')) {
    const ns = line.split(' ')[0];
    if (!ns || !ns.startsWith('ixt-')) continue;
    const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout.trim().split(/\s+/).filter(Boolean);
    for (const pid of pids) spawnSync('kill', ['-9', pid]);
    spawnSync('ip', ['netns', 'del', ns]);
  }
}
sweepNamespaces();

const args = process.argv.slice(2);
const tap = spawn('npx', ['tap', '--reporter=tap', ...args], {
  stdio: ['ignore', 'pipe', 'inherit'],
});

let passed = 0;
let failed = 0;
// A subtest is announced by a child parser and then summarised by one assert in its parent.
// Count only leaf asserts, plus a failed subtest that had no failing leaf (a crash).
function watch(parser) {
  const children = [];
  parser.on('child', (child) => children.push(watch(child)));
  const state = { leafFailures: 0 };
  parser.on('assert', (a) => {
    const child = children.shift();
    if (child) {
      if (!a.ok && child.leafFailures === 0) {
        failed++;
        state.leafFailures++;
      } else {
        state.leafFailures += child.leafFailures;
      }
      return;
    }
    if (a.ok) passed++;
    else {
      failed++;
      state.leafFailures++;
    }
  });
  return state;
}
const parser = new Parser();
watch(parser);
tap.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  parser.write(chunk);
});
tap.on('close', (code) => {
  sweepNamespaces();
  parser.end();
  if (code !== 0 && failed === 0) failed = 1;
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exit(code ?? 1);
});
