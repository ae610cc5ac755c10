import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'smol-toml';
import { indexToml, type PathSegment, type Range, type TomlIndex, type TomlNode } from '../../core/toml/positions';

const r = (l1: number, c1: number, l2: number, c2: number): Range => ({ start: { line: l1, character: c1 }, end: { line: l2, character: c2 } });
const textOf = (ix: TomlIndex, text: string, range: Range | undefined): string => {
  assert.ok(range, 'range missing');
  return text.slice(ix.offsetAt(range.start), ix.offsetAt(range.end));
};
const need = (ix: TomlIndex, path: PathSegment[]): TomlNode => {
  const n = ix.get(path);
  assert.ok(n, `no node for ${JSON.stringify(path)}`);
  return n;
};
/** Position of the `n`th occurrence of `needle` in `text` (plus `delta` characters). */
function posOf(text: string, needle: string, delta = 0, nth = 0): { line: number; character: number } {
  let off = -1;
  for (let k = 0; k <= nth; k++) off = text.indexOf(needle, off + 1);
  assert.ok(off >= 0, `needle ${needle} not found`);
  off += delta;
  const before = text.slice(0, off).split(/\r\n|\n/);
  return { line: before.length - 1, character: before[before.length - 1]!.length };
}

const POLICY = `# Codex network policy
version = 1
default_action = "deny" # fallback

[permissions.work.network]
enabled = true
allowed_domains = ["**.github.com", "api.openai.com"]
denied_domains = [
  "evil.example", # a comment with "quotes" and [brackets]
  'literal.example',
]

[permissions.work.network.mitm]
enabled = true
ca_path = 'C:\\certs\\ca.pem'

[permissions.work.network.mitm.hooks.gh]
host = "**.github.com"
methods = ["GET", "POST"]
action = "allow"
inject_request_headers = [
  { name = "authorization", value = "Bearer \${GITHUB_TOKEN}" },
  { name = "x-trace", value = "1", options = { redact = true } },
]

[permissions.work.network.mitm.hooks."**.openai.com"]
action = "deny"
reason = """
Blocked [by policy] = see #123
[not.a.header]
"""
limits.max_body = 1_048_576
limits.timeout = 2.5

[[permissions.work.network.rules]]
host = "a.example"
ports = [443, 8_443]

[[permissions.work.network.rules]]
host = "b.example"
expires = 2026-01-01T00:00:00Z
`;

describe('positions: offsets and line endings', () => {
  it('round-trips offsets and positions, clamping out-of-range input', () => {
    const text = 'a = 1\nbb = 2\n\nccc = 3';
    const ix = indexToml(text);
    for (let off = 0; off <= text.length; off++) assert.equal(ix.offsetAt(ix.positionAt(off)), off);
    assert.deepEqual(ix.positionAt(6), { line: 1, character: 0 });
    assert.equal(ix.offsetAt({ line: 0, character: 99 }), 5); // clamped to the line end
    assert.equal(ix.offsetAt({ line: 9, character: 0 }), text.length);
    assert.equal(ix.offsetAt({ line: -1, character: 3 }), 0);
    assert.deepEqual(ix.positionAt(999), { line: 3, character: 7 });
  });

  it('handles CRLF: ranges exclude the \\r and lines count correctly', () => {
    const text = '[a]\r\nk = "v"\r\nm = [\r\n  1,\r\n  2,\r\n]\r\nz = 3\r\n';
    const ix = indexToml(text);
    assert.deepEqual(ix.problems, []);
    assert.deepEqual(need(ix, ['a', 'k']).valueRange, r(1, 4, 1, 7));
    assert.deepEqual(need(ix, ['a', 'm']).valueRange, r(2, 4, 5, 1));
    assert.deepEqual(need(ix, ['a', 'm', 1]).range, r(4, 2, 4, 3));
    assert.deepEqual(need(ix, ['a', 'z']).keyRange, r(6, 0, 6, 1));
    assert.deepEqual(need(ix, ['a']).range, r(0, 0, 6, 5));
    assert.equal(ix.offsetAt({ line: 1, character: 50 }), text.indexOf('\r', 5));
  });

  it('treats a BOM as zero-width on line 0', () => {
    const text = '\uFEFFhost = "x"\nport = 1';
    const ix = indexToml(text);
    assert.deepEqual(ix.problems, []);
    assert.deepEqual(need(ix, ['host']).keyRange, r(0, 0, 0, 4));
    assert.deepEqual(need(ix, ['host']).valueRange, r(0, 7, 0, 10));
    assert.equal(ix.offsetAt({ line: 0, character: 0 }), 1);
    assert.deepEqual(ix.positionAt(0), { line: 0, character: 0 });
    assert.equal(textOf(ix, text, need(ix, ['host']).keyRange), 'host');
    assert.deepEqual(ix.context({ line: 0, character: 2 }).prefix, 'ho');
  });

  it('counts characters in UTF-16 code units (emoji in comment and in strings before a key)', () => {
    const text = '# 😀 comment 😀\nx = { s = "😀😀", k = 1 } # 🎉\n"😀" = "é😀" ; \ny = 2';
    const ix = indexToml(text);
    const k = need(ix, ['x', 'k']);
    assert.deepEqual(k.keyRange, r(1, 18, 1, 19)); // "😀😀" is 4 code units
    assert.deepEqual(k.valueRange, r(1, 22, 1, 23));
    assert.equal(need(ix, ['x', 's']).stringValue, '😀😀');
    assert.deepEqual(need(ix, ['x', 's']).valueRange, r(1, 10, 1, 16));
    const emojiKey = need(ix, ['😀']);
    assert.deepEqual(emojiKey.keyRange, r(2, 0, 2, 4));
    assert.deepEqual(emojiKey.valueRange, r(2, 7, 2, 12));
    assert.equal(emojiKey.stringValue, 'é😀');
    assert.equal(ix.problems.length, 1); // the stray `;`
    assert.deepEqual(ix.problems[0]!.range, r(2, 13, 2, 15));
    assert.deepEqual(need(ix, ['y']).keyRange, r(3, 0, 3, 1));
  });

  it('treats a lone CR as a line break like LSP does', () => {
    const ix = indexToml('a = 1\rb = 2');
    assert.deepEqual(need(ix, ['b']).keyRange, r(1, 0, 1, 1));
  });
});

