// The community scheme: every value the renderer uses is documented in docs/route-server.md,
// and tags read back from BIRD are explained.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import {
  ACTION,
  INFO,
  REASONS,
  explainLargeCommunity,
  hasStandardActions,
  parseLargeCommunities,
  reasonByCode,
} from '../../src/control/rs-communities.js';
import { repoRoot } from '../helpers/paths.js';

const DOC = readFileSync(join(repoRoot, 'docs', 'route-server.md'), 'utf8');

t.test('every community value is documented', async (t) => {
  for (const r of Object.values(REASONS)) t.match(DOC, `| \`RS_ASN:1101:${r.code}\` |`, `reason ${r.code} (${r.name})`);
  for (const i of Object.values(INFO)) t.match(DOC, `| \`RS_ASN:${i.fn}:${i.value}\` |`, i.text);
  for (const fn of Object.values(ACTION)) t.match(DOC, `| \`RS_ASN:${fn}:PEER\` |`, `action ${fn}`);
  for (const c of ['`0:PEER`', '`0:RS_ASN`', '`RS_ASN:PEER`', '`RS_ASN:0:0`', '`65535:666`', '`65535:0`']) t.match(DOC, `| ${c}`, c);
  const codes = Object.values(REASONS).map((r) => r.code);
  t.equal(new Set(codes).size, codes.length, 'reason codes are unique');
});

t.test('tags read back from BIRD output', async (t) => {
  const tags = parseLargeCommunities('\tBGP.large_community: (64510, 1000, 1) (64510, 1101, 9) (65000, 1, 2)');
  t.same(tags, [[64510, 1000, 1], [64510, 1101, 9], [65000, 1, 2]]);
  t.same(tags.map((c) => explainLargeCommunity(64510, c)), [
    'RPKI valid',
    "filtered: prefix not registered in the member's IRR data",
    undefined,
  ]);
  t.equal(explainLargeCommunity(64510, [64510, 1101, 99]), 'filtered: unknown reason 99');
  t.equal(explainLargeCommunity(64510, [64510, 0, 0]), 'do not announce to any member');
  t.equal(explainLargeCommunity(64510, [64510, 0, 64500]), 'do not announce to AS64500');
  t.equal(explainLargeCommunity(64510, [64510, 1, 64500]), 'announce to AS64500');
  t.equal(explainLargeCommunity(64510, [64510, 103, 64500]), 'prepend 3x to AS64500');
  t.equal(reasonByCode(13)?.name, 'rpki_invalid');
  t.same([hasStandardActions(65535), hasStandardActions(65536)], [true, false]);
});
