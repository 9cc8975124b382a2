// ixfabricctl: asks the daemon over its control socket and prints the answer as aligned tables
// or, with --json, as exactly one JSON document on stdout.
//
// Exit status (CONTRACT.md): 0 ok, 1 the daemon answered with an error (its message on stderr),
// 2 usage error, 3 cannot reach the daemon.
//
// Socket: --socket PATH, else $IXFABRIC_SOCKET, else control.socket of the file given with
// --config, else /run/ixfabric/ixfabric.sock. The wire protocol is in docs/control-protocol.md.
//
// `main(argv, env, io)` takes the arguments after the program name and returns the exit code,
// so tests run it in-process; executed directly, this module runs it on process.argv.

import { formatRouteServerStatus, type RouteServerStatus } from './rs-status.js';
import { readFileSync } from 'node:fs';
import { isMainModule } from './main-module.js';
import { parseDocument } from 'yaml';
import { loadConfig } from './config-load.js';
import { type ControlClient, DaemonError, UnreachableError, withClient } from './control-client.js';
import {
  type FormatOptions,
  formatFdb,
  formatFlush,
  formatGeneric,
  formatMembers,
  formatPorts,
  formatReload,
  formatStatus,
  formatText,
} from './ctl-format.js';

export const DEFAULT_SOCKET = '/run/ixfabric/ixfabric.sock';
export const DEFAULT_TIMEOUT_S = 30;
/** Give up paging after this many pages (a daemon bug must not loop forever). */
const MAX_PAGES = 100000;

export interface CtlIO {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown };
}

export const EXIT_OK = 0;
export const EXIT_DAEMON_ERROR = 1;
export const EXIT_USAGE = 2;
export const EXIT_UNREACHABLE = 3;

type Output = 'status' | 'ports' | 'members' | 'fdb' | 'flush' | 'reload' | 'text' | 'generic' | 'json' | 'rs-status';

interface OptionSpec {
  /** Placeholder shown in the usage, e.g. NAME. */
  value: string;
  help: string;
  /** Turns the text into the wire value; throws UsageError. */
  parse?: (s: string) => unknown;
}

interface CommandSpec {
  words: string[];
  /** Wire command name. */
  cmd: string;
  summary: string;
  options?: Record<string, OptionSpec>;
  positionals?: Array<{ name: string; help: string; parse: (s: string) => unknown }>;
  /** Unknown --options are sent as args (dashes become underscores). */
  passthrough?: boolean;
  output: Output;
}

class UsageError extends Error {}

/** 'xx:xx:xx:xx:xx:xx' from any case with ':' or '-' separators, or 'xxxx.xxxx.xxxx'. */
export function normaliseMac(s: string): string {
  const hex = s.trim().toLowerCase();
  let digits: string | null = null;
  if (/^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/.test(hex)) digits = hex.replace(/[:-]/g, '');
  else if (/^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$/.test(hex)) digits = hex.replaceAll('.', '');
  else if (/^[0-9a-f]{12}$/.test(hex)) digits = hex;
  if (digits === null) throw new UsageError(`not a MAC address: ${s}`);
  return digits.match(/../g)!.join(':');
}

function parseAsn(s: string): number {
  const m = /^(?:AS)?(\d{1,10})$/i.exec(s.trim());
  const n = m ? Number(m[1]) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 4294967295) throw new UsageError(`not an ASN: ${s}`);
  return n;
}

function parseName(s: string): string {
  if (s === '') throw new UsageError('an empty name');
  return s;
}

const PORT_OPTION: OptionSpec = { value: 'NAME', help: 'only this port', parse: parseName };