describe('positions: keys', () => {
  it('gives exact key, value and whole ranges for a simple key-value', () => {
    const ix = indexToml('  host   =   "api.example.com"   # c');
    const n = need(ix, ['host']);
    assert.equal(n.kind, 'key-value');
    assert.deepEqual(n.keyRange, r(0, 2, 0, 6));
    assert.deepEqual(n.keySegmentRanges, [r(0, 2, 0, 6)]);
    assert.deepEqual(n.valueRange, r(0, 13, 0, 30));
    assert.deepEqual(n.range, r(0, 2, 0, 30));
    assert.equal(n.valueKind, 'string');
    assert.equal(n.stringValue, 'api.example.com');
  });

  it('indexes dotted keys with per-segment ranges and implicit tables', () => {
    const text = '[t]\na . "b.c" . \'d\' = 1\na.x = 2';
    const ix = indexToml(text);
    const n = need(ix, ['t', 'a', 'b.c', 'd']);
    assert.deepEqual(n.keyRange, r(1, 0, 1, 15));
    assert.deepEqual(n.keySegmentRanges, [r(1, 0, 1, 1), r(1, 4, 1, 9), r(1, 12, 1, 15)]);
    assert.deepEqual(n.valueRange, r(1, 18, 1, 19));
    // implicit tables resolve to the first node that created them
    assert.equal(ix.get(['t', 'a']), n);
    assert.equal(ix.get(['t', 'a', 'b.c']), n);
    assert.deepEqual(ix.getAll(['t', 'a']).map((x) => x.path), [['t', 'a', 'b.c', 'd'], ['t', 'a', 'x']]);
    assert.deepEqual(ix.childrenOf(['t', 'a']).map((x) => x.path), [['t', 'a', 'b.c', 'd'], ['t', 'a', 'x']]);
    assert.deepEqual(ix.problems, []);
  });

  it('decodes quoted keys (escapes), literal keys and the empty key', () => {
    const text = String.raw`"**.github.com" = 1
"tab\there\u00e9\U0001F600" = 2
'C:\literal' = 3
"" = 4
"a\"b" = 5`;
    const ix = indexToml(text);
    assert.deepEqual(ix.problems, []);
    assert.deepEqual(need(ix, ['**.github.com']).keyRange, r(0, 0, 0, 15));
    assert.ok(ix.get(['tab\thereé😀']));
    assert.deepEqual(need(ix, ['C:\\literal']).keyRange, r(2, 0, 2, 12));
    assert.deepEqual(need(ix, ['']).keyRange, r(3, 0, 3, 2));
    assert.deepEqual(need(ix, ['a"b']).keyRange, r(4, 0, 4, 6));
    assert.deepEqual(Object.keys(parse(text)).sort(), ix.childrenOf([]).map((n) => n.path[0]).sort());
  });
});

describe('positions: tables and arrays of tables', () => {
  it('gives header, key and segment ranges, and table extents up to the last key', () => {
    const text = '[ permissions . "work" ]  # hi\nk = 1\n\n# about next\n[other]\n';
    const ix = indexToml(text);
    const t = need(ix, ['permissions', 'work']);
    assert.equal(t.kind, 'table');
    assert.deepEqual(t.headerRange, r(0, 0, 0, 24));
    assert.deepEqual(t.keyRange, r(0, 2, 0, 22));
    assert.deepEqual(t.keySegmentRanges, [r(0, 2, 0, 13), r(0, 16, 0, 22)]);
    assert.deepEqual(t.range, r(0, 0, 1, 5));
    const o = need(ix, ['other']);
    assert.deepEqual(o.range, r(4, 0, 4, 7)); // empty table: just its header
    assert.equal(ix.get(['permissions']), t); // implicit parent -> defining header
  });

  it('numbers array-of-tables elements and resolves sub-tables to the latest element', () => {
    const text = `[[a.b]]
k = 1
[[a.b]]
k = 2
[a.b.sub]
x = 1
[[a.b.list]]
y = 1
[[a.b.list]]
y = 2
[[a.b]]
[[a.b.list]]
y = 3
`;
    const ix = indexToml(text);
    assert.deepEqual(ix.problems, []);
    const first = need(ix, ['a', 'b', 0]);
    assert.equal(first.kind, 'array-table');
    assert.deepEqual(first.headerRange, r(0, 0, 0, 7));
    assert.deepEqual(first.keyRange, r(0, 2, 0, 5));
    assert.deepEqual(first.keySegmentRanges, [r(0, 2, 0, 3), r(0, 4, 0, 5)]);
    assert.deepEqual(need(ix, ['a', 'b', 1, 'k']).keyRange, r(3, 0, 3, 1));
    assert.deepEqual(need(ix, ['a', 'b', 1, 'sub', 'x']).keyRange, r(5, 0, 5, 1));
    assert.deepEqual(need(ix, ['a', 'b', 1, 'list', 1, 'y']).keyRange, r(9, 0, 9, 1));
    assert.deepEqual(need(ix, ['a', 'b', 2, 'list', 0, 'y']).keyRange, r(12, 0, 12, 1));
    assert.deepEqual(ix.childrenOf(['a', 'b']).map((n) => n.path), [['a', 'b', 0], ['a', 'b', 1], ['a', 'b', 2]]);
    assert.equal(ix.get(['a', 'b']), first);
    // children are reported by their defining node: for an array of tables, its first element
    assert.deepEqual(ix.childrenOf(['a', 'b', 1]).map((n) => n.path.slice(3)), [['k'], ['sub'], ['list', 0]]);
  });
});

