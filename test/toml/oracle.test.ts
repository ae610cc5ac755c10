// The one-pass values (core/toml/tree.ts) against smol-toml as the oracle: on every document where
// our pass gives values, smol-toml must accept it and give deep-equal values (prototypes, -0, NaN
// and all, keys in the same order); where it does not, loadDocument falls back to smol-toml, so
// the result (values or the syntax error and its place) is smol-toml's own. Corpora: the repository's TOML fixtures, 6,000
// mutations of them, 20,000 generated documents that stress table/key redefinition, and the TOML
// spec's tricky cases. Real-world fixtures must never fall back.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDocument, loadWithSmolToml } from '../../core/toml/load';
import { indexWithValues } from '../../core/toml/positions';
import { rng } from '../stress/profile';
import { largePolicy } from '../../bench/fixtures';

const ROOT = join(__dirname, '..', '..');
const FILE = '/ws/.codex/config.toml';

function tomlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.toml'))
    .map((e) => join(e.parentPath, e.name)).sort();
}
const FIXTURES = [...tomlFiles(join(ROOT, 'examples')), ...tomlFiles(join(ROOT, 'test', 'fixtures'))].map((f) => readFileSync(f, 'utf8'));

interface Tally { docs: number; ours: number; smolAccepts: number; fallbacks: number }

/** Checks one document; returns whether our pass gave the values (no fallback). */
function check(text: string, tally: Tally): boolean {
  const ours = indexWithValues(text).value;
  const oracle = loadWithSmolToml(text, FILE, 'config', indexWithValues('').index);
  tally.docs++;
  if (oracle.value) tally.smolAccepts++;
  if (!ours) {
    if (oracle.value) tally.fallbacks++;
    return false;
  }
  tally.ours++;
  assert.ok(oracle.value, `smol-toml rejects (${oracle.syntaxError?.message}) a document our pass accepted:\n${JSON.stringify(text)}`);
  assert.deepStrictEqual(ours, oracle.value, `values differ on:\n${JSON.stringify(text)}`);
  assert.equal(JSON.stringify(ours), JSON.stringify(oracle.value), `key order differs on:\n${JSON.stringify(text)}`);
  return true;
}

const JUNK = ['[', ']', '[[', ']]', '"', "'", '"""', "'''", '=', '.', ',', '{', '}', '\\', '\\n', '\\u00e9', '\\U0001F600', '\\x41', '\\e',
  '\\ud800', '\\\n  ', '\u0000', '\u007f', '\r', '\r\n', '\n', '#', ' ', '\t', '0x1F', '0o17', '0b101', '1_000', '-0', '+0', '-0.0', '+inf', '-nan',
  '1e5', '1E-05', '0.5', '01', '1__0', '9223372036854775808', '9007199254740993', '1979-05-27', '07:32:00', 'a.b', '"a.b"', ' . ', '\ufeff',
  '__proto__', 'true', 'false', 'x = 1\n', '[a]\n', '[[a]]\n', 'a.b = 1\n', '{ a = 1 }', '[1, 2]', '🙂', '\ud800'];

function mutate(r: () => number, text: string): string {
  const pick = Math.floor(r() * 5);
  const lines = text.split('\n');
  if (pick === 0) return text.slice(0, Math.floor(r() * text.length));
  if (pick === 1) { // swap or duplicate lines: redefinitions
    const i = Math.floor(r() * lines.length), j = Math.floor(r() * lines.length);
    if (r() < 0.5) [lines[i], lines[j]] = [lines[j]!, lines[i]!]; else lines.splice(j, 0, lines[i]!);
    return lines.join('\n');
  }
  let out = text;
  for (let k = 0; k < 1 + Math.floor(r() * 4); k++) {
    const at = Math.floor(r() * out.length);
    out = out.slice(0, at) + JUNK[Math.floor(r() * JUNK.length)]! + out.slice(at + Math.floor(r() * 3));
  }
  return out;
}

