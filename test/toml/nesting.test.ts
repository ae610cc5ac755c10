// Nested arrays and inline tables in the TOML index: read with an explicit stack (no recursion),
// indexed down to the depth cap, skipped below it with one problem, and recovered from when
// left open.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { indexToml, type PathSegment } from '../../core/toml/positions';

const nestingProblems = (text: string) => indexToml(text).problems.filter((p) => p.code === 'toml-nesting');

describe('TOML index: nesting', () => {
  it('indexes 32 levels of arrays and inline tables, every level addressable', () => {
    // a = [{ x = [{ x = … 1 … }] }]: 32 containers, alternating array / inline table
    const open = Array.from({ length: 16 }, () => '[{ x = ').join(''), close = ' }]'.repeat(16);
    const text = `a = ${open}1${close}\nb = "after"\n`;
    const ix = indexToml(text);
    assert.deepEqual(ix.problems, []);
    const deepest: PathSegment[] = ['a', ...Array.from({ length: 16 }, (): PathSegment[] => [0, 'x']).flat()];
    const node = ix.get(deepest);
    assert.equal(node?.valueKind, 'integer');
    assert.equal(text.slice(ix.offsetAt(node.valueRange!.start), ix.offsetAt(node.valueRange!.end)), '1');
    assert.equal(ix.get(['a'])?.valueRange?.end.character, 4 + open.length + 1 + close.length);
    assert.deepEqual(ix.get(['b'])?.keyRange, { start: { line: 1, character: 0 }, end: { line: 1, character: 1 } });
  });

  it('3,000 levels: one problem per value at the 33rd bracket, the rest of the file still indexed', () => {
    const text = `a = ${'['.repeat(3000)}${']'.repeat(3000)}\nb = ${'{ x = '.repeat(3000)}1${'}'.repeat(3000)}\nbogus = 1\n`;
    const ix = indexToml(text);
    const nesting = ix.problems.filter((p) => p.code === 'toml-nesting');
    assert.equal(nesting.length, 2, JSON.stringify(ix.problems.map((p) => p.message)));
    assert.deepEqual(nesting[0]!.range.start, { line: 0, character: 4 + 32 });
    assert.deepEqual(nesting[1]!.range.start, { line: 1, character: 4 + 32 * '{ x = '.length });
    assert.equal(ix.problems.length, 2, 'nothing else is wrong with the file');
    assert.deepEqual(ix.get(['bogus'])?.keyRange?.start, { line: 2, character: 0 });
    // The deepest indexed array (32 levels) spans to its closing bracket on line 0.
    const deepest = ix.get(['a', ...Array.from({ length: 31 }, () => 0)]);
    assert.equal(deepest?.valueKind, 'array');
    assert.equal(deepest.valueRange!.end.character, 4 + 3000 + 3000 - 31);
    // Inside the skipped part, the innermost indexed node: the 32nd array's element (the skipped value).
    assert.deepEqual(ix.nodeAt({ line: 0, character: 2000 })?.path, ['a', ...Array.from({ length: 32 }, () => 0)]);
  });

  it('a deep value left open ends before the next statement, with a problem per open container', () => {
    const text = `a = ${'[{ x = '.repeat(10)}\nb = 1\n[t]\nc = 2\n`;
    const ix = indexToml(text);
    const open = ix.problems.filter((p) => /^unterminated/.test(p.message));
    assert.equal(open.length, 20, JSON.stringify(ix.problems.map((p) => p.message)));
    assert.equal(ix.get(['b'])?.valueKind, 'integer');
    assert.deepEqual(ix.get(['t', 'c'])?.keyRange?.start, { line: 3, character: 0 });
    assert.equal(nestingProblems(text).length, 0);
  });
});