describe('positions: values', () => {
  it('classifies every value kind', () => {
    const text = `s1 = "basic\\n"
s2 = 'lit\\n'
i1 = -42
i2 = 0xDEAD_beef
i3 = 0o755
i4 = 0b1010
i5 = 1_000
f1 = 3.14
f2 = -1e-3
f3 = 6.626E+34
f4 = inf
f5 = -nan
b1 = true
b2 = false
d1 = 1979-05-27T07:32:00Z
d2 = 1979-05-27 07:32:00.999-07:00
d3 = 1979-05-27T07:32:00
d4 = 1979-05-27
d5 = 07:32:00
a1 = []
t1 = {}
bad = github.com
`;
    const ix = indexToml(text);
    const kinds = Object.fromEntries(ix.nodes.map((n) => [n.path.join('.'), n.valueKind]));
    assert.deepEqual(kinds, {
      s1: 'string', s2: 'string', i1: 'integer', i2: 'integer', i3: 'integer', i4: 'integer', i5: 'integer',
      f1: 'float', f2: 'float', f3: 'float', f4: 'float', f5: 'float', b1: 'boolean', b2: 'boolean',
      d1: 'datetime', d2: 'datetime', d3: 'datetime', d4: 'datetime', d5: 'datetime', a1: 'array', t1: 'inline-table', bad: 'invalid',
    });
    assert.equal(need(ix, ['s1']).stringValue, 'basic\n');
    assert.equal(need(ix, ['s2']).stringValue, 'lit\\n');
    assert.equal(textOf(ix, text, need(ix, ['d2']).valueRange), '1979-05-27 07:32:00.999-07:00');
    assert.equal(textOf(ix, text, need(ix, ['bad']).valueRange), 'github.com');
    assert.deepEqual(ix.problems.map((p) => p.message), ['invalid value `github.com`']);
    assert.deepEqual(ix.problems[0]!.range, r(21, 6, 21, 16));
  });

  it('decodes multi-line strings containing [ = # and quotes, without spurious nodes', () => {
    const text = `a = """
[not.a.header]
x = 1 # not a comment
  ""quoted""\\
   continued"""
b = '''
[also] = #raw\\n
'''
c = """\\"""""
d = 1`;
    const ix = indexToml(text);
    assert.deepEqual(ix.problems, []);
    assert.deepEqual(ix.nodes.map((n) => n.path.join('.')), ['a', 'b', 'c', 'd']);
    const parsed = parse(text) as Record<string, unknown>;
    for (const k of ['a', 'b', 'c']) assert.equal(need(ix, [k]).stringValue, parsed[k], k);
    assert.deepEqual(need(ix, ['a']).valueRange, r(0, 4, 4, 15));
    assert.deepEqual(need(ix, ['b']).valueRange, r(5, 4, 7, 3));
    assert.deepEqual(need(ix, ['d']).keyRange, r(9, 0, 9, 1));
  });

  it('indexes array items, nested arrays and arrays of inline tables', () => {
    const text = `[h]
m = ["GET", 'POST', ]
nested = [[1, 2], ["x"]]
inject_request_headers = [
  # comment line
  { name = "x", value = { a.b = "deep" } },
  { name = "y" }, # trailing
]
`;
    const ix = indexToml(text);
    assert.deepEqual(ix.problems, []);
    const m = need(ix, ['h', 'm']);
    assert.equal(m.valueKind, 'array');
    assert.deepEqual(m.valueRange, r(1, 4, 1, 21));
    const get1 = need(ix, ['h', 'm', 1]);
    assert.equal(get1.kind, 'array-item');
    assert.deepEqual(get1.valueRange, r(1, 12, 1, 18));
    assert.deepEqual(get1.range, get1.valueRange);
    assert.equal(get1.stringValue, 'POST');
    assert.equal(get1.keyRange, undefined);
    assert.deepEqual(ix.childrenOf(['h', 'm']).map((n) => n.stringValue), ['GET', 'POST']);
    assert.deepEqual(need(ix, ['h', 'nested', 1, 0]).valueRange, r(2, 19, 2, 22));
    assert.equal(need(ix, ['h', 'nested', 0]).valueKind, 'array');
    const name = need(ix, ['h', 'inject_request_headers', 0, 'name']);
    assert.equal(name.kind, 'inline-entry');
    assert.deepEqual(name.keyRange, r(5, 4, 5, 8));
    assert.deepEqual(name.valueRange, r(5, 11, 5, 14));
    const deep = need(ix, ['h', 'inject_request_headers', 0, 'value', 'a', 'b']);
    assert.deepEqual(deep.keySegmentRanges, [r(5, 26, 5, 27), r(5, 28, 5, 29)]);
    assert.equal(deep.stringValue, 'deep');
    assert.deepEqual(need(ix, ['h', 'inject_request_headers', 1]).valueRange, r(6, 2, 6, 16));
    assert.deepEqual(need(ix, ['h', 'inject_request_headers']).range, r(3, 0, 7, 1));
  });

  it('lists nodes in document order', () => {
    const ix = indexToml(POLICY);
    const starts = ix.nodes.map((n) => ix.offsetAt(n.range.start));
    assert.deepEqual(starts, [...starts].sort((a, b) => a - b));
    assert.deepEqual(ix.problems, []);
  });
});

