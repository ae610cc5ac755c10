import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compileDomainSet,
  DomainSet,
  isGlobalWildcard,
  normalizeDomainPattern,
  parseDomainPattern,
} from '../../core/match/domains';
import { globRegExpSource, parseGlob } from '../../core/match/glob';
import { normalizeHost, rustTrim } from '../../core/match/host';

const set = (...patterns: string[]): DomainSet<string> => new DomainSet(patterns.map((p) => ({ pattern: p, value: p })));

test('parseDomainPattern: kinds, normalisation, errors', () => {
  const ok: Array<[string, string, string, string]> = [
    ['example.com', 'exact', 'example.com', 'example.com'],
    ['  Example.COM.  ', 'exact', 'example.com', 'example.com'],
    ['example.com:443', 'exact', 'example.com', 'example.com'],
    ['*.Example.COM.', 'subdomains', '*.example.com', 'example.com'],
    ['**.Example.COM.', 'apexAndSubdomains', '**.example.com', 'example.com'],
    ['*', 'global', '*', '*'],
    [' * ', 'global', '*', '*'],
    ['[*]', 'global', '*', '*'],
    ['**.[*]', 'global', '**.*', '*'],
    ['**.*', 'global', '**.*', '*'],
    ['*.*', 'glob', '*.*', '*'],
    ['region*.v2.argotunnel.com', 'glob', 'region*.v2.argotunnel.com', 'region*.v2.argotunnel.com'],
    ['*.region?.example.com', 'glob', '*.region?.example.com', 'region?.example.com'],
    ['{a,b}.example.com', 'glob', '{a,b}.example.com', '{a,b}.example.com'],
    ['**', 'glob', '**', '**'],
    ['[::1]', 'exact', '::1', '::1'],
    ['[fe80::1%25lo0]', 'exact', 'fe80::1%lo0', 'fe80::1%lo0'],
    ['[*.example.com]', 'subdomains', '*.example.com', 'example.com'], // brackets removed first
  ];
  for (const [raw, kind, normalized, base] of ok) {
    assert.deepEqual(parseDomainPattern(raw), { ok: true, kind, normalized, base }, raw);
  }
  for (const raw of ['', '   ', '*.', '**.', ':443', '[]']) assert.equal(parseDomainPattern(raw).ok, false, raw);
  const bad = parseDomainPattern('foo[');
  assert.ok(!bad.ok && bad.error.startsWith('invalid glob pattern: foo['), JSON.stringify(bad));
  assert.equal(parseDomainPattern('*.a{b').ok, false);
  assert.equal(parseDomainPattern('a}b').ok, false);
  assert.equal(normalizeDomainPattern('**.EXAMPLE.com.:80'), '**.example.com');
});

test('isGlobalWildcard', () => {
  for (const p of ['*', ' * ', '[*]', '**.[*]', '**.*', '*:80', '*.']) {
    assert.equal(isGlobalWildcard(p), p !== '*.', p);
  }
  for (const p of ['*.*', '*.example.com', '**.example.com', '**', 'example.com', '*.[*]']) assert.equal(isGlobalWildcard(p), false, p);
});