export const COMMANDS: CommandSpec[] = [
  { words: ['status'], cmd: 'status', summary: 'POP, version, uptime, counts, config file', output: 'status' },
  { words: ['ports'], cmd: 'ports', summary: 'ports with state, counters and drops by reason', output: 'ports' },
  { words: ['members'], cmd: 'members', summary: 'members with MACs, addresses and ports', output: 'members' },
  {
    words: ['fdb'],
    cmd: 'fdb',
    summary: 'forwarding table entries',
    options: { port: PORT_OPTION, mac: { value: 'MAC', help: 'only this MAC', parse: normaliseMac } },
    output: 'fdb',
  },
  { words: ['fdb', 'flush'], cmd: 'fdb.flush', summary: 'forget learned MACs (all, or of one port)', options: { port: PORT_OPTION }, output: 'flush' },
  { words: ['reload'], cmd: 'reload', summary: 'reload the config file (same as SIGHUP)', output: 'reload' },
  { words: ['rs', 'render'], cmd: 'rs.render', summary: 'print the route-server (BIRD) config', passthrough: true, output: 'text' },
  { words: ['rs', 'check'], cmd: 'rs.check', summary: 'check the rendered route-server config', passthrough: true, output: 'generic' },
  { words: ['rs', 'apply'], cmd: 'rs.apply', summary: 'render, check and apply the route-server config', passthrough: true, output: 'generic' },
  { words: ['rs', 'status'], cmd: 'rs.status', summary: 'route-server sessions and route counts', passthrough: true, output: 'rs-status' },
  { words: ['ixf', 'export'], cmd: 'ixf.export', summary: 'IX-F member export (JSON)', passthrough: true, output: 'json' },
  {
    words: ['openvpn', 'client-config'],
    cmd: 'openvpn.client-config',
    summary: "an OpenVPN member's client config",
    positionals: [{ name: 'ASN', help: 'the member (64500 or AS64500)', parse: parseAsn }],
    passthrough: true,
    output: 'text',
  },
  { words: ['openvpn', 'status'], cmd: 'openvpn.status', summary: 'OpenVPN instances: state, pid, restarts, peer', passthrough: true, output: 'generic' },
];

const GLOBAL_USAGE = 'Usage: ixfabricctl [--socket PATH] [--json] [--config PATH] COMMAND [ARGS...]';

const GLOBAL_OPTIONS: Array<[string, string]> = [
  ['--socket PATH', `control socket (default: $IXFABRIC_SOCKET, else control.socket of --config, else ${DEFAULT_SOCKET})`],
  ['--config PATH', 'read the control socket path from this config file'],
  ['--json', 'print the answer as one JSON document'],
  ['--timeout SECONDS', `give up waiting for the daemon after this long (default ${DEFAULT_TIMEOUT_S})`],
  ['-H, --human-readable', 'byte counts as KiB/MiB/GiB in tables'],
  ['-h, --help', 'this help; COMMAND --help for one command'],
];

function commandSynopsis(c: CommandSpec): string {
  const parts = [...c.words];
  for (const p of c.positionals ?? []) parts.push(p.name);
  for (const [name, o] of Object.entries(c.options ?? {})) parts.push(`[--${name} ${o.value}]`);
  if (c.passthrough) parts.push('[OPTIONS]');
  return parts.join(' ');
}

function columns(rows: Array<[string, string]>): string {
  const w = rows.reduce((m, [a]) => Math.max(m, a.length), 0);
  return rows.map(([a, b]) => `  ${a.padEnd(w)}  ${b}`).join('\n');
}

export function usage(): string {
  return `${GLOBAL_USAGE}

Commands:
${columns(COMMANDS.map((c) => [commandSynopsis(c), c.summary]))}

Options:
${columns(GLOBAL_OPTIONS)}

Exit status: 0 ok, 1 the daemon answered with an error, 2 usage error, 3 cannot reach the daemon.
`;
}

function commandUsage(c: CommandSpec): string {
  const rows: Array<[string, string]> = [];
  for (const p of c.positionals ?? []) rows.push([p.name, p.help]);
  for (const [name, o] of Object.entries(c.options ?? {})) rows.push([`--${name} ${o.value}`, o.help]);
  if (c.passthrough) rows.push(['--OPTION[=VALUE]', 'sent to the daemon as args.OPTION (dashes become underscores; no value = true)']);
  return `Usage: ixfabricctl [--socket PATH] [--json] ${commandSynopsis(c)}

${c.summary} (control command '${c.cmd}').
${rows.length ? `\n${columns(rows)}\n` : ''}`;
}

interface Globals {
  socket?: string;
  config?: string;
  json: boolean;
  timeoutS: number;
  humanBytes: boolean;
  help: boolean;
}

interface Parsed {
  globals: Globals;
  command: CommandSpec | null;
  args: Record<string, unknown>;
  /** Words given for a command that does not exist (for the error message). */
  words: string[];
}

function takeValue(argv: string[], i: number, name: string, inline: string | undefined): [string, number] {
  if (inline !== undefined) return [inline, i];
  const v = argv[i + 1];
  if (v === undefined) throw new UsageError(`${name} needs a value`);
  return [v, i + 1];
}