describe('positions: lookups', () => {
  const ix = indexToml(POLICY);
  it('get / nearest / childrenOf / getAll on a realistic policy', () => {
    const hook = need(ix, ['permissions', 'work', 'network', 'mitm', 'hooks', 'gh']);
    assert.equal(hook.kind, 'table');
    assert.equal(textOf(ix, POLICY, hook.headerRange), '[permissions.work.network.mitm.hooks.gh]');
    // `hooks` exists only implicitly: the first header mentioning it defines it
    assert.equal(ix.get(['permissions', 'work', 'network', 'mitm', 'hooks']), hook);
    assert.equal(need(ix, ['permissions', 'work', 'network', 'mitm', 'hooks', '**.openai.com', 'limits']).kind, 'key-value');
    assert.equal(ix.nearest(['permissions', 'work', 'network', 'mitm', 'hooks', 'gh', 'nope', 'deeper']), hook);
    assert.equal(ix.nearest(['nothing', 'here']), undefined);
    assert.deepEqual(ix.childrenOf(['permissions', 'work', 'network', 'mitm', 'hooks', 'gh']).map((n) => n.path[6]),
      ['host', 'methods', 'action', 'inject_request_headers']);
    assert.deepEqual(ix.childrenOf([]).map((n) => n.path[0]), ['version', 'default_action', 'permissions']);
    assert.deepEqual(ix.childrenOf(['permissions', 'work', 'network', 'rules']).map((n) => n.path), [
      ['permissions', 'work', 'network', 'rules', 0], ['permissions', 'work', 'network', 'rules', 1]]);
    const rules1 = need(ix, ['permissions', 'work', 'network', 'rules', 1, 'expires']);
    assert.equal(rules1.valueKind, 'datetime');
    assert.equal(ix.get(['permissions', 'work', 'network', 'methods']), undefined);
    assert.equal(ix.getAll(['nope']).length, 0);
    assert.equal(ix.getAll(['permissions', 'work', 'network', 'mitm', 'hooks']).length, 2);
  });

  it('keeps duplicates (getAll) and flags them', () => {
    const text = 'a = 1\nb = 2\na = 3\n[t]\n[t]\nx = 1\n';
    const ix = indexToml(text);
    assert.deepEqual(ix.getAll(['a']).map((n) => n.keyRange!.start.line), [0, 2]);
    assert.equal(ix.get(['a'])!.keyRange!.start.line, 0);
    assert.deepEqual(ix.getAll(['t']).map((n) => n.headerRange!.start.line), [3, 4]);
    assert.deepEqual(ix.problems.map((p) => [p.message, p.range.start.line]), [['duplicate key `a`', 2], ['duplicate table `[t]`', 4]]);
    assert.deepEqual(ix.problems[0]!.range, r(2, 0, 2, 1));
    // the elements/entries of a duplicate key are not reported again
    const again = indexToml('a = [1, {x = 1}]\na = [2, {x = 2}]');
    assert.deepEqual(again.problems.map((p) => p.message), ['duplicate key `a`']);
    assert.equal(again.getAll(['a', 1, 'x']).length, 2);
  });

  it('flags redefinitions that TOML forbids (as smol-toml does)', () => {
    for (const text of ['a.b = 1\n[a]\n', '[a.b]\nc = 1\n[a]\nb.d = 2', 'a = 1\n[a.b]', 'a = [1]\n[[a]]', '[a]\n[[a]]', '[[a]]\n[a]', 'a = {x = 1}\na.y = 2']) {
      assert.throws(() => parse(text), Error, text);
      assert.ok(indexToml(text).problems.length > 0, text);
    }
    for (const text of ['[a.b.c]\n[a.b]', '[fruit]\napple.color = "red"\n[fruit.apple.texture]\nsmooth = true', '[[a]]\n[a.b]\n[[a]]\n[a.b]']) {
      parse(text);
      assert.deepEqual(indexToml(text).problems, [], text);
    }
  });

  it('nodeAt finds the innermost node under the cursor', () => {
    const at = (needle: string, delta = 0) => ix.nodeAt(posOf(POLICY, needle, delta));
    assert.deepEqual(at('methods = ', 2)?.path.slice(-1), ['methods']);
    assert.deepEqual(at('"POST"', 2)?.path.slice(-2), ['methods', 1]);
    assert.deepEqual(at('"x-trace"', 1)?.path.slice(-2), [1, 'name']);
    assert.deepEqual(at('redact', 0)?.path.slice(-3), [1, 'options', 'redact']);
    assert.deepEqual(at('{ name = "x-trace"', 0)?.path.slice(-2), ['inject_request_headers', 1]);
    assert.deepEqual(at('[permissions.work.network.mitm]', 0)?.path, ['permissions', 'work', 'network', 'mitm']);
    assert.deepEqual(at('work.network.mitm]', 2)?.kind, 'table');
    assert.deepEqual(at('Blocked [by')?.path.slice(-1), ['reason']);
    assert.equal(at('# Codex', 3), undefined);
    assert.equal(at('host = "a', 5), undefined); // on the `=`
    assert.deepEqual(at('host = "a', 4)?.path.slice(-1), ['host']); // end of the key is inclusive
  });
});

