// ixfabricctl in-process against a real ControlServer with a fake daemon handler.
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from '../../src/control/control-client.js';
import { ControlServer, pageByKey } from '../../src/control/control-server.js';
import { main, normaliseMac, resolveSocket, type CtlIO } from '../../src/control/ctl-cli.js';
import { formatBytes, formatDuration, renderTable } from '../../src/control/ctl-format.js';

const STATUS = {
  pop: 'fmt',
  version: '0.1.0',
  uptime_s: 93784,
  ports: 3,
  members: 2,
  fdb_entries: 5,
  config_path: '/etc/ixfabric/ixfabric.yaml',
  config_loaded_at: '2026-11-25T03:00:00.000Z',
};

const PORTS = [
  { name: 'trunk-ams', type: 'vxlan', member_asn: null, state: 'up', rx_packets: 123456789, tx_packets: 98765, rx_bytes: 9876543210, tx_bytes: 12345, drops: {} },
  { name: 'as64500-vx', type: 'vxlan', member_asn: 64500, state: 'up', rx_packets: 42, tx_packets: 7, rx_bytes: 4200, tx_bytes: 700, drops: { link_local: 12, ethertype: 3, bum_rate: 0 } },
  { name: 'mikrotik-hobby', type: 'eoip', member_asn: 64501, state: 'down', rx_packets: 0, tx_packets: 0, rx_bytes: 0, tx_bytes: 0, drops: {} },
];

const MEMBERS = [
  { asn: 64500, name: 'Example Networks', macs: ['02:00:00:00:00:01'], ipv4: ['192.0.2.10'], ipv6: ['2001:db8:ffff::10'], ports: ['as64500-vx'] },
  { asn: 64501, name: 'Hobby AS', macs: [], ipv4: ['192.0.2.11', '192.0.2.12'], ipv6: [], ports: ['mikrotik-hobby'] },
];

function mac(i: number): string {
  return ['02', '00', (i >>> 24) & 255, (i >>> 16) & 255, (i >>> 8) & 255, i & 255]
    .map((b) => (typeof b === 'string' ? b : b.toString(16).padStart(2, '0')))
    .join(':');
}

const KINDS = ['learned', 'static', 'remote'] as const;
type FdbEntry = { mac: string; port: string; kind: string; age_s: number };

function makeFdb(n: number): FdbEntry[] {
  // Scrambled order: the daemon's table is not sorted.
  return Array.from({ length: n }, (_, j) => {
    const i = (j * 7919) % n;
    return { mac: mac(i), port: `port${i % 40}`, kind: KINDS[i % 3] as string, age_s: i % 301 };
  });
}

const RS_CONFIG = 'router id 192.0.2.1;\nprotocol bgp as64500 {\n  neighbor 192.0.2.10 as 64500;\n}\n';

interface Fixture {
  path: string;
  calls: Array<{ cmd: string; args: Record<string, unknown> }>;
  fdb: FdbEntry[];
}

