// OpenVPN member, end to end with the real openvpn 2.6 (without the full daemon):
//
//   POP namespace: OpenvpnSupervisor (in this process) runs openvpn in the namespace through a
//                  wrapper (`exec ip netns exec POP openvpn "$@"`, so the pid is openvpn's),
//                  with the rendered server config and the POP identity it generated.
//   member:        Debian's openvpn as a client, with the rendered client config (unchanged)
//                  and its own key pair made with the commands the config prints.
//   stranger:      a client with a key the registry does not know.
//
// The taps come up on both sides, the member pings an address put on the POP's tap (v4, v6,
// and a full 1500-byte frame over a 1500 underlay), a stranger is refused without disturbing
// the member, and after the server-side openvpn is killed (SIGKILL, then SIGTERM) the
// supervisor restarts it and the ping works again by itself.
import { execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { OpenvpnParams } from '../../src/control/config-types.js';
import { renderClientConfig } from '../../src/control/openvpn-config.js';
import { certificateFingerprint } from '../../src/control/openvpn-pki.js';
import { OpenvpnSupervisor, ipTapControl } from '../../src/control/openvpn-supervisor.js';
import { Lab, waitFor } from '../helpers/netns.js';
import { memberKeyPair } from '../helpers/openvpn-member.js';

const lab = new Lab(t, 'o');
const pop = lab.ns('pop');
const mem = lab.ns('mem');
const stranger = lab.ns('str');
const LISTEN_PORT = 1195;
const TAP = `ovpn${LISTEN_PORT}`;

// underlays: member over IPv4 and IPv6 (the POP binds dual-stack), stranger over IPv4
lab.veth(lab.ifname('um'), pop, 'u0', mem);
lab.veth(lab.ifname('us'), pop, 'u0', stranger);
lab.ip(pop, `addr add 10.77.0.1/24 dev ${lab.ifname('um')}`);
lab.ip(pop, `addr add fd77::1/64 dev ${lab.ifname('um')} nodad`);
lab.ip(pop, `addr add 10.78.0.1/24 dev ${lab.ifname('us')}`);
lab.ip(pop, `link set ${lab.ifname('um')} up`);
lab.ip(pop, `link set ${lab.ifname('us')} up`);
lab.ip(mem, 'addr add 10.77.0.2/24 dev u0');
lab.ip(mem, 'addr add fd77::2/64 dev u0 nodad');
lab.ip(mem, 'link set u0 up');
lab.ip(stranger, 'addr add 10.78.0.2/24 dev u0');
lab.ip(stranger, 'link set u0 up');

function keyPair(dir: string, asn: number): string {
  const fp = memberKeyPair(dir, asn).toLowerCase();
  if (fp !== certificateFingerprint(readFileSync(join(dir, `as${asn}.crt`)))) throw new Error('fingerprints disagree');
  return fp;
}

const memberDir = join(lab.dir, 'member');
const strangerDir = join(lab.dir, 'stranger');
const memberFp = keyPair(memberDir, 64500);
keyPair(strangerDir, 64500); // same file names, another key

const wrapper = lab.file('openvpn-in-pop', `#!/bin/sh\nexec ip netns exec ${pop} openvpn "$@"\n`);
execFileSync('chmod', ['755', wrapper]);

const params: OpenvpnParams = { type: 'openvpn', listenPort: LISTEN_PORT, peerFingerprint: memberFp, interface: TAP };
const logLines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
const logFile = join(lab.dir, 'supervisor.log');
const record = (level: string) => (obj: object, msg: string) => {
  logLines.push({ level, obj: obj as Record<string, unknown>, msg });
  writeFileSync(logFile, logLines.map((l) => `${l.level} ${JSON.stringify(l.obj)} ${l.msg}`).join('\n') + '\n');
};
const sup = new OpenvpnSupervisor({
  name: 'as64500-ovpn',
  params,
  pop: 'lab',
  underlay: { ipv4: '10.77.0.1', ipv6: 'fd77::1' },
  stateDir: join(lab.dir, 'state'),
  log: { info: record('info'), warn: record('warn'), error: record('error') },
  memberAsn: 64500,
  memberName: 'Example Networks',
  openvpnBin: wrapper,
  tap: ipTapControl({ netns: pop }),
});
t.teardown(() => sup.stop()); // runs before the lab's cleanup (teardowns run last-in first-out)

function ping(ns: string, addr: string, extra: string[] = []): boolean {
  return lab.run(ns, ['ping', '-c', '1', '-W', '1', ...extra, addr], { timeoutMs: 5000 }).status === 0;
}

/** ping without blocking the event loop (the supervisor and the log collectors keep running). */
function pingAsync(ns: string, addr: string): Promise<boolean> {
  return new Promise((resolve) => execFile('ip', ['netns', 'exec', ns, 'ping', '-c', '1', '-W', '1', addr], { timeout: 5000 }, (err) => resolve(!err)));
}

async function pingRecovers(what: string, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  await waitFor(what, () => pingAsync(mem, '192.0.2.1'), timeoutMs, 200);
  return Date.now() - t0;
}

function clientConfig(remotes: { ipv4: string | null; ipv6: string | null }, popFingerprint: string): string {
  return renderClientConfig({
    port: 'as64500-ovpn',
    pop: 'lab',
    member: { asn: 64500, name: 'Example Networks', ipv4: ['192.0.2.10'], ipv6: ['2001:db8:ffff::10'] },
    params,
    underlay: remotes,
    popFingerprint,
    peeringLan: { ipv4: '192.0.2.0/24', ipv6: '2001:db8:ffff::/64' },
  });
}

// `ip netns exec` execs openvpn: the child's pid is the member's openvpn (pgrep would also see
// the POP's, namespaces do not separate pids)
let memberClient: ChildProcess | null = null;

function tapIndex(): number {
  return Number(/^(\d+):/.exec(lab.ip(pop, `link show dev ${TAP}`))?.[1]);
}

t.test('member connects, taps up, ping across the tunnel', async (t) => {
  await sup.start();
  t.equal(sup.state, 'running');
  const details = lab.ip(pop, `-d link show dev ${TAP}`);
  t.match(details, /tun type tap .*persist on/, 'the supervisor made a persistent tap');
  t.match(details, /mtu 1500 .*state (UNKNOWN|DOWN|UP)/);
  t.match(details, /<[^>]*\bUP\b[^>]*>/, 'and set it up');
  // low-level test: the POP's tap gets an address (in the fabric it is a switch port)
  lab.ip(pop, `addr add 192.0.2.1/24 dev ${TAP}`);
  lab.ip(pop, `addr add 2001:db8:ffff::1/64 dev ${TAP} nodad`);

  const popFp = sup.popIdentity!.fingerprint;
  t.equal(popFp, certificateFingerprint(readFileSync(join(lab.dir, 'state', 'openvpn', 'pop.crt'))));
  const conf = clientConfig({ ipv4: '10.77.0.1', ipv6: 'fd77::1' }, popFp);
  writeFileSync(join(memberDir, 'as64500-lab.ovpn'), conf);
  writeFileSync(join(strangerDir, 'as64500-lab.ovpn'), clientConfig({ ipv4: '10.78.0.1', ipv6: null }, popFp));

  const connected = new Promise<string | null>((r) => sup.once('connected', r));
  memberClient = lab.spawn(mem, ['openvpn', '--cd', memberDir, '--config', 'as64500-lab.ovpn'], join(lab.dir, 'member-openvpn.log'));
  const peer = await Promise.race([connected, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`no connection; log ${logFile}`)), 30_000))]);
  t.match(peer, /^10\.77\.0\.2:\d+$/, 'the member came over IPv4 (first remote), v4-mapped address unwrapped');
  t.equal(sup.connected, true);

  await waitFor('member tap0 with its peering-LAN address', () => /inet 192\.0\.2\.10\/24/.test(lab.ip(mem, 'addr show dev tap0')), 15_000);
  t.match(lab.ip(mem, 'link show dev tap0'), /mtu 1500/, 'member tap MTU 1500');
  await pingRecovers('first ping', 15_000);
  t.ok(ping(mem, '192.0.2.1'), 'IPv4 ping over the tunnel');
  await waitFor('IPv6 ping over the tunnel', () => ping(mem, '2001:db8:ffff::1'), 15_000, 300);
  t.pass('IPv6 ping over the tunnel');
  t.ok(ping(mem, '192.0.2.1', ['-s', '1472', '-M', 'do']), 'a full 1500-byte frame crosses a 1500-byte underlay (outer UDP fragmented)');
  t.ok(ping(pop, '192.0.2.10', ['-s', '1472', '-M', 'do']), '... in both directions');

  const ours = logLines.filter((l) => l.obj.openvpn_pid === sup.pid);
  t.ok(ours.some((l) => l.msg === 'Initialization Sequence Completed'), 'openvpn log lines are in the daemon log with the pid');
  t.ok(ours.every((l) => l.obj.port === 'as64500-ovpn'));
  t.ok(ours.some((l) => /P2P mode NCP negotiation result: .*cipher=AES-256-GCM/.test(l.msg)), 'AES-256-GCM negotiated in p2p mode');
  t.notOk(logLines.some((l) => l.level === 'error'), 'no error lines');
});