describe('positions: error tolerance', () => {
  const check = (text: string, expectPaths: string[], problemCount?: number) => {
    const ix = indexToml(text);
    const paths = ix.nodes.map((n) => n.path.join('.'));
    for (const p of expectPaths) assert.ok(paths.includes(p), `${p} missing from ${JSON.stringify(paths)}`);
    if (problemCount !== undefined) assert.equal(ix.problems.length, problemCount, JSON.stringify(ix.problems));
    else assert.ok(ix.problems.length > 0);
    return ix;
  };

  it('unterminated array at EOF', () => {
    const ix = check('[p]\nmethods = ["GET", ', ['p.methods', 'p.methods.0'], 1);
    assert.match(ix.problems[0]!.message, /unterminated array/);
    assert.deepEqual(ix.problems[0]!.range, r(1, 10, 1, 11));
    assert.deepEqual(need(ix, ['p', 'methods']).valueRange, r(1, 10, 1, 17)); // through the last comma
  });

  it('missing value, stray =, unterminated header, unterminated string', () => {
    const text = '[p]\nhost = \n= 5\n[permissions.wo\nname = "abc\nok = 1\n[q]\nz = 2';
    const ix = check(text, ['p.host', 'permissions.wo', 'permissions.wo.name', 'permissions.wo.ok', 'q.z']);
    assert.equal(need(ix, ['p', 'host']).valueKind, 'invalid');
    assert.equal(need(ix, ['p', 'host']).valueRange, undefined);
    assert.equal(need(ix, ['permissions', 'wo', 'name']).stringValue, 'abc');
    assert.deepEqual(need(ix, ['permissions', 'wo', 'ok']).keyRange, r(5, 0, 5, 2));
    assert.deepEqual(need(ix, ['q', 'z']).keyRange, r(7, 0, 7, 1));
    assert.deepEqual(ix.problems.map((p) => p.range.start.line), [1, 2, 3, 4]);
  });

  it('an unterminated array ends at a following header or `key =` line', () => {
    const text = '[p]\nm = ["GET",\n  "POST"\nhost = "x"\n[q]\nn = [1,\n[r]\nk = 1\n';
    const ix = check(text, ['p.m.0', 'p.m.1', 'p.host', 'q.n.0', 'r.k'], 2);
    assert.deepEqual(need(ix, ['p', 'm']).valueRange, r(1, 4, 2, 8));
    assert.deepEqual(need(ix, ['p', 'host']).keyRange, r(3, 0, 3, 4));
    assert.deepEqual(need(ix, ['r', 'k']).keyRange, r(7, 0, 7, 1));
    // valid arrays may have elements that look like keys or single-element arrays at column 0
    const ok = '[p]\nm = [\n["a"],\n[1],\n]\n';
    assert.deepEqual(indexToml(ok).problems, []);
  });

  it('an unterminated inline table ends at a `key =` line at column 0', () => {
    const ix = check('t = { a = 1, b = "x"\nnext = 2', ['t.a', 't.b', 'next'], 1);
    assert.deepEqual(need(ix, ['next']).keyRange, r(1, 0, 1, 4));
  });

  it('an unterminated multi-line string stops before the next header', () => {
    const ix = check('a = """\nabc\n[b]\nk = 1', ['a', 'b.k'], 1);
    assert.equal(need(ix, ['a']).stringValue, 'abc');
    assert.deepEqual(need(ix, ['a']).valueRange, r(0, 4, 1, 3));
  });

  it('odd inputs do not throw', () => {
    for (const text of ['', '\n\n', '[', '[[', '[]', '[[]]', '[a]]', '[[a]', '=', '"', "'''", '"""', 'a', 'a.', 'a..b = 1', 'a = [', 'a = {',
      'a = [}', 'a = {]', 'a = [,,]', 'a = {,}', 'a = { b }', 'a = { = 1 }', 'a = "\\', 'a = "\\u12"', 'a = 1 2', '\uFEFF', '\r\n\r', 'a = [[[[[[', 'a = { b = { c = [ {',
      '[a.\n[b]', 'a = """\\', 'a = 1979-05-27 ', "a = '''x''''''", 'x = [ }', '[a] junk', '# only comment']) {
      const ix = indexToml(text);
      void ix.nodes;
      ix.context(ix.positionAt(text.length));
      ix.nodeAt(ix.positionAt(text.length));
    }
  });

  it('indexes every prefix of a realistic policy (LF and CRLF) without throwing', () => {
    for (const doc of [POLICY, POLICY.replace(/\n/g, '\r\n')]) {
      for (let n = 0; n <= doc.length; n++) {
        const text = doc.slice(0, n);
        const ix = indexToml(text);
        const end = ix.positionAt(text.length);
        void ix.nodes;
        ix.context(end);
        ix.nodeAt(end);
        ix.nearest(['permissions', 'work', 'network', 'mitm', 'hooks', 'gh', 'methods', 0]);
      }
    }
  });

  it('survives random edits (deterministic fuzz) and keeps positions consistent', () => {
    let seed = 42;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
    const alphabet = ['[', ']', '{', '}', '"', "'", '=', ',', '.', '\n', '#', ' ', 'a', '1', '"""', '\\'];
    for (let round = 0; round < 400; round++) {
      let text = POLICY;
      for (let e = 0; e < 4; e++) {
        const at = rnd(text.length);
        text = rnd(2) ? text.slice(0, at) + alphabet[rnd(alphabet.length)] + text.slice(at) : text.slice(0, at) + text.slice(at + 1 + rnd(5));
      }
      const ix = indexToml(text);
      for (const n of ix.nodes) {
        for (const range of [n.range, n.keyRange, n.valueRange, n.headerRange]) {
          if (!range) continue;
          assert.ok(ix.offsetAt(range.start) <= ix.offsetAt(range.end), `bad range in round ${round}`);
        }
      }
      for (let k = 0; k < 5; k++) {
        const pos = ix.positionAt(rnd(text.length + 1));
        ix.context(pos);
        ix.nodeAt(pos);
      }
    }
  });
});

