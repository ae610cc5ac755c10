// The real-world corpus (test/fixtures/real-world, see SOURCES.md there): `check` on files no one
// here wrote must give the verdict upstream Codex gives — loads, or refuses for the stated reason.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runCli } from '../helpers/cli';

const DIR = resolve(__dirname, '../fixtures/real-world');

interface Expected {
  file: string;
  verdict: 'ok' | 'error';
  codes?: string[];
  pair?: string;
}

interface Checked {
  file: string;
  severity: string;
  code: string;
  message: string;
}

const corpus = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as Expected[];

describe('real-world corpus: check agrees with upstream', () => {
  test('the manifest names every file, at least 30 of them', () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.toml') && !f.startsWith('00-'));
    assert.deepEqual(corpus.map((c) => c.file).sort(), files.sort());
    assert.ok(files.length >= 30, `${files.length} files`);
    const sources = readFileSync(join(DIR, 'SOURCES.md'), 'utf8');
    for (const f of files) assert.ok(sources.includes(`\`${f}\``), `SOURCES.md does not describe ${f}`);
  });

  for (const c of corpus) {
    test(`${c.file}: ${c.verdict}${c.codes?.length ? ` (${c.codes.join(', ')})` : ''}`, () => {
      const files = [join(DIR, c.file), ...(c.pair ? [join(DIR, c.pair)] : [])];
      const r = runCli(['check', '--json', ...files]);
      const found = JSON.parse(r.stdout) as Checked[];
      const errors = found.filter((d) => d.severity === 'error' && d.file === join(DIR, c.file));
      const shown = errors.map((d) => `${d.code}: ${d.message}`).join('\n');
      if (c.verdict === 'ok') {
        assert.deepEqual(shown, '', 'upstream loads this file');
        assert.equal(r.code, 0);
      } else {
        assert.ok(errors.length > 0, 'upstream refuses this file');
        assert.equal(r.code, 1);
        const codes = new Set(errors.map((d) => d.code));
        for (const code of c.codes ?? []) assert.ok(codes.has(code), `expected ${code} among:\n${shown}`);
      }
    });
  }
});