t.test('a client with a key the registry does not know is refused; the member is not disturbed', async (t) => {
  const child = lab.spawn(stranger, ['openvpn', '--cd', strangerDir, '--config', 'as64500-lab.ovpn'], join(lab.dir, 'stranger-openvpn.log'));
  const end = Date.now() + 8000;
  let pings = 0;
  let lost = 0;
  while (Date.now() < end) {
    pings++;
    if (!(await pingAsync(mem, '192.0.2.1'))) lost++;
  }
  const strangerLog = readFileSync(join(lab.dir, 'stranger-openvpn.log'), 'utf8');
  t.notMatch(strangerLog, /Initialization Sequence Completed/, 'the stranger never completes');
  t.ok(logLines.some((l) => /fingerprint|VERIFY ERROR|TLS Error/i.test(l.msg) && l.level !== 'info'), 'the refusal is in the daemon log as a warning');
  t.ok(lost <= 1, `member pings kept working (${lost}/${pings} lost)`);
  t.comment(logLines.filter((l) => l.level !== 'info').slice(-10).map((l) => `${l.level} ${l.msg}`).join('\n'));
  t.comment(strangerLog.split('\n').slice(-8).join('\n'));
  t.match(sup.peer, /^10\.77\.0\.2:/, 'the session still belongs to the member');
  child.kill('SIGKILL');
});