describe('positions: cursor context', () => {
  const ctxAt = (text: string, marker = '|') => {
    const off = text.indexOf(marker);
    const clean = text.slice(0, off) + text.slice(off + marker.length);
    const ix = indexToml(clean);
    return ix.context(ix.positionAt(off));
  };
  const HOOK = ['permissions', 'work', 'network', 'mitm', 'hooks', 'gh'];

  it('start of an empty line under a header', () => {
    const c = ctxAt('[permissions.work.network.mitm]\nenabled = true\n|\n[other]\n');
    assert.deepEqual(c.tablePath, ['permissions', 'work', 'network', 'mitm']);
    assert.equal(c.inKey, true);
    assert.deepEqual(c.keyPath, []);
    assert.equal(c.inValue, false);
    assert.equal(c.inHeader, false);
    assert.equal(c.prefix, '');
    assert.deepEqual(c.prefixRange, r(2, 0, 2, 0));
  });

  it('indented empty line and line start before an existing key', () => {
    assert.equal(ctxAt('[a]\n   |\n').inKey, true);
    const c = ctxAt('[a]\n|host = 1\n');
    assert.equal(c.inKey, true);
    assert.deepEqual(c.tablePath, ['a']);
  });

  it('partially typed dotted key', () => {
    const c = ctxAt('[permissions.work.network.mitm]\nhooks.gh.|\n');
    assert.deepEqual(c.tablePath, ['permissions', 'work', 'network', 'mitm']);
    assert.equal(c.inKey, true);
    assert.deepEqual(c.keyPath, ['hooks', 'gh']);
    assert.equal(c.prefix, '');
    const d = ctxAt('[permissions.work.network.mitm]\nhooks.gh.me|\n');
    assert.deepEqual(d.keyPath, ['hooks', 'gh']);
    assert.equal(d.prefix, 'me');
    assert.deepEqual(d.prefixRange, r(1, 9, 1, 11));
    const e = ctxAt('[a]\nho|st = 1');
    assert.equal(e.inKey, true);
    assert.equal(e.prefix, 'ho');
  });

  it('inside a string in an array value', () => {
    const c = ctxAt('[permissions.work.network.mitm.hooks.gh]\nmethods = ["PO|');
    assert.equal(c.inValue, true);
    assert.equal(c.inString, true);
    assert.deepEqual(c.valuePath, [...HOOK, 'methods']);
    assert.equal(c.arrayIndex, 0);
    assert.equal(c.prefix, 'PO');
    assert.deepEqual(c.prefixRange, r(1, 12, 1, 14));
    const d = ctxAt('[permissions.work.network.mitm.hooks.gh]\nmethods = ["GET", "PO|"]\nhost = "x"');
    assert.equal(d.arrayIndex, 1);
    assert.equal(d.prefix, 'PO');
    assert.equal(d.inString, true);
  });

  it('right after `[` of an array value', () => {
    const c = ctxAt('[permissions.work.network.mitm.hooks.gh]\naction = [|');
    assert.equal(c.inValue, true);
    assert.equal(c.inString, false);
    assert.deepEqual(c.valuePath, [...HOOK, 'action']);
    assert.equal(c.arrayIndex, 0);
    assert.equal(c.prefix, '');
  });

  it('on a later line of a multi-line array, also when unterminated before a key line', () => {
    const c = ctxAt('[h]\nm = [\n  "GET",\n  |\n]\n');
    assert.equal(c.inValue, true);
    assert.equal(c.arrayIndex, 1);
    assert.deepEqual(c.valuePath, ['h', 'm']);
    const d = ctxAt('[h]\nm = ["GET",\n|\nhost = "x"\n');
    assert.equal(d.inValue, true);
    assert.equal(d.arrayIndex, 1);
    const e = ctxAt('[h]\nm = ["GET",\n\nho|st = "x"\n');
    assert.equal(e.inKey, true);
    assert.equal(e.prefix, 'ho');
    assert.deepEqual(e.tablePath, ['h']);
  });

  it('inside a table header', () => {
    const c = ctxAt('[a]\nx = 1\n[permissions.work.network.|\n');
    assert.equal(c.inHeader, true);
    assert.equal(c.inKey, true);
    assert.deepEqual(c.keyPath, ['permissions', 'work', 'network']);
    assert.deepEqual(c.tablePath, []);
    assert.equal(c.prefix, '');
    const d = ctxAt('[permissions.wo|rk]\n');
    assert.deepEqual(d.keyPath, ['permissions']);
    assert.equal(d.prefix, 'wo');
    assert.deepEqual(d.prefixRange, r(0, 13, 0, 15));
    const e = ctxAt('[[permissions."quo|');
    assert.equal(e.inHeader, true);
    assert.equal(e.inString, true);
    assert.equal(e.prefix, 'quo');
    assert.equal(ctxAt('[a] |# c').inKey, false);
  });

  it('at a key position inside an inline table', () => {
    const c = ctxAt('[h]\ninject_request_headers = [ { name = "x", | } ]\n');
    assert.equal(c.inKey, true);
    assert.equal(c.inValue, false);
    assert.deepEqual(c.keyPath, []);
    assert.deepEqual(c.valuePath, ['h', 'inject_request_headers', 0]);
    assert.equal(c.prefix, '');
    const d = ctxAt('[h]\nx = [ {}, { name = "x", val| } ]\n');
    assert.deepEqual(d.valuePath, ['h', 'x', 1]);
    assert.equal(d.prefix, 'val');
  });

  it('in the value of an inline-table entry', () => {
    const c = ctxAt('[h]\ninject_request_headers = [ { name = "x-|" } ]\n');
    assert.equal(c.inValue, true);
    assert.equal(c.inString, true);
    assert.deepEqual(c.valuePath, ['h', 'inject_request_headers', 0, 'name']);
    assert.equal(c.arrayIndex, undefined);
    assert.equal(c.prefix, 'x-');
  });

  it('scalar values, missing values, comments, and after a value', () => {
    const a = ctxAt('[h]\nhost = |');
    assert.equal(a.inValue, true);
    assert.deepEqual(a.valuePath, ['h', 'host']);
    assert.equal(a.prefix, '');
    const b = ctxAt('[h]\nenabled = tr|\n');
    assert.equal(b.prefix, 'tr');
    assert.deepEqual(b.prefixRange, r(1, 10, 1, 12));
    const c = ctxAt('[h]\nenabled = true # comm|ent\n');
    assert.deepEqual([c.inKey, c.inValue, c.inString], [false, false, false]);
    const d = ctxAt('[h]\nhost = "x" |\n');
    assert.deepEqual([d.inKey, d.inValue], [false, false]);
    const e = ctxAt('# top| comment\n');
    assert.deepEqual([e.inKey, e.inValue], [false, false]);
    const f = ctxAt('[h]\nm = [ # note|\n');
    assert.deepEqual([f.inKey, f.inValue], [false, false]);
    const g = ctxAt('[h]\nreason = """\nline one\nlin|e two\n"""\n');
    assert.equal(g.inString, true);
    assert.equal(g.prefix, 'lin');
    assert.deepEqual(g.valuePath, ['h', 'reason']);
  });

  it('resolves array-of-tables elements and handles CRLF + BOM', () => {
    const c = ctxAt('\uFEFF[[rules]]\r\nhost = "a"\r\n[[rules]]\r\nhost = "b"\r\nmethods = ["G|"]\r\n');
    assert.deepEqual(c.tablePath, ['rules', 1]);
    assert.deepEqual(c.valuePath, ['rules', 1, 'methods']);
    assert.deepEqual(c.prefixRange, r(4, 12, 4, 13));
    const d = ctxAt('\uFEFF|');
    assert.equal(d.inKey, true);
    assert.deepEqual(d.tablePath, []);
  });
});

