// One-line strings without escapes, and one-line arrays of them, are read in one go (entries.ts
// plainStringEnd / plainArray, #8 cold); everything else by the general reader (scanString, the
// array frames). Both readings must give the same index: the same nodes and ranges, problems,
// values, nodeAt everywhere and rows per path, on the repository's fixtures, documents of strings
// and arrays of every shape (escapes, multi-line, comments, numbers, nesting, duplicates, broken
// ones) and mutations of them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { indexWithValues, type TomlIndex } from '../../core/toml/positions';
import { rng } from '../stress/profile';
import { largePolicy } from '../../bench/fixtures';

const ROOT = join(__dirname, '..', '..');
const FIXTURES = ['examples', join('test', 'fixtures')].flatMap((d) => readdirSync(join(ROOT, d), { withFileTypes: true, recursive: true })
  .filter((e) => e.isFile() && e.name.endsWith('.toml')).map((e) => readFileSync(join(e.parentPath, e.name), 'utf8')));

/** Everything a reader of the index can observe, as one comparable value. */
function observed(text: string, plain: boolean): unknown {
  const { index, value } = indexWithValues(text, plain);
  const at = (ix: TomlIndex, line: number, character: number): number => {
    const n = ix.nodeAt({ line, character });
    return n ? ix.nodes.indexOf(n) : -1;
  };
  const lines = text.split(/\r\n|\r|\n/);
  return {
    nodes: index.nodes, problems: index.problems, value: JSON.stringify(value), keyed: index.keyed.length,
    nodeAt: lines.map((l, line) => Array.from({ length: l.length + 2 }, (_, c) => at(index, line, c))),
    rows: index.nodes.map((n) => index.getAll(n.path).map((x) => index.nodes.indexOf(x))),
  };
}

const ELEMENTS = ['"a"', "'b'", '""', "''", '"x y"', '"e\\n"', '"""m"""', "'''l'''", '1', 'true', '[]', '["n"]', '{ k = "v" }', '"unterminated', '', ' ', '\t'];

/** A document with arrays of random elements, separators and spacing (some broken on purpose). */
function arrays(r: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const out: string[] = [];
  for (let n = 1 + Math.floor(r() * 5); n > 0; n--) {
    const els = Array.from({ length: Math.floor(r() * 4) }, () => pick(ELEMENTS));
    const sep = pick([', ', ',', ' , ', ',\t', ' ', ',\n  ', ', # c\n']);
    const arr = `[${pick(['', ' ', '\t'])}${els.join(sep)}${pick(['', ',', ' ', ', '])}]`;
    out.push(pick(['k', 'a.b', '"q k"', 'k']) + ' = ' + (r() < 0.2 ? pick(ELEMENTS) : r() < 0.2 ? `{ i = ${arr} }` : r() < 0.1 ? `[${arr}, ${arr}]` : arr) + pick(['', ' # t', ' x']));
    if (r() < 0.2) out.push(pick(['[t]', '[[at]]', '[k]']));
  }
  return out.join(pick(['\n', '\r\n'])) + (r() < 0.8 ? '\n' : '');
}

describe('plain strings and string arrays read in one go', () => {
  it('give the nodes, ranges and values the general reader gives', () => {
    const { index, value } = indexWithValues('m = ["GET", \'POST\' ,""]\n');
    assert.deepEqual(value, { m: ['GET', 'POST', ''] });
    assert.deepEqual(index.getAll(['m', 1]).map((n) => [n.kind, n.stringValue, n.range, n.valueRange]), [
      ['array-item', 'POST', { start: { line: 0, character: 12 }, end: { line: 0, character: 18 } }, { start: { line: 0, character: 12 }, end: { line: 0, character: 18 } }],
    ]);
    assert.deepEqual(index.get(['m'])?.valueRange, { start: { line: 0, character: 4 }, end: { line: 0, character: 23 } });
    assert.equal(index.nodeAt({ line: 0, character: 14 })?.stringValue, 'POST');
    assert.deepEqual(observed('m = ["GET", \'POST\' ,""]\n', true), observed('m = ["GET", \'POST\' ,""]\n', false));
  });

  it('a duplicate key\'s plain array: one problem, as before', () => {
    const text = 'a = ["x"]\na = ["y", "z"]\n';
    assert.deepEqual(indexWithValues(text).index.problems.map((p) => p.message), ['duplicate key `a`']);
    assert.deepEqual(observed(text, true), observed(text, false));
  });

  it('agree on the fixtures, the benchmark policy, 3,000 array documents and 1,000 mutations', () => {
    const r = rng(88);
    const docs = [...FIXTURES, largePolicy(30, 400)];
    for (let k = 0; k < 3000; k++) docs.push(arrays(r));
    for (let k = 0; k < 1000; k++) {
      const text = docs[k % docs.length]!, at = Math.floor(r() * text.length);
      docs.push(text.slice(0, at) + ['"', ']', ',', '\n', '\\', "'", '[', ' '][Math.floor(r() * 8)] + text.slice(at + Math.floor(r() * 2)));
    }
    let plain = 0;
    for (const text of docs) {
      assert.deepStrictEqual(observed(text, true), observed(text, false), `readings differ on:\n${JSON.stringify(text)}`);
      if (/\[[ \t]*(?:(?:"[^"\\\r\n]*"|'[^'\r\n]*')[ \t]*,[ \t]*)*(?:"[^"\\\r\n]*"|'[^'\r\n]*')[ \t]*,?[ \t]*\]/.test(text)) plain++;
    }
    assert.ok(plain > 1000, `${plain} documents with plain arrays`);
  });
});
