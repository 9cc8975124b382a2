// ixfabricd: one daemon per POP. The main thread owns the config, the port lifecycle, the
// control socket, metrics, systemd integration and the FDB snapshot; the dataplane (switch
// core and every port's I/O) runs in a worker thread, so no control work stalls forwarding.
//
//   ixfabricd --config PATH [--pop NAME]      run in the foreground (systemd Type=notify)
//   ixfabricd --config PATH --check           validate, print every error, exit 0 or 1

import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { writeFileAtomic } from './atomic-file.js';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DataplaneClient } from '../dataplane/dataplane-client.js';
import { native } from '../dataplane/native.js';
import { findRepoRoot } from '../dataplane/repo-root.js';
import type { Config, PortDiff } from './config-types.js';
import { formatConfigError, loadConfig } from './config-load.js';
import { createHandlers, type DaemonState } from './control-handlers.js';
import { ControlServer } from './control-server.js';
import { createLogger, type Logger } from './log.js';
import { createRegistry, serveMetrics } from './metrics.js';
import { PortManager } from './port-manager.js';
import { routeServerCommands } from './rs-commands.js';
import { openvpnCommands } from './openvpn-commands.js';
import { fabricSpec } from './port-plan.js';
import { SdNotify } from './sd-notify.js';

const USAGE = `usage: ixfabricd --config PATH [--pop NAME] [--check]

  --config PATH   the exchange registry (YAML); see docs/config.md
  --pop NAME      run as this POP instead of pop.name (one registry for every POP)
  --check         validate the config, print every error as PATH:LINE:COLUMN: FIELD: reason, exit 0 or 1
  --version       print the version
`;

const SNAPSHOT_FILE = 'fdb.bson';
const SNAPSHOT_EVERY_MS = 60_000;

export function version(): string {
  return (JSON.parse(readFileSync(join(findRepoRoot(import.meta.url), 'package.json'), 'utf8')) as { version: string }).version;
}

function load(path: string, pop: string | undefined): { config?: Config; errors?: string[] } {
  const r = loadConfig(path, pop === undefined ? {} : { pop });
  return r.ok ? { config: r.config } : { errors: r.errors.map(formatConfigError) };
}

export async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, options: { config: { type: 'string' }, pop: { type: 'string' }, check: { type: 'boolean' }, version: { type: 'boolean' }, help: { type: 'boolean' } } }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.version) {
    process.stdout.write(`ixfabricd ${version()}\n`);
    return 0;
  }
  if (!args.config) {
    process.stderr.write(`--config is required\n${USAGE}`);
    return 2;
  }
  const first = load(args.config, args.pop);
  if (!first.config) {
    process.stderr.write(first.errors!.join('\n') + '\n');
    return 1;
  }
  if (args.check) {
    const c = first.config;
    process.stdout.write(`${args.config}: ok (POP ${c.pop}: ${c.ports.length} ports, ${c.members.length} members in the registry)\n`);
    return 0;
  }
  return run(args.config, args.pop, first.config);
}