t.test('server-side openvpn killed (SIGKILL): restarted, ping comes back by itself', async (t) => {
  // an AF_PACKET listener on the POP's tap (what the fabric port is) across the restart
  const capLog = join(lab.dir, 'tap-capture.log');
  const cap = lab.spawn(pop, ['tcpdump', '-n', '-l', '-i', TAP, 'icmp and host 192.0.2.10'], capLog);
  await waitFor('tcpdump listening', () => existsSync(capLog) && readFileSync(capLog, 'utf8').includes('listening on'), 10_000);
  const before = sup.pid!;
  const ifindex = tapIndex();
  const exit = new Promise<{ signal: string | null }>((r) => sup.once('exit', r));
  const respawn = new Promise<number>((r) => sup.once('spawn', r));
  process.kill(before, 'SIGKILL');
  t.equal((await exit).signal, 'SIGKILL');
  t.ok(!ping(mem, '192.0.2.1'), 'the tunnel is down meanwhile');
  const after = await respawn;
  t.not(after, before, 'a new openvpn');
  t.equal(sup.restarts, 1);
  t.equal(tapIndex(), ifindex, 'the tap survived (same ifindex: an AF_PACKET port bound to it stays valid)');
  // the member notices after its ping-restart (30 s) and reconnects
  const seenBefore = (readFileSync(capLog, 'utf8').match(/ICMP echo request/g) ?? []).length;
  const ms = await pingRecovers('ping after SIGKILL', 90_000);
  t.pass(`ping back ${Math.round(ms / 1000)} s after the restart`);
  await waitFor('the capture sees the new pings', () => (readFileSync(capLog, 'utf8').match(/ICMP echo request/g) ?? []).length > seenBefore, 5000);
  t.equal(cap.exitCode, null, 'a packet socket bound to the tap before the kill still receives after the restart');
  cap.kill('SIGTERM');
  t.ok(logLines.some((l) => l.msg === 'openvpn exited unexpectedly: restarting' && l.obj.signal === 'SIGKILL'));
});

t.test('server-side openvpn stopped (SIGTERM): the member is told, reconnects within seconds', async (t) => {
  const before = sup.pid!;
  const respawn = new Promise<number>((r) => sup.once('spawn', r));
  process.kill(before, 'SIGTERM');
  await respawn;
  t.equal(sup.restarts, 2);
  const ms = await pingRecovers('ping after SIGTERM', 30_000);
  t.ok(ms < 20_000, `ping back ${Math.round(ms / 1000)} s after the restart (explicit-exit-notify)`);
});

t.test('a restarted member client, now over IPv6, reconnects at once (the server floats to it)', async (t) => {
  const old = memberClient!;
  const gone = new Promise((r) => old.once('exit', r));
  old.kill('SIGKILL');
  await gone;
  writeFileSync(join(memberDir, 'as64500-lab-v6.ovpn'), clientConfig({ ipv4: null, ipv6: 'fd77::1' }, sup.popIdentity!.fingerprint));
  const connected = new Promise<string | null>((r) => sup.once('connected', r));
  memberClient = lab.spawn(mem, ['openvpn', '--cd', memberDir, '--config', 'as64500-lab-v6.ovpn'], join(lab.dir, 'member-openvpn-2.log'));
  const ms = await pingRecovers('ping after the member restarted', 30_000);
  t.ok(ms < 15_000, `ping back after ${Math.round(ms / 1000)} s`);
  t.match(await connected, /^fd77::2:\d+$/, 'the member came over IPv6 this time');
  t.equal(sup.restarts, 2, 'the server was not restarted for that');
});

t.test('clean stop: openvpn gone, tap removed', async (t) => {
  const pid = sup.pid!;
  await sup.stop();
  t.equal(sup.state, 'stopped');
  t.equal(lab.run(pop, ['ip', 'link', 'show', 'dev', TAP]).status, 1, 'tap removed');
  t.notOk(lab.run(pop, ['kill', '-0', String(pid)]).status === 0, 'openvpn gone');
});