/** Small documents over three keys: headers, arrays of tables, dotted keys, inline tables, in any order. */
function generated(r: () => number): string {
  const key = (): string => ['a', 'b', 'c', '"a"', "'b'", '"x y"'][Math.floor(r() * 6)]!;
  const path = (): string => Array.from({ length: 1 + Math.floor(r() * 3) }, key).join(r() < 0.2 ? ' . ' : '.');
  const value = (d: number): string => {
    const p = r();
    if (d > 2 || p < 0.35) return ['1', '"s"', 'true', '2.5', "'l'", '-0', '0x10'][Math.floor(r() * 7)]!;
    if (p < 0.6) return `[${Array.from({ length: Math.floor(r() * 3) }, () => value(d + 1)).join(', ')}]`;
    return `{ ${Array.from({ length: Math.floor(r() * 3) }, () => `${path()} = ${value(d + 1)}`).join(', ')} }`;
  };
  const out: string[] = [];
  for (let n = 1 + Math.floor(r() * 6); n > 0; n--) {
    const p = r();
    out.push(p < 0.25 ? `[${path()}]` : p < 0.4 ? `[[${path()}]]` : `${path()} = ${value(0)}`);
  }
  return out.join(r() < 0.1 ? '\r\n' : '\n') + '\n';
}

const SPEC: Record<string, string> = {
  strings: String.raw`basic = "tab\there \"q\" \\ \b\f\n\r \u00E9 \U0001F600 \x41 \e"
literal = 'C:\Users\no\escapes'
"" = "empty key"
'quoted key' = 1
ml = """
Roses are red
Violets are blue"""
ml_bs = """\
   The quick brown \
   fox jumps over \
   the lazy dog.\
   """
ml_bs_ws = """a \  ` + '\t' + String.raw`
   b"""
ml_quotes = """Here are two quotation marks: "". Simple enough."""
ml_end = """ends with quotes"""""
ml_lit = '''
The first newline is
trimmed in raw strings.'''
ml_lit_end = ''''That,' she said, 'is still pointless.''''
empty_ml = """"""
`,
  crlf: 'a = """\r\nx\\\r\n   y\r\nz"""\r\nb = \'\'\'\r\nl\r\n\'\'\'\r\n[t]\r\nc = 1\r\n',
  bom: '\ufeffa = 1\nb = "x"\n',
  integers: 'i1 = +99\ni2 = 42\ni3 = 0\ni4 = -17\ni5 = 1_000\ni6 = 5_349_221\ni7 = -0\ni8 = +0\nh1 = 0xDEADBEEF\nh2 = 0xdead_beef\no1 = 0o01234567\no2 = 0o755\nb1 = 0b11010110\n'
    + 'max = 9007199254740991\nmin = -9007199254740991\nh0 = 0x0\n',
  floats: 'f1 = +1.0\nf2 = 3.1415\nf3 = -0.01\nf4 = 5e+22\nf5 = 1e06\nf6 = -2E-2\nf7 = 6.626e-34\nf8 = 224_617.445_991_228\nf9 = -0.0\nf10 = +0.0\nf11 = 0e0\nf12 = 1e1_0\n'
    + 'inf1 = inf\ninf2 = +inf\ninf3 = -inf\nnan1 = nan\nnan2 = +nan\nnan3 = -nan\n',
  booleans: 't = true\nf = false\n',
  dotted: 'name = "Orange"\nphysical.color = "orange"\nphysical.shape = "round"\nsite."google.com" = true\n3.14159 = "pi"\n a . b . c = 1\n[fruit]\napple.color = "red"\napple.taste.sweet = true\n[fruit.apple.texture]\nsmooth = true\n',
  tables: '[a.b.c]\nx = 1\n[a]\ny = 2\n[ d . "e" . \'f\' ]\n[g]\n[g.h]\n',
  inline: 'p = { x = 1, y = 2 }\nq = { a.b = 1, a.c = 2 }\nr = {}\ns = { t = { u = [1, { v = 2 }] } }\nm = {\n  a = 1, # comment\n  b = 2,\n}\n',
  arrays: 'e = []\nn = [1, 2, 3,]\nmixed = [1, "a", 2.5, [true], { k = 1 }]\nml = [\n  1, # one\n  2,\n]\nnested = [[], [[]], [[[1]]]]\n',
  arrayTables: '[[fruits]]\nname = "apple"\n[fruits.physical]\ncolor = "red"\n[[fruits.varieties]]\nname = "red delicious"\n[[fruits.varieties]]\nname = "granny smith"\n[[fruits]]\nname = "banana"\n[[fruits.varieties]]\nname = "plantain"\n[[x.y]]\n[x]\nz = 1\n',
  proto: '"__proto__" = 1\nconstructor = { "__proto__" = [] }\n[toString]\n',
  comments: '# c\na = 1 # c\n[t] # c\n# end',
  empty: '',
  // rejected by smol-toml: each must fall back (and so get smol-toml's error at smol-toml's place)
  badRedefine: 'a = 1\na = 2\n',
  badTable: '[a]\n[a]\n',
  badInlineExtend: 'a = { b = 1 }\na.c = 2\n',
  badInlineHeader: 'a = { b = 1 }\n[a.c]\n',
  badArrayOverTable: '[a.b]\n[[a]]\n',
  badDottedIntoHeader: '[a.b.c]\nz = 9\n[a]\nb.c.t = 9\n',
  badDottedIntoArray: '[[a.b]]\n[a]\nb.x = 1\n',
  badStaticArray: 'a = [1]\n[[a]]\n',
  badControl: 'a = "x\u0001y"\n',
  badControlComment: '# \u007f\na = 1\n',
  badLoneCr: 'a = 1\rb = 2\n',
  badOverflow: 'a = 9223372036854775808\n',
  badUnsafe: 'a = 9007199254740993\n',
  badHexOverflow: 'a = 0xFFFFFFFFFFFFFFFF\n',
  badLeadingZero: 'a = 01\n',
  badUnderscore: 'a = 1__0\n',
  badFloat: 'a = 1.\n',
  badEscape: 'a = "\\q"\n',
  badSurrogate: 'a = "\\uD800"\n',
  badBackslashWs: 'a = """x \\  y"""\n',
  badMultilineKey: '"""k""" = 1\n',
  badAfterValue: 'a = 1 b = 2\n',
  badDate: 'a = 1979-13-27\n',
};

