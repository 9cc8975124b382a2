// ROA JSON from relying-party validators → BIRD roa tables.
import { join } from 'node:path';
import t from 'tap';
import { loadRoaFile, parseRoaJson, renderRoaTables } from '../../src/control/rs-rpki.js';
import { FIXTURES, birdParse } from '../helpers/rs-fixtures.js';

t.test('rpki-client / Routinator JSON: both ASN forms, sorted, deduplicated', async (t) => {
  const roas = loadRoaFile(join(FIXTURES, 'roas.json'));
  t.same(
    roas.map((r) => `${r.prefix} max ${r.maxLength} as ${r.asn}`),
    [
      '185.1.0.0/22 max 24 as 210500',
      '185.1.4.0/24 max 24 as 210999',
      '185.2.0.0/24 max 24 as 210501',
      '185.9.0.0/16 max 32 as 0',
      '2a0c:1::/32 max 48 as 210500',
    ],
  );
  const text = renderRoaTables(roas);
  t.match(text, 'protocol static rpki_roa4 {\n  roa4 { table rpki4; };\n  route 185.1.0.0/22 max 24 as 210500;');
  const parsed = birdParse(`roa4 table rpki4;\nroa6 table rpki6;\n${text}`);
  t.ok(parsed.ok, parsed.output);
});

t.test('a missing maxLength means the prefix length; host bits are cleared', async (t) => {
  const [r] = parseRoaJson('{"roas": [{"asn": "as64500", "prefix": "2001:DB8:1::7/48"}]}');
  t.match(r, { prefix: '2001:db8:1::/48', maxLength: 48, asn: 64500, family: 6 });
  t.equal(renderRoaTables([]), '# 0 IPv4 ROAs.\nprotocol static rpki_roa4 {\n  roa4 { table rpki4; };\n}\n\n# 0 IPv6 ROAs.\nprotocol static rpki_roa6 {\n  roa6 { table rpki6; };\n}\n');
});

t.test('bad files are refused with the entry that is wrong', async (t) => {
  t.throws(() => parseRoaJson('{"roas": [', 'x.json'), /x.json: not JSON/);
  t.throws(() => parseRoaJson('{"vrps": []}', 'x.json'), /x.json: expected an object with a "roas" list/);
  t.throws(() => parseRoaJson('{"roas": [{"asn": "ASX", "prefix": "10.0.0.0/8"}]}', 'x.json'), /x.json: roas\[0\].asn: must be an ASN/);
  t.throws(() => parseRoaJson('{"roas": [{"asn": 1, "prefix": "10.0.0.0/33"}]}', 'x.json'), /roas\[0\].prefix: must be an IPv4 or IPv6 prefix/);
  t.throws(() => parseRoaJson('{"roas": [{"asn": 1, "prefix": "10.0.0.0/16", "maxLength": 8}]}'), /roas\[0\].maxLength: must be an integer between 16 and 32/);
  t.throws(() => loadRoaFile('/nonexistent/roas.json'), /cannot read the ROA file \/nonexistent\/roas.json/);
});