// ---- cross-check with smol-toml on valid documents ----

function walkParsed(v: unknown, path: PathSegment[], all: Set<string>, leaves: Set<string>): void {
  if (path.length) all.add(JSON.stringify(path));
  if (Array.isArray(v)) v.forEach((x, i) => walkParsed(x, [...path, i], all, leaves));
  else if (v && typeof v === 'object' && !(v instanceof Date)) {
    for (const [k, x] of Object.entries(v)) walkParsed(x, [...path, k], all, leaves);
  } else leaves.add(JSON.stringify(path));
}

const VALID_DOCS: Record<string, string> = {
  policy: POLICY,
  crlf: POLICY.replace(/\n/g, '\r\n'),
  spec: `title = "TOML Example"
[owner]
name = "Tom Preston-Werner"
dob = 1979-05-27T07:32:00-08:00
[database]
enabled = true
ports = [ 8000, 8001, 8002 ]
data = [ ["delta", "phi"], [3.14] ]
temp_targets = { cpu = 79.5, case = 72.0 }
[servers]
[servers.alpha]
ip = "10.0.0.1"
role = "frontend"
[servers.beta]
ip = "10.0.0.2"
"quoted key".'literal key'.bare = 1
`,
  fruits: `[[fruits]]
name = "apple"
[fruits.physical]
color = "red"
shape = "round"
[[fruits.varieties]]
name = "red delicious"
[[fruits.varieties]]
name = "granny smith"
[[fruits]]
name = "banana"
[[fruits.varieties]]
name = "plantain"
points = [ { x = 1, y = 2, z = 3 },
           { x = 7, y = 8, z = 9 },
           { x = 2, y = 4, z = 8 } ]
`,
  dotted: `name = "Orange"
physical.color = "orange"
physical.shape = "round"
site."google.com" = true
3.14159 = "pi"
[dog."tater.man"]
type.name = "pug"
[a.b.c]
[a]
x = { y.z = [ { w = [] } ], "q r" = '' }
`,
  strings: String.raw`s = "I'm a string. \"You can quote me\". Name\tJos\u00E9\nLocation\tSF."
m1 = """
Roses are red
Violets are blue"""
m2 = """\
       The quick brown \
       fox jumps over \
       the lazy dog.\
       """
lit = 'C:\Users\nodejs\templates'
lit2 = '''
The first newline is
trimmed in raw strings.
   All other whitespace
   is preserved.
'''
q = """Here are fifteen quotation marks: ""\"""\"""\"""\"""\"."""
q2 = ''''That,' she said, 'is still pointless.''''
`,
  numbers: `int1 = +99
int2 = 42
int3 = 0
int4 = -17
int5 = 1_000
hex1 = 0xDEADBEEF
oct1 = 0o01234567
bin1 = 0b11010110
flt1 = +1.0
flt2 = 3.1415
flt3 = -0.01
flt4 = 5e+22
flt5 = 1e06
flt6 = -2E-2
flt7 = 6.626e-34
flt8 = 224_617.445_991_228
sf1 = inf
sf2 = +inf
sf3 = -inf
sf4 = nan
odt = 1979-05-27T00:32:00.999999-07:00
ldt = 1979-05-27T07:32:00
ld = 1979-05-27
lt = 00:32:00.999999
`,
  big: bigPolicy(400), // function declarations are hoisted
};