async function daemon(t: Test, fdbSize = 5): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'ixf-ctl-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'ctl.sock');
  const calls: Fixture['calls'] = [];
  const fdb = makeFdb(fdbSize);
  const server = new ControlServer({
    path,
    handler: (cmd, args) => {
      calls.push({ cmd, args });
      switch (cmd) {
        case 'status':
          return STATUS;
        case 'ports':
          return PORTS;
        case 'members':
          return MEMBERS;
        case 'fdb': {
          const rows = fdb.filter((e) => (args.port === undefined || e.port === args.port) && (args.mac === undefined || e.mac === args.mac));
          return pageByKey(rows, (e) => e.mac, args);
        }
        case 'fdb.flush':
          return { flushed: args.port === undefined ? 17 : 4 };
        case 'reload':
          if (args.fail) throw new Error('x');
          return { added: ['as64510-vx'], removed: [], changed: ['as64500-vx', 'trunk-ams'], unchanged: ['mikrotik-hobby'] };
        case 'rs.render':
          return RS_CONFIG;
        case 'rs.apply':
          return { applied: true, changed: 2, dry_run: args.dry_run === true };
        case 'rs.status':
          return {
            sessions: [
              { name: 'm_as64500_v4', asn: 64500, memberName: 'Example', family: 4, missing: false, state: 'up', since: '2026-11-25 01:02:03', info: 'Established', description: null, bgpState: 'Established', neighborAddress: '192.0.2.10', neighborAs: 64500, lastError: null, importLimit: 1000, importLimitHit: false, routes: { imported: 12, filtered: 1, exported: 30, preferred: 12 } },
              { name: 'm_as64501_v4', asn: 64501, memberName: 'Other', family: 4, missing: false, state: 'start', since: '2026-11-25 01:02:03', info: 'Active', description: null, bgpState: 'Active', neighborAddress: '192.0.2.11', neighborAs: 64501, lastError: 'Socket: Connection refused', importLimit: 1000, importLimitHit: false, routes: null },
            ],
            tables: { master4: 42 },
          };
        case 'ixf.export':
          return { version: '1.0', member_list: [{ asnum: 64500 }] };
        case 'openvpn.client-config':
          if (args.asn !== 64500) throw new Error(`AS${String(args.asn)} has no OpenVPN connection on this POP`);
          return 'client\ndev tap\nremote 198.51.100.1 1195 udp\n';
        default:
          throw new Error(`unknown command '${cmd}'`);
      }
    },
  });
  await server.listen();
  t.teardown(() => server.close());
  return { path, calls, fdb };
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(argv: string[], env: Record<string, string | undefined> = {}, tty = false): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CtlIO = {
    stdout: { write: (s: string) => (stdout += s), isTTY: tty },
    stderr: { write: (s: string) => (stderr += s) },
  };
  const code = await main(argv, env, io);
  return { code, stdout, stderr };
}

/** Every line of a table has its columns starting at the same offsets as the header. */
function columnStarts(line: string): number[] {
  const starts: number[] = [];
  const re = /\S+(?: \S+)*/g;
  for (let m = re.exec(line); m; m = re.exec(line)) starts.push(m.index);
  return starts;
}

t.test('status: aligned key/value lines, and --json', async (t) => {
  const d = await daemon(t);
  const r = await run(['--socket', d.path, 'status']);
  t.equal(r.code, 0);
  t.equal(r.stderr, '');
  t.equal(
    r.stdout,
    [
      'pop:              fmt',
      'version:          0.1.0',
      'uptime:           1d 2h 3m 4s (93784 s)',
      'ports:            3',
      'members:          2',
      'fdb entries:      5',
      'config:           /etc/ixfabric/ixfabric.yaml',
      'config loaded at: 2026-11-25T03:00:00.000Z',
      '',
    ].join('\n'),
  );
  const j = await run(['--socket', d.path, '--json', 'status']);
  t.equal(j.code, 0);
  t.equal(j.stdout, `${JSON.stringify(STATUS, null, 2)}\n`, 'exactly the JSON document');
  t.same(JSON.parse(j.stdout), STATUS);
  const after = await run(['status', '--json', `--socket=${d.path}`]);
  t.equal(after.stdout, j.stdout, 'global options after the command');
});