describe('one-pass values against smol-toml', () => {
  it('the TOML spec cases: equal values where ours accepts; everything smol-toml rejects falls back', () => {
    const tally: Tally = { docs: 0, ours: 0, smolAccepts: 0, fallbacks: 0 };
    for (const [name, text] of Object.entries(SPEC)) {
      const accepted = check(text, tally);
      if (name.startsWith('bad')) assert.equal(accepted, false, name);
      else assert.equal(accepted, true, `${name} fell back`);
    }
  });

  it('dates fall back and come out as today: ISO strings from smol-toml', () => {
    const doc = loadDocument('odt = 1979-05-27T07:32:00Z\nld = 1979-05-27\n', FILE);
    assert.deepEqual(doc.value, { odt: '1979-05-27T07:32:00.000Z', ld: '1979-05-27' });
    assert.equal(indexWithValues('odt = 1979-05-27T07:32:00Z\n').value, undefined);
  });

  it('a rejected document gets smol-toml\'s syntax error at smol-toml\'s place', () => {
    for (const text of [SPEC.badRedefine!, SPEC.badDottedIntoHeader!, SPEC.badControl!, 'a = [1,\n']) {
      const doc = loadDocument(text, FILE);
      const oracle = loadWithSmolToml(text, FILE, 'config', doc.index);
      assert.equal(doc.value, undefined);
      assert.ok(doc.syntaxError?.message);
      assert.deepEqual(doc.syntaxError, oracle.syntaxError);
    }
  });

  it('the repository\'s TOML fixtures never fall back', () => {
    const tally: Tally = { docs: 0, ours: 0, smolAccepts: 0, fallbacks: 0 };
    for (const text of FIXTURES) check(text, tally);
    assert.ok(tally.docs >= 60, `${tally.docs} fixtures`);
    assert.equal(tally.fallbacks, 0);
    assert.equal(check(largePolicy(1000), tally), true, 'the benchmark\'s 10,000-line policy is read in one pass');
  });

  it('6,000 mutations of the fixtures and 20,000 generated documents agree with smol-toml', (t) => {
    const tally: Tally = { docs: 0, ours: 0, smolAccepts: 0, fallbacks: 0 };
    const r = rng(8);
    for (let k = 0; k < 6000; k++) {
      let text = FIXTURES[k % FIXTURES.length]!;
      for (let m = 1 + Math.floor(r() * 3); m > 0; m--) text = mutate(r, text);
      check(text, tally);
    }
    for (let k = 0; k < 20_000; k++) check(generated(r), tally);
    const msg = `${tally.docs} documents: smol-toml accepts ${tally.smolAccepts}, our pass gives values for ${tally.ours}, falls back on ${tally.fallbacks} of those smol-toml accepts`;
    t.diagnostic(msg);
    console.log(`    ${msg}`);
    assert.ok(tally.ours > 5000, 'the corpora exercise our pass');
  });
});