test('globset semantics of the pattern forms (reference §1.2, upstream tests)', () => {
  const cases: Array<[string, string[], string[]]> = [
    ['*.example.com', ['a.example.com', 'a.b.example.com', 'A.EXAMPLE.COM'], ['example.com', 'evilexample.com', '.example.com', 'example.com.evil']],
    ['**.example.com', ['example.com', 'a.example.com', 'x.y.example.com'], ['evilexample.com', 'example.co']],
    ['example.com', ['example.com'], ['api.example.com', 'example.co', 'xexample.com']],
    ['Example.COM.', ['example.com'], ['api.example.com']],
    ['*.Example.COM.', ['api.example.com'], ['example.com']],
    ['region*.v2.argotunnel.com', ['region1.v2.argotunnel.com', 'region.v2.argotunnel.com', 'regionx.y.v2.argotunnel.com'], ['xregion1.v2.argotunnel.com', 'foo.region1.v2.argotunnel.com']],
    ['a?.example.com', ['ab.example.com'], ['a.example.com', 'abc.example.com']],
    ['x[ab].com', ['xa.com', 'xb.com', 'XA.com'], ['xc.com']],
    ['x[!a].com', ['xb.com'], ['xa.com', 'xA.com']],
    ['[ab]x.com', ['ab'], ['ax.com']], // a leading `[...]` is taken as a bracketed host, as upstream
    ['{api,www}.example.com', ['api.example.com', 'www.example.com'], ['ftp.example.com']],
    ['*', ['localhost', 'example.com', '127.0.0.1', '::1'], []],
    ['[*]', ['anything.at.all'], []],
    ['**.[*]', ['x'], []],
    ['*.*', ['a.b'], ['ab']],
    ['[::1]', ['::1'], ['::2']],
    ['[fe80::1%25lo0]', ['fe80::1%lo0'], ['fe80::1%lo1', 'fe80::1']],
    ['*.', [], ['a.', 'a.b', 'x']],
    ['foo\\.com', ['foo.com'], ['foo\\.com']],
  ];
  for (const [pattern, yes, no] of cases) {
    const s = set(pattern);
    for (const h of yes) assert.equal(s.match(h), pattern, `${pattern} ~ ${h}`);
    for (const h of no) assert.equal(s.match(h), undefined, `${pattern} !~ ${h}`);
  }
});

test('preference: exact, longest suffix, globs in order, global last', () => {
  const s = set('api*.example.com', '*.example.com', 'api.example.com', '**.com', '*', 'api?.example.com', '**.example.com');
  assert.equal(s.match('api.example.com'), 'api.example.com');
  assert.equal(s.match('api1.example.com'), '*.example.com'); // suffix beats glob
  assert.equal(s.match('x.y.com'), '**.com');
  assert.equal(s.match('example.com'), '**.example.com'); // apex form is an exact name
  assert.equal(s.match('foo.org'), '*');
  const g = set('x*.org', 'x?.org', '*');
  assert.equal(g.match('x1.org'), 'x*.org');
  assert.equal(set('x?.org', 'x*.org').match('x1.org'), 'x?.org');
  assert.equal(set('a.com', '**.a.com').match('a.com'), 'a.com'); // first listed of equal names
  assert.equal(set('**.a.com', 'a.com').match('a.com'), '**.a.com');
  const e = s.matchEntry('api.example.com');
  assert.deepEqual(e, { pattern: 'api.example.com', value: 'api.example.com', index: 2 });
  assert.equal(new DomainSet<number>([]).match('x'), undefined);
});

test('zone fallback and explicit (non-wildcard) entries for local literals', () => {
  const s = set('fe80::1', 'localhost', '*', '*.local', '**.lan', 'loc?lhost', '[::1]', '127.0.0.1:8080', 'LOCALHOST.', '10.*');
  assert.equal(s.match('fe80::1%lo0'), '*');
  assert.equal(set('fe80::1').match('fe80::1%lo0'), undefined);
  assert.equal(set('fe80::1').matchWithZoneFallback('fe80::1%lo0'), 'fe80::1');
  assert.equal(set('fe80::1').matchWithZoneFallback('host%lo0'), undefined);
  assert.equal(s.exactEntryNames('fe80::1%lo0'), 'fe80::1');
  assert.equal(s.exactEntryNames('localhost'), 'localhost');
  assert.equal(s.exactEntryNames('::1'), '[::1]');
  assert.equal(s.exactEntryNames('127.0.0.1'), '127.0.0.1:8080');
  assert.equal(s.exactEntryNames('10.0.0.1'), undefined);
  assert.equal(s.exactEntryNames('printer.local'), undefined);
  assert.equal(s.exactEntryNames('x.lan'), undefined);
  assert.equal(set('*', '*.localhost').exactEntryNames('localhost'), undefined);
  assert.equal(set('fe80::1%lo0').exactEntryNames('fe80::1'), undefined);
  assert.equal(set('[fe80::1%25lo0]').exactEntryNames('fe80::1%lo0'), '[fe80::1%25lo0]');
});