function parseArgv(argv: string[]): Parsed {
  const globals: Globals = { json: false, timeoutS: DEFAULT_TIMEOUT_S, humanBytes: false, help: false };
  const rest: string[] = [];
  let endOfOptions = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (endOfOptions) {
      rest.push(a);
      continue;
    }
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    const inline = eq > 0 ? a.slice(eq + 1) : undefined;
    switch (name) {
      case '--':
        endOfOptions = true;
        rest.push(a);
        break;
      case '--json':
        globals.json = true;
        break;
      case '-H':
      case '--human-readable':
        globals.humanBytes = true;
        break;
      case '-h':
      case '--help':
        globals.help = true;
        break;
      case '--socket':
      case '--config': {
        const [v, j] = takeValue(argv, i, name, inline);
        if (v === '') throw new UsageError(`${name} needs a value`);
        if (name === '--socket') globals.socket = v;
        else globals.config = v;
        i = j;
        break;
      }
      case '--timeout': {
        const [v, j] = takeValue(argv, i, name, inline);
        const n = Number(v);
        if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UsageError(`--timeout needs a positive number of seconds, not '${v}'`);
        globals.timeoutS = n;
        i = j;
        break;
      }
      default:
        rest.push(a);
    }
  }

  // The command: the longest list of leading words that names one.
  const words: string[] = [];
  for (const a of rest) {
    if (a.startsWith('-')) break;
    words.push(a);
  }
  if (words[0] === 'help') {
    globals.help = true;
    words.shift();
    rest.shift();
  }
  let command: CommandSpec | null = null;
  for (const c of COMMANDS) {
    if (c.words.length <= words.length && c.words.every((w, k) => words[k] === w)) {
      if (!command || c.words.length > command.words.length) command = c;
    }
  }
  if (!command) return { globals, command: null, args: {}, words };
  if (globals.help) return { globals, command, args: {}, words };

  const args: Record<string, unknown> = {};
  const positionals: string[] = [];
  const tokens = rest.slice(command.words.length);
  let literal = false;
  for (let i = 0; i < tokens.length; i++) {
    const a = tokens[i] as string;
    if (literal || !a.startsWith('-') || a === '-') {
      positionals.push(a);
      continue;
    }
    if (a === '--') {
      literal = true;
      continue;
    }
    if (!a.startsWith('--')) throw new UsageError(`unknown option ${a}`);
    const eq = a.indexOf('=');
    const name = (eq > 0 ? a.slice(2, eq) : a.slice(2));
    const inline = eq > 0 ? a.slice(eq + 1) : undefined;
    const spec = command.options?.[name];
    if (spec) {
      const [v, j] = takeValue(tokens, i, `--${name}`, inline);
      args[name] = spec.parse ? spec.parse(v) : v;
      i = j;
    } else if (command.passthrough && /^[A-Za-z][A-Za-z0-9-]*$/.test(name)) {
      const key = name.replaceAll('-', '_');
      const next = tokens[i + 1];
      if (inline !== undefined) args[key] = inline;
      else if (next !== undefined && !next.startsWith('-')) {
        args[key] = next;
        i++;
      } else args[key] = true;
    } else {
      throw new UsageError(`${command.words.join(' ')}: unknown option --${name}`);
    }
  }
  const specs = command.positionals ?? [];
  if (positionals.length < specs.length) {
    throw new UsageError(`${command.words.join(' ')}: missing ${specs.slice(positionals.length).map((p) => p.name).join(' ')}`);
  }
  if (positionals.length > specs.length) {
    throw new UsageError(`${command.words.join(' ')}: unexpected argument '${positionals[specs.length]}'`);
  }
  specs.forEach((p, k) => {
    args[p.name.toLowerCase()] = p.parse(positionals[k] as string);
  });
  return { globals, command, args, words };
}

