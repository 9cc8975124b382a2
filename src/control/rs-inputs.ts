// Gathering what the renderer needs besides the registry: IRR data (bgpq4 + cache) and the
// ROAs of `rpki.roa_file`. Kept apart from the renderer so rendering stays pure: `rs render`,
// `rs check` and `rs apply` resolve once and render from the result.

import type { Config } from './config-types.js';
import { resolveIrr, type ResolveIrrOptions } from './rs-irr.js';
import type { RouteServerInputs } from './rs-render.js';
import { loadRoaFile } from './rs-rpki.js';

export interface ResolvedInputs {
  inputs: RouteServerInputs;
  /** Non-fatal problems (e.g. an IRR query failed and a stale cache entry was used). */
  warnings: string[];
}

/** IRR data for every route-server member and the ROA file; throws when one cannot be had. */
export async function resolveRouteServerInputs(config: Config, opts: ResolveIrrOptions = {}): Promise<ResolvedInputs> {
  const rs = config.routeServer;
  if (!rs) throw new Error('the config has no route_server section');
  const irr = await resolveIrr(config, opts);
  const inputs: RouteServerInputs = { irr: irr.byAsn };
  if (rs.rpki.roaFile !== null) inputs.roas = loadRoaFile(rs.rpki.roaFile);
  return { inputs, warnings: irr.warnings };
}