test('invalid globs fail the whole list', () => {
  assert.throws(() => set('ok.com', 'bad['), /invalid glob pattern: bad\[/);
  const r = compileDomainSet([{ pattern: '{a', value: 1 }]);
  assert.ok(!r.ok && /unclosed alternate group/.test(r.error));
  assert.ok(compileDomainSet([{ pattern: 'a.com', value: 1 }, { pattern: 'a.com', value: 2 }]).ok);
});

// Naive reference: upstream's expansion spelled out, every candidate as its own RegExp.
function naiveCandidates(raw: string): string[] {
  const t = rustTrim(raw);
  if (t === '*') return ['*'];
  const prefix = t.startsWith('**.') ? '**.' : t.startsWith('*.') ? '*.' : '';
  const norm = prefix + normalizeHost(t.slice(prefix.length));
  const d = rustTrim(norm.slice(prefix.length));
  if (!prefix) return [norm];
  if (!d) return [''];
  return prefix === '**.' ? [d, `?*.${d}`] : [`?*.${d}`];
}
function naiveMatchers(raw: string): RegExp[] {
  return naiveCandidates(raw).map((c) => {
    const p = parseGlob(c);
    if (!p.ok) throw new Error(p.error);
    return new RegExp(globRegExpSource(p.tokens, { pathMode: false, caseInsensitive: true }));
  });
}

test('property: DomainSet agrees with a naive per-pattern RegExp reference', () => {
  let seed = 7;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const labels = ['a', 'b', 'ab', 'api', 'x1', 'ex'];
  const tlds = ['com', 'org'];
  const name = (n: number): string => [...Array.from({ length: n }, () => pick(labels)), pick(tlds)].join('.');
  const patternForms = [
    () => name(1 + Math.floor(rand() * 2)),
    () => `*.${name(1)}`,
    () => `**.${name(1)}`,
    () => `${pick(labels)}*.${pick(tlds)}`,
    () => `${pick(labels)}?.${name(1)}`,
    () => `${pick(labels)}[ab]*.${pick(tlds)}`,
    () => `{api,x1}.${name(1)}`,
    () => `*.${pick(labels)}*.${pick(tlds)}`,
    () => `${name(1).toUpperCase()}.`,
    () => `${name(1)}:443`,
    () => pick(['*', '**', '*.', '*.*']),
  ];
  let checked = 0;
  for (let round = 0; round < 60; round++) {
    const patterns = Array.from({ length: 1 + Math.floor(rand() * 25) }, () => pick(patternForms)());
    const s = set(...patterns);
    const refs = patterns.map(naiveMatchers);
    for (let i = 0; i < 150; i++) {
      const host = name(Math.floor(rand() * 4));
      const bytes = Buffer.from(host, 'utf8').toString('latin1');
      const expectedAny = refs.some((rs) => rs.some((r) => r.test(bytes)));
      const got = s.matchEntry(host);
      assert.equal(got !== undefined, expectedAny, `${host} vs ${JSON.stringify(patterns)}`);
      if (got) assert.ok(refs[got.index]!.some((r) => r.test(bytes)), `entry ${got.pattern} must match ${host}`);
      checked++;
    }
  }
  assert.ok(checked >= 9000);
});

test('benchmark (printed): DomainSet.match with 1,000 mixed patterns', () => {
  const patterns: string[] = [];
  for (let i = 0; i < 600; i++) patterns.push(`host${i}.svc${i % 37}.example${i % 11}.com`);
  for (let i = 0; i < 150; i++) patterns.push(`*.team${i}.corp.net`);
  for (let i = 0; i < 150; i++) patterns.push(`**.zone${i}.cloud.io`);
  for (let i = 0; i < 100; i++) patterns.push(`region${i}*.v${i % 5}.argotunnel.com`);
  const s = set(...patterns);
  const hosts = [
    'host42.svc5.example9.com', 'a.b.team77.corp.net', 'zone3.cloud.io', 'deep.x.zone99.cloud.io',
    'region55abc.v0.argotunnel.com', 'nomatch.example.org', 'api.github.com', 'x.region1.v1.argotunnel.com',
  ];
  for (const h of hosts) s.match(h); // warm the lazy automaton
  const n = 200_000;
  const t0 = process.hrtime.bigint();
  let hits = 0;
  for (let i = 0; i < n; i++) if (s.match(hosts[i % hosts.length]!) !== undefined) hits++;
  const ns = Number(process.hrtime.bigint() - t0) / n;
  console.log(`# DomainSet.match, 1,000 patterns: ${ns.toFixed(0)} ns/match (${hits} hits of ${n})`);
  assert.ok(hits > 0);
});
