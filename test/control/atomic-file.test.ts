import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tempPathBeside, writeFileAtomic } from '../../src/control/atomic-file.js';

const dir = mkdtempSync(join(tmpdir(), 'ixf-atomic-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('replaces the content, keeps the mode, leaves no temporary file', async (t) => {
  const f = join(dir, 'x.conf');
  writeFileAtomic(f, 'one\n', 0o600);
  writeFileAtomic(f, Buffer.from('two\n'), 0o600);
  t.equal(readFileSync(f, 'utf8'), 'two\n');
  t.equal(statSync(f).mode & 0o777, 0o600);
  t.same(readdirSync(dir), ['x.conf']);
});

t.test('a failed write leaves the old file and no temporary file', async (t) => {
  const f = join(dir, 'y.conf');
  writeFileAtomic(f, 'old\n');
  t.throws(() => writeFileAtomic(join(dir, 'missing', 'z.conf'), 'new\n'));
  t.equal(readFileSync(f, 'utf8'), 'old\n');
  t.notOk(readdirSync(dir).some((n) => n.startsWith('.')), 'no temporary files');
  t.match(tempPathBeside(f, 'check'), /\/\.y\.conf\.check-[0-9a-f]{12}$/);
});
