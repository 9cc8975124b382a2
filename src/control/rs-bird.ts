// Putting a rendered route-server config in force: `bird -p` checks it, it is written next to
// the live file and renamed over it (a reader never sees half a file), and `birdc configure`
// runs only when the bytes changed, so an unchanged registry never touches BIRD. When BIRD
// answers the configure with an error, the previous file is put back, so the file on disk and
// the config BIRD runs stay the same and the next apply tries again. When BIRD is not running
// (no control socket), the new file stays: BIRD reads it when it starts.

import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from './config-types.js';
import { runCommand, type CommandRunner } from './rs-command.js';
import { tempPathBeside, writeFileAtomic, writeFileSynced } from './atomic-file.js';
import { resolveIrr, type ResolveIrrOptions } from './rs-irr.js';
import { renderRouteServer, type RouteServerInputs } from './rs-render.js';
import { loadRoaFile } from './rs-rpki.js';

export interface ResolvedInputs {
  inputs: RouteServerInputs;
  /** Non-fatal problems (e.g. an IRR query failed and a stale cache entry was used). */
  warnings: string[];
}

/**
 * What the renderer needs besides the registry: IRR data for every route-server member
 * (bgpq4 and its cache) and the ROAs of `rpki.roa_file`. Throws when one cannot be had.
 * `rs render`, `rs check` and `rs apply` resolve once and render from the result.
 */
export async function resolveRouteServerInputs(config: Config, opts: ResolveIrrOptions = {}): Promise<ResolvedInputs> {
  const rs = config.routeServer;
  if (!rs) throw new Error('the config has no route_server section');
  const irr = await resolveIrr(config, opts);
  const inputs: RouteServerInputs = { irr: irr.byAsn };
  if (rs.rpki.roaFile !== null) inputs.roas = loadRoaFile(rs.rpki.roaFile);
  return { inputs, warnings: irr.warnings };
}

export interface CheckResult {
  ok: boolean;
  /** What `bird -p` printed (errors name the file as `bird.conf`). */
  output: string;
}

/** Runs `bird -p -c` on the text (in a private temporary directory). */
export async function checkRouteServerConfig(text: string, opts: { runner?: CommandRunner } = {}): Promise<CheckResult> {
  const dir = mkdtempSync(join(tmpdir(), 'ixfabric-rs-'));
  const file = join(dir, 'bird.conf');
  try {
    writeFileSynced(file, text);
    return await checkFile(file, opts.runner ?? runCommand, 'bird.conf');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function checkFile(file: string, runner: CommandRunner, shownAs: string): Promise<CheckResult> {
  const r = await runner('bird', ['-p', '-c', file], { timeoutMs: 120000 });
  const output = `${r.stderr}${r.stdout}`.split(file).join(shownAs).trim();
  return { ok: r.code === 0, output: output || (r.code === 0 ? '' : `bird -p exited with ${r.code}`) };
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

export class RouteServerApplyError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(output ? `${message}:\n${output}` : message);
    this.name = 'RouteServerApplyError';
  }
}

export interface ApplyOptions {
  /** Resolved inputs; default: resolved now (bgpq4 and cache, ROA file). */
  inputs?: RouteServerInputs;
  resolve?: ResolveIrrOptions;
  runner?: CommandRunner;
  /** Default `route_server.bird_config`. */
  configPath?: string;
  /** Default `route_server.birdc_socket`. */
  socket?: string;
}

export interface ApplyResult {
  /** The file's content changed (and was written). */
  changed: boolean;
  path: string;
  /** `birdc configure` ran and BIRD accepted the config. */
  configured: boolean;
  /** What birdc said (empty when it did not run). */
  birdc: string;
  /** Non-fatal problems: stale IRR data, BIRD not running. */
  warnings: string[];
}

/** Render, check, write atomically, `birdc configure` when the content changed. */
export async function applyRouteServer(config: Config, opts: ApplyOptions = {}): Promise<ApplyResult> {
  const rs = config.routeServer;
  if (!rs) throw new RouteServerApplyError('the config has no route_server section', '');
  const runner = opts.runner ?? runCommand;
  const path = opts.configPath ?? rs.birdConfig;
  const socket = opts.socket ?? rs.birdcSocket;
  const warnings: string[] = [];
  let inputs = opts.inputs;
  if (!inputs) {
    const resolved = await resolveRouteServerInputs(config, opts.resolve);
    inputs = resolved.inputs;
    warnings.push(...resolved.warnings);
  }
  const text = renderRouteServer(config, inputs);
  const old = readOrNull(path);
  if (old === text) return { changed: false, path, configured: false, birdc: '', warnings };

  const tmp = tempPathBeside(path, 'check');
  try {
    writeFileSynced(tmp, text);
    const check = await checkFile(tmp, runner, path);
    if (!check.ok) throw new RouteServerApplyError(`bird -p refused the rendered config; ${path} is unchanged`, check.output);
    renameSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
  }

  const r = await runner('birdc', ['-s', socket, 'configure'], { timeoutMs: 120000 });
  const said = `${r.stdout}${r.stderr}`.trim();
  if (/Reconfigur(ed|ation in progress|ation already in progress)/.test(said)) {
    return { changed: true, path, configured: true, birdc: said, warnings };
  }
  if (/Unable to connect|No such file|Connection refused/i.test(said) || r.code === null) {
    warnings.push(`BIRD is not reachable on ${socket}; it reads ${path} when it starts (${said})`);
    return { changed: true, path, configured: false, birdc: said, warnings };
  }
  // BIRD refused it: put the previous file back so disk and running config agree.
  if (old === null) rmSync(path, { force: true });
  else writeFileAtomic(path, old);
  throw new RouteServerApplyError(`birdc configure failed; ${path} was restored`, said);
}
