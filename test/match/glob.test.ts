import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileGlob, globRegExpSource, type GlobOptions, parseGlob } from '../../core/match/glob';

const PLAIN: GlobOptions = { pathMode: false, caseInsensitive: false };
const PATH: GlobOptions = { pathMode: true, caseInsensitive: false };
const CASEI: GlobOptions = { pathMode: false, caseInsensitive: true };

function matcher(glob: string, opts: GlobOptions = PLAIN): (s: string) => boolean {
  const g = compileGlob(glob, opts);
  if ('error' in g) throw new Error(g.error);
  return (s) => g.test(s);
}

// Vectors from globset's own test-suite (crates/globset/src/glob.rs), default options unless noted.
const MATCHES: Array<[string, string, GlobOptions?]> = [
  ['a', 'a'], ['a*b', 'a_b'], ['a*b*c', 'abc'], ['a*b*c', 'a_b_c'], ['a*b*c', 'a___b___c'],
  ['abc*abc*abc', 'abcabcabcabcabcabcabc'], ['a*a*a*a*a*a*a*a*a', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'],
  ['a*b[xyz]c*d', 'abxcdbxcddd'], ['*.rs', '.rs'], ['☃', '☃'],
  ['some/**/needle.txt', 'some/needle.txt'], ['some/**/needle.txt', 'some/one/needle.txt'],
  ['some/**/needle.txt', 'some/one/two/needle.txt'], ['some/**/needle.txt', 'some/other/needle.txt'],
  ['**', 'abcde'], ['**', ''], ['**', '.asdf'], ['**', '/x/.asdf'],
  ['some/**/**/needle.txt', 'some/needle.txt'], ['some/**/**/needle.txt', 'some/one/needle.txt'],
  ['some/**/**/needle.txt', 'some/one/two/needle.txt'], ['some/**/**/needle.txt', 'some/other/needle.txt'],
  ['**/test', 'one/two/test'], ['**/test', 'one/test'], ['**/test', 'test'], ['/**/test', '/one/two/test'],
  ['/**/test', '/one/test'], ['/**/test', '/test'], ['**/.*', '.abc'], ['**/.*', 'abc/.abc'], ['**/foo/bar', 'foo/bar'],
  ['.*/**', '.abc/abc'], ['test/**', 'test/'], ['test/**', 'test/one'], ['test/**', 'test/one/two'],
  ['some/*/needle.txt', 'some/one/needle.txt'],
  ['a[0-9]b', 'a0b'], ['a[0-9]b', 'a9b'], ['a[!0-9]b', 'a_b'], ['[a-z123]', '1'], ['[1a-z23]', '1'], ['[123a-z]', '1'],
  ['[abc-]', '-'], ['[-abc]', '-'], ['[-a-c]', 'b'], ['[a-c-]', 'b'], ['[-]', '-'], ['a[^0-9]b', 'a_b'],
  ['*hello.txt', 'hello.txt'], ['*hello.txt', 'gareth_says_hello.txt'], ['*hello.txt', 'some/path/to/hello.txt'],
  ['*hello.txt', 'some\\path\\to\\hello.txt'], ['*hello.txt', '/an/absolute/path/to/hello.txt'],
  ['*some/path/to/hello.txt', 'some/path/to/hello.txt'], ['*some/path/to/hello.txt', 'a/bigger/some/path/to/hello.txt'],
  ['_[[]_[]]_[?]_[*]_!_', '_[_]_?_*_!_'],
  ['aBcDeFg', 'aBcDeFg', CASEI], ['aBcDeFg', 'abcdefg', CASEI], ['aBcDeFg', 'ABCDEFG', CASEI], ['aBcDeFg', 'AbCdEfG', CASEI],
  ['a,b', 'a,b'], [',', ','], ['{a,b}', 'a'], ['{a,b}', 'b'], ['{**/src/**,foo}', 'abc/src/bar'], ['{**/src/**,foo}', 'foo'],
  ['{[}],foo}', '}'], ['{foo}', 'foo'], ['{}', ''], ['{,}', ''], ['{*.foo,*.bar,*.wat}', 'test.foo'],
  ['{*.foo,*.bar,*.wat}', 'test.bar'], ['{*.foo,*.bar,*.wat}', 'test.wat'], ['foo{,.txt}', 'foo.txt'],
  ['{a,b{c,d}}', 'bc'], ['{a,b{c,d}}', 'bd'], ['{a,b{c,d}}', 'a'],
  ['abc/def', 'abc/def', PATH], ['abc[/]def', 'abc/def', PATH],
  ['\\[', '['], ['\\?', '?'], ['\\*', '*'], ['\\a', 'a'],
];
const NMATCHES: Array<[string, string, GlobOptions?]> = [
  ['foo{,.txt}', 'foo'], ['abc?def', 'abc/def', PATH], ['abc*def', 'abc/def', PATH], ['abc\\def', 'abc/def', PATH],
  ['a*b*c', 'abcd'], ['abc*abc*abc', 'abcabcabcabcabcabcabca'], ['some/**/needle.txt', 'some/other/notthis.txt'],
  ['some/**/**/needle.txt', 'some/other/notthis.txt'], ['/**/test', 'test'], ['/**/test', '/one/notthis'],
  ['/**/test', '/notthis'], ['**/.*', 'ab.c'], ['**/.*', 'abc/ab.c'], ['.*/**', 'a.bc'], ['.*/**', 'abc/a.bc'],
  ['a[0-9]b', 'a_b'], ['a[!0-9]b', 'a0b'], ['a[!0-9]b', 'a9b'], ['[!-]', '-'], ['*hello.txt', 'hello.txt-and-then-some'],
  ['*hello.txt', 'goodbye.txt'], ['*some/path/to/hello.txt', 'some/path/to/hello.txt-and-then-some'],
  ['*some/path/to/hello.txt', 'some/other/path/to/hello.txt'], ['a', 'foo/a'], ['./foo', 'foo'], ['**/foo', 'foofoo'],
  ['**/foo/bar', 'foofoo/bar'], ['/*.c', 'mozilla-sha1/sha1.c'], ['*.c', 'mozilla-sha1/sha1.c', PATH],
  ['**/m4/ltoptions.m4', 'csharp/src/packages/repositories.config', PATH], ['a[^0-9]b', 'a0b'], ['a[^0-9]b', 'a9b'],
  ['[^-]', '-'], ['some/*/needle.txt', 'some/needle.txt'], ['some/*/needle.txt', 'some/one/two/needle.txt', PATH],
  ['some/*/needle.txt', 'some/one/two/three/needle.txt', PATH], ['.*/**', '.abc'], ['foo/**', 'foo'],
];

test('globset match vectors', () => {
  for (const [glob, input, opts] of MATCHES) assert.equal(matcher(glob, opts)(input), true, `${glob} ~ ${input}`);
  for (const [glob, input, opts] of NMATCHES) assert.equal(matcher(glob, opts)(input), false, `${glob} !~ ${input}`);
});

test('globset syntax: ** placement and tokens', () => {
  const kinds = (g: string): string => {
    const p = parseGlob(g);
    assert.ok(p.ok, g);
    return p.tokens.map((t) => (t.t === 'lit' ? String.fromCodePoint(t.cp) : `<${t.t}>`)).join('');
  };
  assert.equal(kinds('**'), '<rprefix>');
  assert.equal(kinds('**/'), '<rprefix>');
  assert.equal(kinds('/**'), '<rsuffix>');
  assert.equal(kinds('/**/'), '<rzom>');
  assert.equal(kinds('a/**/b'), 'a<rzom>b');
  assert.equal(kinds('**/**'), '<rprefix>');
  assert.equal(kinds('a/**/**'), 'a<rsuffix>');
  assert.equal(kinds('a**'), 'a<star><star>');
  assert.equal(kinds('**a'), '<star><star>a');
  assert.equal(kinds('***'), '<star><star><star>');
  assert.equal(kinds('/a**b'), '/a<star><star>b');
  assert.equal(kinds('\\/**'), '<rsuffix>'); // an escaped slash still counts as the separator
  assert.equal(kinds('a,b'), 'a,b');
});

test('globset errors use its wording', () => {
  const err = (g: string): string => {
    const p = parseGlob(g);
    assert.ok(!p.ok, g);
    return p.error;
  };
  assert.equal(err('['), "error parsing glob '[': unclosed character class; missing ']'");
  assert.equal(err('[]'), "error parsing glob '[]': unclosed character class; missing ']'");
  assert.equal(err('[!'), "error parsing glob '[!': unclosed character class; missing ']'");
  assert.equal(err('[!]'), "error parsing glob '[!]': unclosed character class; missing ']'");
  assert.equal(err('[z-a]'), "error parsing glob '[z-a]': invalid range; 'z' > 'a'");
  assert.equal(err('[z--]'), "error parsing glob '[z--]': invalid range; 'z' > '-'");
  assert.match(err('{a,b'), /unclosed alternate group; missing '}'/);
  assert.match(err('{a,{b,c}'), /unclosed alternate group/);
  assert.match(err('a,b}'), /unopened alternate group; missing '\{'/);
  assert.match(err('{a,b}}'), /unopened alternate group/);
  assert.equal(err('a\\'), "error parsing glob 'a\\': dangling '\\'");
  assert.deepEqual(compileGlob('', PATH), { error: 'glob pattern must not be empty' });
  assert.match((compileGlob('/repos/[', PATH) as { error: string }).error, /unclosed character class/);
  assert.match((compileGlob('[é-z]', PLAIN) as { error: string }).error, /invalid range; 'é' > 'z'/);
});

test('path mode: `*`/`?` stay in a segment, `**` components cross them', () => {
  const m = matcher('/repos/*/codex/issues*', PATH);
  assert.equal(m('/repos/openai/codex/issues'), true);
  assert.equal(m('/repos/openai/codex/issues/1'), false);
  assert.equal(m('/repos/openai/codex/issues-1'), true);
  assert.equal(m('/repos/openai/private/codex/issues'), false);
  const rec = matcher('/openai/openai/**', PATH);
  assert.equal(rec('/openai/openai/issues'), true);
  assert.equal(rec('/openai/openai/'), true);
  assert.equal(rec('/openai/openai'), false);
  assert.equal(rec('/openai/codex'), false);
  const mid = matcher('/a/**/b', PATH);
  for (const p of ['/a/b', '/a/x/b', '/a/x/y/b']) assert.equal(mid(p), true, p);
  assert.equal(mid('/ab'), false);
  const lead = matcher('**/b', PATH);
  for (const p of ['b', '/b', 'x/b', '/x/y/b']) assert.equal(lead(p), true, p);
  assert.equal(lead('xb'), false);
  assert.equal(matcher('/a**', PATH)('/a/b'), false); // not a whole component: two `*`
  assert.equal(matcher('/a/[!x]', PATH)('/a//'), true); // classes may match `/`, as upstream
  assert.equal(matcher('/a?', PATH)('/a/'), false);
  assert.equal(matcher('*', PLAIN)('a/b/c'), true);
  assert.equal(matcher('op*', PLAIN)('open'), true);
});

test('byte semantics: `?` is one UTF-8 byte, literals compare bytes, case folding is ASCII only', () => {
  assert.equal(matcher('caf?')('café'), false);
  assert.equal(matcher('caf??')('café'), true);
  assert.equal(matcher('caf[é]?')('café'), true); // a class holds the two bytes separately
  assert.equal(matcher('[é-ſ]')('é'), false); // `[\xc3\xa9-\xc5\xbf]`: one byte per class
  assert.equal(matcher('[é-ſ][é-ſ]')('é'), true);
  assert.equal(matcher('é', CASEI)('É'), false);
  assert.equal(matcher('[+-_]bc', CASEI)('abc'), true); // fold adds a-z to the A-Z inside the range
  assert.equal(matcher('[!a]', CASEI)('A'), false); // fold before negation
  assert.equal(matcher('k', CASEI)('\u212a'), false); // no Unicode Kelvin folding
  assert.equal(matcher('*\n*')('a\nb'), true);
});

test('pathological globs run in linear time', () => {
  const m = matcher('*a*a*a*a*a*a*a*a*a*b');
  const input = 'a'.repeat(20000);
  const t0 = performance.now();
  assert.equal(m(input), false);
  assert.ok(performance.now() - t0 < 500);
});

// Random globs compared with globset's regex translation run by V8 over byte strings.
function rng(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

test('automaton agrees with the regex translation on random globs and inputs', () => {
  const rand = rng(42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const atoms = ['a', 'b', 'A', '/', '.', '*', '?', '**', '/**', '/**/', '**/', '[ab]', '[!a]', '[a-c]', '{a,b}', '{a/,*}', '\\*', 'é', ',', '-'];
  const alphabet = ['a', 'b', 'c', 'A', '/', '.', '*', 'é', '-', ','];
  let compared = 0;
  for (let i = 0; i < 1500; i++) {
    const glob = Array.from({ length: 1 + Math.floor(rand() * 6) }, () => pick(atoms)).join('');
    const opts = pick([PLAIN, PATH, CASEI, { pathMode: true, caseInsensitive: true }]);
    const parsed = parseGlob(glob);
    if (!parsed.ok) continue;
    const re = new RegExp(globRegExpSource(parsed.tokens, opts));
    const m = matcher(glob, opts);
    for (let j = 0; j < 20; j++) {
      const input = Array.from({ length: Math.floor(rand() * 8) }, () => pick(alphabet)).join('');
      const expected = re.test(Buffer.from(input, 'utf8').toString('latin1'));
      assert.equal(m(input), expected, `${glob} ${JSON.stringify(opts)} on ${JSON.stringify(input)}`);
      compared++;
    }
  }
  assert.ok(compared > 10000);
});

test('automaton stays correct when its state cache overflows and resets', () => {
  const glob = `*a${'[ab]'.repeat(11)}c`; // tracking the last 12 bytes needs > 1,024 DFA states
  const parsed = parseGlob(glob);
  assert.ok(parsed.ok);
  const re = new RegExp(globRegExpSource(parsed.tokens, PLAIN));
  const m = matcher(glob);
  const rand = rng(99);
  for (let i = 0; i < 3000; i++) {
    const input = Array.from({ length: 10 + Math.floor(rand() * 30) }, () => 'abc'[Math.floor(rand() * 2.2)]).join('');
    assert.equal(m(input), re.test(input), input);
  }
});
