// `npm run lab` (dist/src/control/lab.js): `up` builds the mini exchange with BGP Established and
// routes passed on by the route server; `up` again refuses; `down` removes every namespace,
// process and file, also after an `up` that was killed half-way.
//
// The lab's names are fixed (ixlab-*, /run/ixfabric-lab), so this test never touches a lab it
// did not build: if one exists when it starts, it fails at once and says so (remove it with
// `npm run lab -- down`). It runs `down` in teardown only after its own `up`.
import t, { type Test } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAB_DIR, LAB_NS, LAB_SOCKET, RS_SOCKET, labNamespaces, memberSocket } from '../../src/control/lab.js';
import { repoRoot } from '../helpers/paths.js';
import { ctlBin, waitFor } from '../helpers/netns.js';

const labJs = join(repoRoot, 'dist', 'src', 'control', 'lab.js'); // what `npm run lab` runs

// The lab runs as from a shell: without the NODE_OPTIONS hooks tap puts into every child
// process (the lab would pass them on to ixfabricd, and they fail for a non-root user).
const node = ['-u', 'NODE_OPTIONS', process.execPath];

function lab(...args: string[]) {
  return spawnSync('env', [...node, labJs, ...args], { encoding: 'utf8', timeout: 180_000 });
}

/** Every process in a lab namespace. */
function labPids(): number[] {
  return labNamespaces().flatMap((ns) =>
    spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout.split(/\s+/).filter(Boolean).map(Number),
  );
}