t.test('ports: table with right-aligned numbers and summarised drops', async (t) => {
  const d = await daemon(t);
  const r = await run(['--socket', d.path, 'ports']);
  t.equal(r.code, 0);
  t.equal(
    r.stdout,
    [
      'NAME            TYPE     ASN  STATE    RX_PKTS  TX_PKTS    RX_BYTES  TX_BYTES  DROPS',
      'trunk-ams       vxlan      -  up     123456789    98765  9876543210     12345  -',
      'as64500-vx      vxlan  64500  up            42        7        4200       700  ethertype=3,link_local=12',
      'mikrotik-hobby  eoip   64501  down           0        0           0         0  -',
      '',
    ].join('\n'),
  );
  const lines = r.stdout.trimEnd().split('\n');
  const header = columnStarts(lines[0] as string);
  for (const l of lines.slice(1)) {
    // Left-aligned columns start where the header does; right-aligned ones end where it ends.
    t.equal(l.indexOf(l.split(/\s+/)[0] as string), header[0]);
  }
  t.notMatch(r.stdout, /\x1b\[/, 'no colour without a TTY');
  t.notMatch(r.stdout, / +\n/, 'no trailing blanks');

  const h = await run(['--socket', d.path, '-H', 'ports']);
  t.match(h.stdout, /9\.2 GiB/);
  t.match(h.stdout, /4\.1 KiB/);

  const tty = await run(['--socket', d.path, 'ports'], {}, true);
  t.match(tty.stdout, /\x1b\[1mNAME/, 'bold header on a TTY');
  t.match(tty.stdout, /\x1b\[32mup\x1b\[0m/);
  t.match(tty.stdout, /\x1b\[31mdown\x1b\[0m/);
  const stripped = tty.stdout.replace(/\x1b\[[0-9;]*m/g, '');
  t.equal(stripped, r.stdout, 'colour does not change the layout');
  const noColor = await run(['--socket', d.path, 'ports'], { NO_COLOR: '1' }, true);
  t.equal(noColor.stdout, r.stdout, 'NO_COLOR');

  const j = await run(['--socket', d.path, '--json', 'ports']);
  t.equal(j.stdout, `${JSON.stringify(PORTS, null, 2)}\n`);
});

t.test('members', async (t) => {
  const d = await daemon(t);
  const r = await run(['--socket', d.path, 'members']);
  t.equal(r.code, 0);
  t.equal(
    r.stdout,
    [
      '  ASN  NAME              MACS               IPV4                   IPV6               PORTS',
      '64500  Example Networks  02:00:00:00:00:01  192.0.2.10             2001:db8:ffff::10  as64500-vx',
      '64501  Hobby AS          -                  192.0.2.11,192.0.2.12  -                  mikrotik-hobby',
      '',
    ].join('\n'),
  );
  const j = await run(['--socket', d.path, '--json', 'members']);
  t.same(JSON.parse(j.stdout), MEMBERS);
});

t.test('fdb: table, filters, flush', async (t) => {
  const d = await daemon(t);
  const r = await run(['--socket', d.path, 'fdb']);
  t.equal(r.code, 0);
  const sorted = [...d.fdb].sort((a, b) => (a.mac < b.mac ? -1 : 1));
  t.equal(
    r.stdout,
    [
      'MAC                PORT   KIND     AGE',
      ...sorted.map((e) => `${e.mac}  ${e.port.padEnd(5)}  ${e.kind.padEnd(7)}  ${String(e.age_s).padStart(3)}`),
      '',
    ].join('\n'),
  );
  t.match(r.stdout, /^02:00:00:00:00:00 {2}port0 {2}learned {4}0$/m);

  const f = await run(['--socket', d.path, '--json', 'fdb', '--port', 'port1', '--mac', '02-00-00-00-00-01']);
  t.equal(f.code, 0);
  t.same(JSON.parse(f.stdout), [{ mac: '02:00:00:00:00:01', port: 'port1', kind: 'static', age_s: 1 }]);
  t.same(d.calls.at(-1), { cmd: 'fdb', args: { port: 'port1', mac: '02:00:00:00:00:01' } }, 'MAC normalised, args on the wire');
  const none = await run(['--socket', d.path, '--json', 'fdb', '--mac', '02:00:00:00:00:99']);
  t.equal(none.stdout, '[]\n', 'no match: an empty array');
  const noneHuman = await run(['--socket', d.path, 'fdb', '--port=nope']);
  t.equal(noneHuman.stdout, 'MAC  PORT  KIND  AGE\n');

  const fl = await run(['--socket', d.path, 'fdb', 'flush']);
  t.equal(fl.stdout, 'flushed: 17\n');
  t.same(d.calls.at(-1), { cmd: 'fdb.flush', args: {} });
  const fp = await run(['--socket', d.path, '--json', 'fdb', 'flush', '--port', 'port1']);
  t.equal(fp.stdout, '{\n  "flushed": 4\n}\n');
  t.same(d.calls.at(-1), { cmd: 'fdb.flush', args: { port: 'port1' } });
  const portNamedFlush = await run(['--socket', d.path, '--json', 'fdb', '--port', 'flush']);
  t.equal(portNamedFlush.code, 0);
  t.same(d.calls.at(-1), { cmd: 'fdb', args: { port: 'flush' } }, 'a port named flush is a port');
});

t.test('fdb: 100,000 entries over pages, one JSON array', async (t) => {
  const d = await daemon(t, 100000);
  const before = d.calls.length;
  const j = await run(['--socket', d.path, '--json', 'fdb']);
  t.equal(j.code, 0);
  const got = JSON.parse(j.stdout) as FdbEntry[];
  t.equal(got.length, 100000, 'every entry');
  t.equal(new Set(got.map((e) => e.mac)).size, 100000, 'no duplicates');
  t.same(got.slice(0, 2), [
    { mac: '02:00:00:00:00:00', port: 'port0', kind: 'learned', age_s: 0 },
    { mac: '02:00:00:00:00:01', port: 'port1', kind: 'static', age_s: 1 },
  ]);
  const calls = d.calls.slice(before);
  t.ok(calls.length > 10, `paged: ${calls.length} requests`);
  t.same(calls[0]?.args, {}, 'first page without a cursor');
  t.equal(calls[1]?.args.cursor, got[(calls.length > 1 ? 4095 : 0)]?.mac, 'the next page starts after the last MAC');

  const h = await run(['--socket', d.path, 'fdb']);
  t.equal(h.stdout.split('\n').length, 100002, 'header + 100,000 rows + final newline');

  const filtered = await run(['--socket', d.path, '--json', 'fdb', '--port', 'port7']);
  t.equal((JSON.parse(filtered.stdout) as unknown[]).length, 2500);
});

t.test('reload: result, and config errors on stderr with exit 1', async (t) => {
  const d = await daemon(t);
  const r = await run(['--socket', d.path, 'reload']);
  t.equal(r.code, 0);
  t.equal(r.stdout, ['added:     1: as64510-vx', 'removed:   -', 'changed:   2: as64500-vx, trunk-ams', 'unchanged: 1: mikrotik-hobby', ''].join('\n'));
  const j = await run(['--socket', d.path, '--json', 'reload']);
  t.same(JSON.parse(j.stdout), { added: ['as64510-vx'], removed: [], changed: ['as64500-vx', 'trunk-ams'], unchanged: ['mikrotik-hobby'] });

  // A daemon whose config is broken answers with the --check lines.
  const dir = mkdtempSync(join(tmpdir(), 'ixf-ctl-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const lines = '/etc/ixfabric/ixfabric.yaml:3:5: pop.name: required\n/etc/ixfabric/ixfabric.yaml:9:12: members[0].asn: not an ASN';
  const bad = new ControlServer({
    path: join(dir, 'bad.sock'),
    handler: () => {
      throw Object.assign(new Error(lines), { code: 'invalid_config' });
    },
  });
  await bad.listen();
  t.teardown(() => bad.close());
  for (const json of [false, true]) {
    const e = await run(['--socket', join(dir, 'bad.sock'), ...(json ? ['--json'] : []), 'reload']);
    t.equal(e.code, 1, 'exit 1');
    t.equal(e.stdout, '', 'nothing on stdout');
    t.equal(e.stderr, `${lines}\n`, 'the errors, as --check prints them');
  }
});

t.test('route server, IX-F and OpenVPN pass-through', async (t) => {
  const d = await daemon(t);
  const render = await run(['--socket', d.path, 'rs', 'render']);
  t.equal(render.stdout, RS_CONFIG, 'text printed raw');
  t.same(d.calls.at(-1), { cmd: 'rs.render', args: {} });
  const rj = await run(['--socket', d.path, '--json', 'rs', 'render']);
  t.equal(rj.stdout, `${JSON.stringify(RS_CONFIG)}\n`, '--json: one JSON string');

  const apply = await run(['--socket', d.path, 'rs', 'apply', '--dry-run', '--pop', 'ams', '--reason=maint']);
  t.equal(apply.code, 0);
  t.same(d.calls.at(-1), { cmd: 'rs.apply', args: { dry_run: true, pop: 'ams', reason: 'maint' } });
  t.equal(apply.stdout, 'applied: yes\nchanged: 2\ndry run: yes\n');

  const st = await run(['--socket', d.path, 'rs', 'status']);
  const lines = st.stdout.trimEnd().split('\n');
  t.match(lines[0], /^SESSION\s+ASN\s+MEMBER\s+NEIGHBOR\s+STATE\s+SINCE\s+IMPORTED\s+FILTERED\s+EXPORTED\s+INFO/, 'the route-server table');
  t.match(lines[1], /^m_as64500_v4\s+64500\s+Example\s+192\.0\.2\.10\s+Established\s+2026-11-25 01:02:03\s+12\s+1\s+30/);
  t.match(lines[2], /^m_as64501_v4\s+64501\s+Other\s+192\.0\.2\.11\s+Active\s.*-\s+-\s+-\s+Socket: Connection refused$/);

  const ixf = await run(['--socket', d.path, 'ixf', 'export']);
  t.same(JSON.parse(ixf.stdout), { version: '1.0', member_list: [{ asnum: 64500 }] }, 'IX-F export is JSON even without --json');
  t.same(d.calls.at(-1), { cmd: 'ixf.export', args: {} });

  const ovpn = await run(['--socket', d.path, 'openvpn', 'client-config', 'AS64500']);
  t.equal(ovpn.code, 0);
  t.equal(ovpn.stdout, 'client\ndev tap\nremote 198.51.100.1 1195 udp\n');
  t.same(d.calls.at(-1), { cmd: 'openvpn.client-config', args: { asn: 64500 } });
  const missing = await run(['--socket', d.path, 'openvpn', 'client-config', '64501']);
  t.equal(missing.code, 1);
  t.equal(missing.stderr, 'AS64501 has no OpenVPN connection on this POP\n');
});

t.test('usage errors exit 2 with usage on stderr; --help exits 0', async (t) => {
  const d = await daemon(t);
  const s = ['--socket', d.path];
  for (const argv of [
    [],
    ['nope'],
    ['rs'],
    ['rs', 'bogus'],
    ['status', 'extra'],
    ['status', '--bogus'],
    ['fdb', '--mac', 'zz:zz'],
    ['fdb', '--port'],
    ['fdb', '-x'],
    ['openvpn', 'client-config'],
    ['openvpn', 'client-config', 'ASX'],
    ['openvpn', 'client-config', '0'],
    ['openvpn', 'client-config', '64500', '64501'],
    ['--timeout', 'abc', 'status'],
    ['--socket'],
  ]) {
    const r = await run([...s, ...argv]);
    t.equal(r.code, 2, `${argv.join(' ') || '(nothing)'}: exit 2`);
    t.equal(r.stdout, '');
    t.match(r.stderr, /^ixfabricctl: .+\n/, 'a message');
    t.match(r.stderr, /Usage: ixfabricctl/, 'and the usage');
  }
  const calls = d.calls.length;
  t.equal(calls, 0, 'the daemon was never asked');

  const help = await run(['--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /^Usage: ixfabricctl \[--socket PATH\] \[--json\] \[--config PATH\] COMMAND/);
  for (const c of ['status', 'ports', 'members', 'fdb [--port NAME] [--mac MAC]', 'fdb flush [--port NAME]', 'reload', 'rs render', 'rs check', 'rs apply', 'rs status', 'ixf export', 'openvpn client-config ASN']) {
    t.ok(help.stdout.includes(`  ${c}`), `usage lists ${c}`);
  }
  t.equal(help.stderr, '');
  const fdbHelp = await run(['fdb', '--help']);
  t.equal(fdbHelp.code, 0);
  t.match(fdbHelp.stdout, /Usage: ixfabricctl .*fdb \[--port NAME\] \[--mac MAC\]/);
  t.match(fdbHelp.stdout, /control command 'fdb'/);
  t.equal((await run(['help', 'fdb', 'flush'])).stdout.includes("'fdb.flush'"), true);
  t.equal((await run(['rs', '--help'])).code, 0, 'group help');
  t.equal((await run(['-h'])).code, 0);
});

t.test('exit 3 when the daemon cannot be reached', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ixf-ctl-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const missing = join(dir, 'nope.sock');
  for (const argv of [['status'], ['--json', 'ports'], ['fdb'], ['reload']]) {
    const r = await run(['--socket', missing, ...argv]);
    t.equal(r.code, 3, `${argv.join(' ')}: exit 3`);
    t.equal(r.stdout, '');
    t.match(r.stderr, new RegExp(`^ixfabricctl: cannot reach the daemon at ${missing}: no such socket`));
  }
  const env = await run(['status'], { IXFABRIC_SOCKET: missing });
  t.equal(env.code, 3);
  t.match(env.stderr, missing, 'IXFABRIC_SOCKET used');
});

t.test('a busy daemon: retried, then exit 3 when it stays busy', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ixf-ctl-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'busy.sock');
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));
  const server = new ControlServer({ path, maxClients: 1, handler: (cmd) => (cmd === 'hold' ? gate.then(() => 'held') : STATUS) });
  await server.listen();
  t.teardown(() => server.close());
  const hold = request(path, 'hold');
  await new Promise((r) => setTimeout(r, 30));
  const stuck = await run(['--socket', path, '--timeout', '0.3', 'status']);
  t.equal(stuck.code, 3, 'still busy at the deadline: cannot reach');
  t.match(stuck.stderr, /too many clients/);
  const later = run(['--socket', path, '--json', 'status']);
  setTimeout(release, 150);
  const r = await later;
  t.equal(r.code, 0, 'served once the slot is free');
  t.same(JSON.parse(r.stdout), STATUS);
  t.equal(await hold, 'held');
});

t.test('socket resolution: --socket, IXFABRIC_SOCKET, --config, default', async (t) => {
  const d = await daemon(t);
  const dir = mkdtempSync(join(tmpdir(), 'ixf-ctl-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.equal(resolveSocket({}, {}), '/run/ixfabric/ixfabric.sock');
  t.equal(resolveSocket({}, { IXFABRIC_SOCKET: '/x.sock' }), '/x.sock');
  t.equal(resolveSocket({ socket: '/y.sock' }, { IXFABRIC_SOCKET: '/x.sock' }), '/y.sock', '--socket wins');

  const good = join(dir, 'good.yaml');
  writeFileSync(
    good,
    `pop:
  name: fmt
  underlay:
    ipv4: 198.51.100.1
fabric:
  peering_lan:
    ipv4: 192.0.2.0/24
control:
  socket: ${d.path}
`,
  );
  t.equal(resolveSocket({ config: good }, {}), d.path, 'control.socket of a valid config');
  t.equal(resolveSocket({ config: good }, { IXFABRIC_SOCKET: '/x.sock' }), '/x.sock', 'IXFABRIC_SOCKET overrides the config');
  const r = await run(['--config', good, '--json', 'status']);
  t.equal(r.code, 0);
  t.same(JSON.parse(r.stdout), STATUS);

  const broken = join(dir, 'broken.yaml');
  writeFileSync(broken, `pop:\n  name: fmt\n  bogus_key: 1\ncontrol:\n  socket: ${d.path}\n`);
  t.equal(resolveSocket({ config: broken }, {}), d.path, 'an invalid config still names its socket');
  const noSocket = join(dir, 'nosocket.yaml');
  writeFileSync(noSocket, 'pop: [\n');
  t.equal(resolveSocket({ config: noSocket }, {}), '/run/ixfabric/ixfabric.sock', 'unparsable: the default');
  const unreadable = await run(['--config', join(dir, 'missing.yaml'), 'status']);
  t.equal(unreadable.code, 2);
  t.match(unreadable.stderr, /cannot read the config file/);
});

t.test('normaliseMac and formatting helpers', async (t) => {
  t.equal(normaliseMac('02:AB:cd:00:00:01'), '02:ab:cd:00:00:01');
  t.equal(normaliseMac('02-ab-cd-00-00-01'), '02:ab:cd:00:00:01');
  t.equal(normaliseMac('02ab.cd00.0001'), '02:ab:cd:00:00:01');
  t.equal(normaliseMac('02abcd000001'), '02:ab:cd:00:00:01');
  t.throws(() => normaliseMac('02:ab:cd:00:00'));
  t.throws(() => normaliseMac('02:ab-cd:00:00:01'));
  t.equal(formatBytes(0), '0 B');
  t.equal(formatBytes(1023), '1023 B');
  t.equal(formatBytes(1536), '1.5 KiB');
  t.equal(formatBytes(5 * 1024 ** 4), '5.0 TiB');
  t.equal(formatDuration(0), '0s');
  t.equal(formatDuration(61), '1m 1s');
  t.equal(formatDuration(3600), '1h 0m 0s');
  t.equal(renderTable([{ header: 'A' }, { header: 'N', align: 'right' }], [['x', '1'], ['yyyy', '100']]), 'A       N\nx       1\nyyyy  100\n');
});