/** Where the daemon listens, as ixfabricctl resolves it. Throws UsageError for an unreadable --config. */
export function resolveSocket(globals: { socket?: string; config?: string }, env: Record<string, string | undefined>): string {
  if (globals.socket !== undefined) return globals.socket;
  if (env.IXFABRIC_SOCKET) return env.IXFABRIC_SOCKET;
  if (globals.config !== undefined) {
    const r = loadConfig(globals.config);
    if (r.ok) return r.config.control.socket;
    // An invalid file (e.g. being edited before a reload) still names its socket.
    let text: string;
    try {
      text = readFileSync(globals.config, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read the config file ${globals.config}: ${(err as Error).message}`);
    }
    try {
      const v = parseDocument(text).getIn(['control', 'socket']);
      if (typeof v === 'string' && v.startsWith('/')) return v;
    } catch {
      // fall through to the default
    }
  }
  return DEFAULT_SOCKET;
}

function isPage(v: unknown): v is { entries: unknown[]; next_cursor?: unknown } {
  return v !== null && typeof v === 'object' && Array.isArray((v as { entries?: unknown }).entries);
}

/** `fdb` over as many pages as the daemon hands out; one array. */
async function fetchFdb(client: ControlClient, args: Record<string, unknown>): Promise<unknown[]> {
  const all: unknown[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await client.call('fdb', cursor === null ? args : { ...args, cursor });
    if (Array.isArray(res)) return all.concat(res); // a daemon that does not page
    if (!isPage(res)) throw new DaemonError("the daemon's fdb answer has no entries", 'bad_answer', 'fdb');
    for (const e of res.entries) all.push(e);
    const next = res.next_cursor;
    if (next === null || next === undefined || next === '') return all;
    if (typeof next !== 'string' || next === cursor) {
      throw new DaemonError(`the daemon's fdb paging did not advance (cursor ${JSON.stringify(next)})`, 'bad_answer', 'fdb');
    }
    cursor = next;
  }
  throw new DaemonError(`the fdb has more than ${MAX_PAGES} pages`, 'bad_answer', 'fdb');
}

function render(output: Output, result: unknown, fmt: FormatOptions): string {
  switch (output) {
    case 'status':
      return formatStatus(result);
    case 'ports':
      return formatPorts(result, fmt);
    case 'members':
      return formatMembers(result, fmt);
    case 'fdb':
      return formatFdb(result, fmt);
    case 'flush':
      return formatFlush(result);
    case 'reload':
      return formatReload(result);
    case 'text':
      return formatText(result, fmt);
    case 'json':
      return typeof result === 'string' ? formatText(result) : `${JSON.stringify(result, null, 2)}\n`;
    case 'generic':
      return formatGeneric(result, fmt);
    case 'rs-status':
      return formatRouteServerStatus(result as RouteServerStatus);
  }
}

function endLine(s: string): string {
  return s.endsWith('\n') ? s : `${s}\n`;
}

export async function main(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
  io: CtlIO = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parseArgv(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`ixfabricctl: ${err.message}\n\n${usage()}`);
    return EXIT_USAGE;
  }
  const { globals, command, args, words } = parsed;
  if (!command) {
    if (globals.help && (words.length === 0 || COMMANDS.some((c) => c.words[0] === words[0] && words.length === 1))) {
      io.stdout.write(usage());
      return EXIT_OK;
    }
    const group = COMMANDS.filter((c) => c.words.length > 1 && c.words[0] === words[0]);
    const what =
      words.length === 0
        ? 'no command given'
        : group.length && words.length === 1
          ? `'${words[0]}' needs one of: ${group.map((c) => c.words[1]).join(', ')}`
          : `unknown command '${words.join(' ')}'`;
    io.stderr.write(`ixfabricctl: ${what}\n\n${usage()}`);
    return EXIT_USAGE;
  }
  if (globals.help) {
    io.stdout.write(commandUsage(command));
    return EXIT_OK;
  }

  let socketPath: string;
  try {
    socketPath = resolveSocket(globals, env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`ixfabricctl: ${err.message}\n`);
    return EXIT_USAGE;
  }

  const timeoutMs = Math.round(globals.timeoutS * 1000);
  let result: unknown;
  try {
    result = await withClient(socketPath, { timeoutMs }, (client) =>
      command.cmd === 'fdb' ? fetchFdb(client, args) : client.call(command.cmd, args),
    );
  } catch (err) {
    if (err instanceof DaemonError) {
      io.stderr.write(endLine(err.message));
      return EXIT_DAEMON_ERROR;
    }
    if (err instanceof UnreachableError) {
      io.stderr.write(`ixfabricctl: ${err.message}\n`);
      return EXIT_UNREACHABLE;
    }
    io.stderr.write(`ixfabricctl: ${(err as Error).message ?? String(err)}\n`);
    return EXIT_DAEMON_ERROR;
  }

  if (globals.json) {
    io.stdout.write(`${JSON.stringify(result ?? null, null, 2)}\n`);
    return EXIT_OK;
  }
  const color = io.stdout.isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb';
  io.stdout.write(render(command.output, result, { color, humanBytes: globals.humanBytes }));
  return EXIT_OK;
}

if (isMainModule(import.meta.url)) {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    // `ixfabricctl fdb | head`: a closed pipe is not an error.
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  process.exitCode = await main(process.argv.slice(2));
}
