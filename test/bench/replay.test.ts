// bench:replay as a harness check, not a timing: every scenario's traffic must reach its
// members (forwarded, no drop), so the figures it prints time forwarding and not drops.
// (Egress writes outer headers into the slot headroom, where the received ones were; a replay
// that does not put them back times unknown_tunnel drops, which this caught once.)
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { repoRoot } from '../helpers/paths.js';

const script = join(repoRoot, 'dist', 'bench', 'replay.js');

t.test('every scenario is forwarded whole', async (t) => {
  const r = spawnSync(process.execPath, ['--expose-gc', script, '--json', '--frames', '20000', '--runs', '1'], { encoding: 'utf8', timeout: 300_000 });
  t.equal(r.status, 0, `exit 0 (stderr: ${r.stderr.slice(-400)})`);
  const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { scenario: string; mpps: number; forwarded_share: number; drops: Record<string, number>; messages_sent_per_frame: number });
  t.same(rows.map((x) => x.scenario), ['known-unicast-64', 'known-unicast-1500', 'arp-nd-broadcast', 'mac-flood', 'exchange-mix']);
  for (const x of rows) {
    t.equal(x.forwarded_share, 1, `${x.scenario}: every frame forwarded`);
    t.same(x.drops, {}, `${x.scenario}: no drops`);
    t.ok(x.mpps > 0 && x.messages_sent_per_frame >= 1, `${x.scenario}: frames sent (${x.messages_sent_per_frame} per frame)`);
  }
  const bcast = rows.find((x) => x.scenario === 'arp-nd-broadcast')!;
  t.equal(bcast.messages_sent_per_frame, 200, 'a broadcast goes to 199 members and the trunk');
});