async function run(path: string, pop: string | undefined, config: Config): Promise<number> {
  const log = createLogger({ base: { pop: config.pop } });
  const sd = new SdNotify({ onError: (err) => log.warn({ err }, 'sd_notify failed') });
  mkdirSync(config.control.stateDir, { recursive: true });
  const dp = await DataplaneClient.start(PortManager.maxPorts, fabricSpec(config));
  const pm = new PortManager(dp, native, log);

  const state: DaemonState = {
    version: version(),
    startedAt: new Date(),
    config,
    configLoadedAt: new Date(),
    pm,
    dp,
    reload: () => reload(),
  };
  state.extra = { ...routeServerCommands(() => state.config), ...openvpnCommands(() => state.config, () => pm.openvpnSupervisors()) };
  let reloading: Promise<PortDiff> | null = null;
  async function reload(): Promise<PortDiff> {
    if (reloading) return reloading;
    reloading = (async () => {
      sd.reloading();
      try {
        const next = load(path, pop);
        if (!next.config) {
          log.error({ errors: next.errors }, 'reload refused: invalid config, the old one stays in force');
          throw Object.assign(new Error(next.errors!.join('\n')), { code: 'invalid_config' });
        }
        const diff = await pm.apply(next.config).catch((err: Error) => {
          log.error({ err: err.message }, 'reload failed');
          throw err;
        });
        state.config = next.config;
        state.configLoadedAt = new Date();
        log.info(diff, 'config reloaded');
        return diff;
      } finally {
        sd.ready();
        reloading = null;
      }
    })();
    return reloading;
  }

  let diff: PortDiff;
  try {
    diff = await pm.apply(config, () => restoreSnapshot(dp, config, log));
  } catch (err) {
    log.fatal({ err: (err as Error).message }, 'could not start');
    await pm.stop().catch(() => undefined);
    await dp.close().catch(() => undefined);
    return 1;
  }
  pm.startWatching();
  log.info({ ports: diff.added.length, path }, 'ports opened');
  // compiles the switch's code before the first burst of real traffic needs it (warm-up.ts); a
  // daemon that could not do it forwards all the same, only slower for its first frames
  await dp.warmUp().then(
    (w) => log.info({ frames: w.frames, ms: Math.round(w.ms) }, 'dataplane code warmed up with synthetic frames'),
    (err: Error) => log.warn({ err: err.message }, 'dataplane warm-up failed; forwarding without it'),
  );

  const server = new ControlServer({
    path: config.control.socket,
    mode: config.control.socketMode,
    group: config.control.socketGroup,
    handler: createHandlers(state),
    log,
  });
  await server.listen();
  let metrics: Server | null = null;
  if (config.control.metrics) {
    const registry = createRegistry({
      counters: dp.counters,
      slots: () => [
        ...[...pm.ports.values()].map((p) => ({ name: p.name, slot: p.id, memberAsn: p.config.memberAsn, up: p.state === 'up' })),
        ...pm.socketSlots().map((l) => ({ name: l.key, slot: l.slot, memberAsn: null, up: true })),
      ],
    });
    metrics = await serveMetrics(registry, config.control.metrics.host, config.control.metrics.port);
  }
  const snapshotTimer = setInterval(() => void saveSnapshot(dp, state.config, log), SNAPSHOT_EVERY_MS);
  snapshotTimer.unref();
  sd.ready(`forwarding: ${pm.ports.size} ports`);
  const watchdog = sd.startWatchdog();
  log.info({ version: state.version, socket: config.control.socket, metrics: config.control.metrics, tap_io: dp.tapIo }, 'ixfabricd running');

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = async (why: string, code: number) => {
      if (stopping) return;
      stopping = true;
      log.info({ why }, 'stopping');
      sd.stopping();
      clearInterval(snapshotTimer);
      watchdog?.stop();
      await saveSnapshot(dp, state.config, log);
      await server.close().catch(() => undefined);
      if (metrics) await new Promise((r) => metrics!.close(r));
      await pm.stop().catch((err: Error) => log.error({ err: err.message }, 'closing ports failed'));
      await dp.close();
      log.info({}, 'stopped');
      resolve(code);
    };
    process.on('SIGTERM', () => void stop('SIGTERM', 0));
    process.on('SIGINT', () => void stop('SIGINT', 0));
    process.on('SIGHUP', () => void reload().catch(() => undefined));
    dp.on('exit', (code) => {
      if (!stopping) {
        log.fatal({ code }, 'dataplane worker died');
        resolve(1);
      }
    });
  });
}

async function restoreSnapshot(dp: DataplaneClient, config: Config, log: Logger): Promise<void> {
  const file = join(config.control.stateDir, SNAPSHOT_FILE);
  let bytes: Buffer;
  try {
    const st = statSync(file);
    if ((Date.now() - st.mtimeMs) / 1000 >= config.fabric.fdb.agingS) {
      log.info({ file }, 'FDB snapshot older than the aging time: not loaded');
      return;
    }
    bytes = readFileSync(file);
  } catch {
    return;
  }
  try {
    const r = await dp.restore(bytes);
    log.info({ file, ...r }, 'FDB snapshot loaded');
  } catch (err) {
    log.warn({ file, err: (err as Error).message }, 'FDB snapshot unreadable: ignored');
  }
}

async function saveSnapshot(dp: DataplaneClient, config: Config, log: Logger): Promise<void> {
  const file = join(config.control.stateDir, SNAPSHOT_FILE);
  try {
    writeFileAtomic(file, await dp.snapshot());
  } catch (err) {
    log.warn({ file, err: (err as Error).message }, 'FDB snapshot not written');
  }
}