describe('positions: cross-check with smol-toml', () => {
  for (const [name, text] of Object.entries(VALID_DOCS)) {
    it(`paths agree on "${name}"`, () => {
      const parsed = parse(text);
      const all = new Set<string>(), leaves = new Set<string>();
      walkParsed(parsed, [], all, leaves);
      const ix = indexToml(text);
      assert.deepEqual(ix.problems, []);
      const ixLeaves = new Set(ix.nodes.filter((n) => n.kind !== 'table' && n.kind !== 'array-table'
        && n.valueKind !== 'array' && n.valueKind !== 'inline-table').map((n) => JSON.stringify(n.path)));
      assert.deepEqual([...ixLeaves].sort(), [...leaves].sort());
      for (const n of ix.nodes) {
        assert.ok(all.has(JSON.stringify(n.path)), `index path ${JSON.stringify(n.path)} not in parse result`);
        if (n.valueKind === 'string') {
          const v = n.path.reduce<unknown>((o, k) => (o as Record<PathSegment, unknown>)[k], parsed);
          assert.equal(n.stringValue, v, JSON.stringify(n.path));
        }
      }
      for (const p of all) assert.ok(ix.get(JSON.parse(p) as PathSegment[]), `parsed path ${p} not in index`);
    });
  }
});

// ---- performance (reported, not asserted) ----

function bigPolicy(lines: number): string {
  const out: string[] = ['# generated policy', '[permissions.p.network]', 'enabled = true', ''];
  for (let n = 0; out.length < lines; n++) {
    out.push(
      `# hook ${n} 🚀 — comment`,
      `[permissions.p.network.mitm.hooks.h${n}]`,
      `host = "api${n}.example.com"`,
      `methods = ["GET", "POST"]  # trailing comment`,
      `action = "allow"`,
      `inject_request_headers = [`,
      `  { name = "x-n", value = "v${n}" },`,
      `  { name = "authorization", value = 'Bearer \${TOKEN}', options = { redact = true } },`,
      `]`,
      `paths = ['/v1/**', "/v2/*"]`,
      `"quoted.key" = { a = 1, b.c = 2.5 }`,
      `priority = ${n}`,
      '',
    );
  }
  return out.join('\n');
}

describe('positions: performance', () => {
  it('indexes a 10,000-line policy (timing printed, not asserted)', (t) => {
    const text = bigPolicy(10_000);
    for (let w = 0; w < 15; w++) indexToml(text);
    const times: number[] = [], withNodes: number[] = [];
    for (let k = 0; k < 25; k++) {
      const t0 = performance.now();
      indexToml(text);
      times.push(performance.now() - t0);
    }
    for (let k = 0; k < 10; k++) {
      const ix = indexToml(text), t0 = performance.now();
      void ix.nodes; // TomlNode objects are built lazily; this builds all of them
      withNodes.push(performance.now() - t0);
    }
    const ix = indexToml(text);
    assert.deepEqual(ix.problems, []);
    const lookups = 10_000, t0 = performance.now();
    for (let k = 0; k < lookups; k++) {
      ix.get(['permissions', 'p', 'network', 'mitm', 'hooks', `h${k % 700}`, 'methods', 1]);
      ix.nodeAt({ line: k % 10_000, character: 3 });
    }
    const perLookup = ((performance.now() - t0) / lookups) * 1000;
    const med = (a: number[]) => a.sort((x, y) => x - y)[a.length >> 1]!.toFixed(2);
    const msg = `10,000 lines (${text.length} chars, ${ix.nodes.length} nodes): index median ${med(times)} ms, best ${Math.min(...times).toFixed(2)} ms; `
      + `materializing all nodes +${med(withNodes)} ms; get+nodeAt ${perLookup.toFixed(2)} µs`;
    t.diagnostic(msg);
    console.log(`    ${msg}`);
  });
});
