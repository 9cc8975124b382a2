// Control-socket commands for the route server and the IX-F export (`ixfabricctl rs ...`,
// `ixfabricctl ixf export`), over the config currently in force.

import type { Config } from './config-types.js';
import { exportIxf } from './ixf-export.js';
import { applyRouteServer, checkRouteServerConfig, resolveRouteServerInputs } from './rs-bird.js';
import { renderRouteServer } from './rs-render.js';
import { routeServerStatus } from './rs-status.js';

type Handler = (args: Record<string, unknown>) => Promise<unknown> | unknown;

export function routeServerCommands(config: () => Config): Record<string, Handler> {
  const render = async (args: Record<string, unknown>) => {
    const { inputs, warnings } = await resolveRouteServerInputs(config(), { refresh: args.refresh === true || args.refresh === 'true' });
    return { text: renderRouteServer(config(), inputs), warnings };
  };
  return {
    'rs.render': async (args) => (await render(args)).text,
    'rs.check': async (args) => {
      const { text, warnings } = await render(args);
      const r = await checkRouteServerConfig(text);
      if (!r.ok) throw Object.assign(new Error(`bird -p refused the rendered config:\n${r.output}`), { code: 'rs_check_failed' });
      return { ok: true, output: r.output.trim() || 'bird -p: configuration OK', warnings };
    },
    'rs.apply': (args) => applyRouteServer(config(), { resolve: { refresh: args.refresh === true || args.refresh === 'true' } }),
    'rs.status': () => routeServerStatus(config()),
    'ixf.export': () => exportIxf(config()),
  };
}