function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Nothing of a lab remains: namespaces, state dir, processes (those seen before, and any naming the lab). */
function assertGone(t: Test, pids: number[]): void {
  t.same(labNamespaces(), [], 'no ixlab-* namespace remains');
  t.notOk(existsSync(LAB_DIR), `${LAB_DIR} is gone`);
  t.same(pids.filter(alive), [], `none of the lab's ${pids.length} processes survives`);
  const named = spawnSync('pgrep', ['-af', 'ixfabric-lab|ixlab-'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l && !l.includes('pgrep'));
  t.same(named, [], 'no process names the lab in its command line');
}

const existing = labNamespaces();
if (existing.length > 0 || existsSync(LAB_DIR)) {
  t.fail(`a lab already exists on this machine (${[...existing, ...(existsSync(LAB_DIR) ? [LAB_DIR] : [])].join(', ')}); this test does not touch it. Remove it with \`npm run lab -- down\` and run the test again.`);
} else {
  let built = false;
  t.teardown(() => {
    if (built) lab('down');
  });

  t.test('up refuses clearly without root, and without its tools', async (t) => {
    const nobody = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'env', ...node, labJs, 'up'], { encoding: 'utf8' });
    t.equal(nobody.status, 1, 'not root: exit 1');
    t.match(nobody.stderr, /needs root.*sudo npm run lab/, `says so: ${nobody.stderr.trim()}`);
    const noBird = spawnSync('/usr/bin/env', [...node, labJs, 'up'], { encoding: 'utf8', env: { ...process.env, PATH: '/nonexistent' } });
    t.equal(noBird.status, 1, 'tools missing: exit 1');
    t.match(noBird.stderr, /missing: .*bird .*apt-get install -y .*bird2/, `says what to install: ${noBird.stderr.trim()}`);
    t.same(labNamespaces(), [], 'and builds nothing');
  });

  t.test('up: BGP Established, routes passed on, traffic through the fabric', async (t) => {
    built = true;
    const t0 = Date.now();
    const r = lab('up');
    t.equal(r.status, 0, `up exits 0 (${((Date.now() - t0) / 1000).toFixed(1)} s)${r.status ? `: ${r.stderr}` : ''}`);
    t.match(r.stdout, /\[ 1\/10\][\s\S]*\[10\/10\][\s\S]*The lab is up/, 'a progress line per step, then "The lab is up"');
    t.match(r.stdout, /Remove it all: npm run lab -- down/, 'and what to try, ending with how to remove it');
    t.same(labNamespaces().sort(), Object.values(LAB_NS).sort(), 'the five documented namespaces');

    const status = JSON.parse(spawnSync(process.execPath, [ctlBin, '--socket', LAB_SOCKET, '--json', 'rs', 'status'], { encoding: 'utf8' }).stdout) as {
      sessions: Array<{ name: string; bgpState: string }>;
    };
    t.same(status.sessions.map((s) => `${s.name} ${s.bgpState}`), ['m_as65001_v4', 'm_as65001_v6', 'm_as65002_v4', 'm_as65002_v6', 'm_as65003_v4', 'm_as65003_v6'].map((n) => `${n} Established`), 'rs status: the 6 sessions Established');

    const atM2 = spawnSync('birdc', ['-s', memberSocket('m2'), 'show route 185.61.0.0/24 all'], { encoding: 'utf8' }).stdout;
    t.match(atM2, /185\.61\.0\.0\/24 .*\n[\s\S]*BGP\.as_path: 65001\n/, "m1's route (VXLAN) reached m2 (Ethernet) through the route server");
    t.match(atM2, /\(64510, 1000, 1\) \(64510, 1001, 1\)/, 'tagged RPKI valid and IRR registered');
    t.match(spawnSync('birdc', ['-s', RS_SOCKET, 'show route filtered all'], { encoding: 'utf8' }).stdout, /185\.61\.2\.0\/25[\s\S]*\(64510, 1101, 1\)/, "m1's too specific route is filtered with its reason");
    // The printed commands work: ping from m1's network to m3's, over the routes from the RS.
    const ping = spawnSync('ip', ['netns', 'exec', LAB_NS.m1, 'ping', '-c', '2', '-i', '0.2', '-W', '2', '-I', '185.61.0.1', '185.63.0.1'], { encoding: 'utf8' });
    t.equal(ping.status, 0, 'ip netns exec ixlab-m1 ping -I 185.61.0.1 185.63.0.1 (VXLAN → TAP, routed by BGP)');
    const ping6 = spawnSync('ip', ['netns', 'exec', LAB_NS.m3, 'ping', '-c', '2', '-i', '0.2', '-W', '2', '-I', '2a0c:63::1', '2a0c:62::1'], { encoding: 'utf8' });
    t.equal(ping6.status, 0, 'and IPv6: m3 (TAP) → m2 (Ethernet)');
  });

  t.test('up again: refuses, says what to do, changes nothing', async (t) => {
    const before = labPids();
    const r = lab('up');
    t.equal(r.status, 1, 'exit 1');
    t.match(r.stderr, /a lab already exists .*\n.*npm run lab -- down/, `says so: ${r.stderr.split('\n')[0]}`);
    t.same(labPids().sort(), before.sort(), 'the running lab is untouched');
  });

  t.test('down removes everything', async (t) => {
    const pids = labPids();
    t.ok(pids.length >= 5, `${pids.length} processes in the lab (ixfabricd, 4 BIRDs)`);
    const r = lab('down');
    t.equal(r.status, 0, 'down exits 0');
    t.match(r.stdout, /stopped .*ixfabricd\[\d+\].*\n.*removed namespaces .*\n.*removed \/run\/ixfabric-lab/, r.stdout.trim());
    assertGone(t, pids);
    built = false;
    t.match(lab('down').stdout, /nothing to do/, 'down again: nothing to do, exit 0');
  });

  t.test('down after an up that was killed half-way', async (t) => {
    built = true;
    const child = spawn('env', [...node, labJs, 'up'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.resume();
    await waitFor('up to start the BIRDs', () => /\[ 9\/10\]/.test(out), 60_000, 50);
    child.kill('SIGKILL');
    await waitFor('the killed up', () => child.exitCode !== null || child.signalCode !== null);
    const pids = labPids();
    t.ok(pids.length >= 5, `left behind: ${pids.length} processes, namespaces ${labNamespaces().join(', ')}`);
    const r = lab('down');
    t.equal(r.status, 0, 'down exits 0');
    assertGone(t, pids);
    built = false;
  });
}
