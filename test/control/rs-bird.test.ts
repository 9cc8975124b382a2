// Putting a config in force with the real tools: `bird -p` through checkRouteServerConfig, and
// applyRouteServer against a real BIRD running in a network namespace of its own (only `lo`
// there, so its BGP sessions wait for neighbours and send nothing).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import t from 'tap';
import { parseConfig } from '../../src/control/config-load.js';
import type { Config } from '../../src/control/config-types.js';
import { applyRouteServer, checkRouteServerConfig, resolveRouteServerInputs } from '../../src/control/rs-bird.js';
import { runCommand, type CommandRunner } from '../../src/control/rs-command.js';
import { renderRouteServer } from '../../src/control/rs-render.js';
import { FIXTURES, fixtureBgpq4, fixtureConfig, startBird } from '../helpers/rs-fixtures.js';

const SMALL = readFileSync(join(FIXTURES, 'small.yaml'), 'utf8');
const configOf = (text: string): Config => {
  const r = parseConfig(text, join(FIXTURES, 'small.yaml'));
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
};
const WITH_DELTA = `${SMALL}  - asn: 210509\n    name: Delta\n    ipv4: [185.201.0.19]\n`;

t.test('checkRouteServerConfig runs bird -p', async (t) => {
  const good = await checkRouteServerConfig(renderRouteServer(configOf(SMALL)));
  t.same(good, { ok: true, output: '' });
  const bad = await checkRouteServerConfig('router id 1.2.3.4;\nprotocol bgp x {\n  neighbor;\n}\n');
  t.equal(bad.ok, false);
  t.match(bad.output, /^bird: bird\.conf:\d+:\d+ /, 'the error names bird.conf and the line, not a temporary path');
});

t.test('applyRouteServer against a real BIRD', async (t) => {
  const ns = `ixfrs${process.pid}`;
  t.equal(spawnSync('ip', ['netns', 'add', ns]).status, 0, `netns ${ns}`);
  t.teardown(() => void spawnSync('ip', ['netns', 'del', ns]));
  spawnSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  const small = configOf(SMALL);
  const bird = await startBird(renderRouteServer(small), { netns: ns });
  t.teardown(() => bird.stop());
  const opts = { configPath: bird.configPath, socket: bird.socket, inputs: {} };
  const calls: string[] = [];
  const runner: CommandRunner = (cmd, args, o) => {
    calls.push(`${cmd} ${args.slice(-1)[0]}`);
    return runCommand(cmd, args, o);
  };

  const same = await applyRouteServer(small, { ...opts, runner });
  t.same([same.changed, same.configured, calls], [false, false, []], 'same content: nothing runs, BIRD is not touched');

  const delta = configOf(WITH_DELTA);
  const r = await applyRouteServer(delta, { ...opts, runner });
  t.same([r.changed, r.configured], [true, true]);
  t.match(r.birdc, /Reconfigured/);
  t.same(calls, [`bird ${calls[0]?.split(' ')[1]}`, 'birdc configure'], 'bird -p on a file beside the target, then birdc configure');
  t.equal(readFileSync(bird.configPath, 'utf8'), renderRouteServer(delta));
  t.match(bird.birdc('show protocols'), /m_as210509_v4\s+BGP/, 'BIRD runs the new session');
  t.same(readdirSync(dirname(bird.configPath)).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left');
  t.equal((await applyRouteServer(delta, { ...opts, runner })).changed, false, 'applying again changes nothing');

  const refusing: CommandRunner = async (cmd, args, o) =>
    cmd === 'bird' ? { code: 1, stdout: '', stderr: `bird: ${args[2]}:7:1 syntax error\n` } : runCommand(cmd, args, o);
  await t.rejects(applyRouteServer(small, { ...opts, runner: refusing }), { name: 'RouteServerApplyError', message: /bird -p refused the rendered config; .* is unchanged:\n.*:7:1 syntax error/ });
  t.equal(readFileSync(bird.configPath, 'utf8'), renderRouteServer(delta), 'bird -p refused: the file is unchanged');

  const birdcRefuses: CommandRunner = async (cmd, args, o) =>
    cmd === 'birdc' ? { code: 0, stdout: 'BIRD 2.0.12 ready.\nReading configuration from x\nbird.conf:7:1 syntax error\n', stderr: '' } : runCommand(cmd, args, o);
  await t.rejects(applyRouteServer(small, { ...opts, runner: birdcRefuses }), /birdc configure failed; .* was restored/);
  t.equal(readFileSync(bird.configPath, 'utf8'), renderRouteServer(delta), 'configure refused: the previous file is back');
  t.match(bird.birdc('show protocols'), /m_as210509_v4/, '... and BIRD still runs it');
});

t.test('BIRD not running: the file is written for its next start', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ixf-apply-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'bird.conf');
  writeFileSync(path, '# old\n');
  const r = await applyRouteServer(configOf(SMALL), { configPath: path, socket: join(dir, 'none.ctl'), inputs: {} });
  t.same([r.changed, r.configured], [true, false]);
  t.match(r.warnings[0], /BIRD is not reachable on .*none\.ctl/);
  t.ok(existsSync(path) && readFileSync(path, 'utf8').startsWith('# ixfabric route server'));
});

t.test('resolveRouteServerInputs: IRR through the cache and the ROA file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ixf-inputs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const base = fixtureConfig('every-option.yaml');
  const rs = base.routeServer;
  if (!rs) throw new Error('fixture without route_server');
  const config: Config = { ...base, routeServer: { ...rs, rpki: { roaFile: join(FIXTURES, 'roas.json') } } };
  const { inputs, warnings } = await resolveRouteServerInputs(config, { cacheDir: dir, runner: fixtureBgpq4(), now: new Date('2024-05-01T12:00:00Z') });
  t.same(warnings, []);
  t.equal(inputs.roas?.length, 5);
  t.equal(inputs.irr?.size, 5);
  t.equal(renderRouteServer(config, inputs), readFileSync(join(FIXTURES, 'every-option.bird.conf'), 'utf8'), 'renders the golden file');
  const missing: Config = { ...base, routeServer: { ...rs, rpki: { roaFile: join(dir, 'none.json') } } };
  await t.rejects(resolveRouteServerInputs(missing, { cacheDir: dir, runner: fixtureBgpq4() }), /cannot read the ROA file/);
});
