import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compileHook,
  compileHookMatcher,
  compilePathMatcher,
  compileQueryConstraint,
  compileValueMatcher,
  type CompiledHookMatcher,
  findMatchingHook,
  isSafeForAuthorization,
  hookMatches,
  type HookRequest,
  isValidHeaderName,
  isVisibleAscii,
  lazyQuery,
  normalizeHookHost,
  normalizeMethods,
  parseQuery,
  pathMatches,
  rustDebugString,
  validateHeaderName,
  valueMatches,
} from '../../core/match/hooks';

function value(spec: string): (s: string) => boolean {
  const m = compileValueMatcher(spec);
  assert.ok(m.ok, spec);
  return (s) => valueMatches(m.value, s);
}
function paths(...specs: string[]): (p: string) => boolean {
  const ms = specs.map((s) => {
    const m = compilePathMatcher(s);
    assert.ok(m.ok, s);
    return m.value;
  });
  return (p) => pathMatches(ms, p);
}

test('value matchers: literal by default, `literal:` and `pattern:` prefixes', () => {
  const cases: Array<[string, string[], string[]]> = [
    ['open', ['open'], ['Open', 'opened', '']],
    ['op*', ['op*'], ['open']], // no prefix: `*` is literal
    ['2022-11-28[preview]', ['2022-11-28[preview]'], ['2022-11-28-preview']],
    ['pattern:op*', ['op', 'open', 'op/en'], ['Open', 'xop']],
    ['pattern:2022*preview', ['2022-11-28-preview'], ['2022-11-28']],
    ['pattern:a?c', ['abc', 'a/c'], ['ac']],
    ['pattern:{open,closed}', ['open', 'closed'], ['all']],
    ['literal:pattern:*', ['pattern:*'], ['anything', 'pattern:x']],
    ['literal:', [''], ['x']],
    ['pattern:literal:x', ['literal:x'], ['x']],
    ['pattern:\\*', ['*'], ['a']],
  ];
  for (const [spec, yes, no] of cases) {
    const m = value(spec);
    for (const s of yes) assert.equal(m(s), true, `${spec} ~ ${s}`);
    for (const s of no) assert.equal(m(s), false, `${spec} !~ ${s}`);
  }
  assert.deepEqual(compileValueMatcher('pattern:'), { ok: false, error: 'glob pattern must not be empty' });
  const bad = compileValueMatcher('pattern:[x');
  assert.ok(!bad.ok);
  assert.equal(bad.error, `invalid glob pattern "[x": error parsing glob '[x': unclosed character class; missing ']'`);
});

test('path matchers: prefix, whole-path glob, errors', () => {
  const prefix = paths('/repos/openai/');
  assert.equal(prefix('/repos/openai/codex/issues'), true);
  assert.equal(prefix('/repos/openai/'), true);
  assert.equal(prefix('/repos/openai'), false);
  assert.equal(prefix('/REPOS/openai/x'), false);
  assert.equal(paths('literal:/repos/[draft]/')('/repos/[draft]/codex/issues'), true);
  assert.equal(paths('/repos/[draft]/')('/repos/draft/codex/issues'), false);
  const glob = paths('pattern:/repos/*/codex/issues*');
  assert.equal(glob('/repos/openai/codex/issues'), true);
  assert.equal(glob('/repos/openai/private/codex/issues'), false);
  const repo = paths('pattern:/openai/openai/**');
  assert.equal(repo('/openai/openai/issues'), true);
  assert.equal(repo('/openai/codex'), false);
  assert.equal(repo('/openai/openai/%2e%2e/codex'), false);
  assert.equal(paths('/a', 'pattern:/b/*')('/b/x'), true); // ANY matcher
  assert.deepEqual(compilePathMatcher(''), { ok: false, error: 'path_prefixes must not contain empty entries' });
  assert.deepEqual(compilePathMatcher('literal:'), { ok: false, error: 'path_prefixes must not contain empty entries' });
  assert.deepEqual(compilePathMatcher('pattern:'), { ok: false, error: 'glob pattern must not be empty' });
  const bad = compilePathMatcher('pattern:/repos/[');
  assert.ok(!bad.ok && bad.error.includes('invalid glob pattern'));
});

// Every example of upstream np/authorization_path_tests.rs, then our own edge cases.
const UPSTREAM_SAFE = [
  '/openai/openai', '/openai/openai/issues/123', '/openai/openai/a..b', '/openai/openai/%20space', '/openai/openai/%E2%9C%93',
  '/openai/openai/contents/%2Egitignore', '/openai/openai/contents/.%2Egithub', '/openai/openai/%2e%2efoo', '/openai/openai/%2e%2e%2e',
];
const UPSTREAM_UNSAFE = [
  '/openai/openai/../codex', '/openai/openai/./issues', '/openai/openai\\..\\codex', '/openai/openai/%2e%2e/codex',
  '/openai/openai/%2E%2E/codex', '/openai/openai/%2f..%2fcodex', '/openai/openai/%5c..%5ccodex', '/openai/openai/%252e%252e/codex',
  '/openai/openai/%', '/openai/openai/%2', '/openai/openai/%zz',
];

test('isSafeForAuthorization: upstream accepted and rejected paths', () => {
  for (const p of UPSTREAM_SAFE) assert.equal(isSafeForAuthorization(p), true, p);
  for (const p of UPSTREAM_UNSAFE) assert.equal(isSafeForAuthorization(p), false, p);
});

test('ambiguous paths (dot segments, encoded separators, broken escapes) never match any path matcher', () => {
  const unsafe = [
    ...UPSTREAM_UNSAFE, '/a/../b', '/a/./b', '/..', '/.', '..', '.', '/a/..', '/a/.', '/a/%2E%2e/b', '/a/%2e/b', '/a/.%2e/b', '/a%2f..%2fb',
    '/a%2F%2e%2e', '/a%2Fb', '/a%5Cb', '/a%25b', '/a\\b', '/a%5C.', './a', '/a/%2', '/a/%g0', '/a%', '/a/%252e%252e/b',
  ];
  const safe = [...UPSTREAM_SAFE, '/a/b', '/a/.b', '/a/b.', '/a/...', '/a/..b', '/a/%2e%2e%2e', '/.well-known/x', '/a%2eb', '', '/', '/a//b', '/%41'];
  const any = paths('/', 'pattern:**');
  const prefix = paths('/openai/openai');
  for (const p of unsafe) {
    assert.equal(isSafeForAuthorization(p), false, p);
    assert.equal(any(p.startsWith('/') ? p : `/${p}`), false, p);
    assert.equal(prefix(p), false, p);
  }
  for (const p of safe) assert.equal(isSafeForAuthorization(p), true, p);
  assert.equal(any('/a/...'), true);
  for (const p of UPSTREAM_SAFE) assert.equal(prefix(p), true, p);
});

test('parseQuery: form-urlencoded like Rust form_urlencoded', () => {
  const q = (s: string): Record<string, string[]> => Object.fromEntries(parseQuery(s));
  assert.deepEqual(q('state=open&per_page=10'), { state: ['open'], per_page: ['10'] });
  assert.deepEqual(q('a=1&a=2&b'), { a: ['1', '2'], b: [''] });
  assert.deepEqual(q('a+b=c+d%20e'), { 'a b': ['c d e'] });
  assert.deepEqual(q('k=%ZZ%4'), { k: ['%ZZ%4'] });
  assert.deepEqual(q('k=%41%e2%98%83'), { k: ['A☃'] });
  assert.deepEqual(q('k=%ff'), { k: ['\ufffd'] });
  assert.deepEqual(q('k=%EF%BB%BFx'), { k: ['\ufeffx'] });
  assert.deepEqual(q('&&a=1&&'), { a: ['1'] });
  assert.deepEqual(q('a=b=c'), { a: ['b=c'] });
  assert.deepEqual(q('=v'), { '': ['v'] });
  assert.deepEqual(q('k%3D=v%26w'), { 'k=': ['v&w'] });
  assert.deepEqual(q('a;b=1'), { 'a;b': ['1'] });
  assert.deepEqual(q(''), {});
  assert.deepEqual(q('%2B=%2b'), { '+': ['+'] });
});

test('header helpers: visible ASCII, names, methods, hosts', () => {
  assert.equal(isVisibleAscii('2022-11-28'), true);
  assert.equal(isVisibleAscii('a\tb c~'), true);
  assert.equal(isVisibleAscii('caf\u00e9'), false);
  assert.equal(isVisibleAscii('a\u007f'), false);
  assert.equal(isVisibleAscii('a\nb'), false);
  for (const n of ['x-github-api-version', 'Authorization', 'X_Y', "a!#$%&'*+-.^_`|~9"]) assert.equal(isValidHeaderName(n), true, n);
  for (const n of ['', 'x y', 'x:y', 'x/y', '(x)', 'é', 'a@b', 'x\t', '{x}', 'a"b', 'a,b', 'a;b', 'a=b', 'a[b]', 'a\\b', 'a?']) assert.equal(isValidHeaderName(n), false, n);
  assert.deepEqual(validateHeaderName('X-Api-Key'), { ok: true, value: 'x-api-key' });
  assert.deepEqual(validateHeaderName('x y'), { ok: false, error: 'invalid header name "x y": invalid HTTP header name' });
  assert.deepEqual(normalizeMethods([' post', 'Put ']), { ok: true, value: ['POST', 'PUT'] });
  assert.deepEqual(normalizeMethods(['GET', '  ']), { ok: false, error: 'methods must not contain empty entries' });
  assert.deepEqual(normalizeMethods([]), { ok: false, error: 'match.methods must not be empty' });
  assert.deepEqual(normalizeHookHost('API.GitHub.com.:443'), { ok: true, value: 'api.github.com' });
  assert.deepEqual(normalizeHookHost(' '), { ok: false, error: 'host must not be empty' });
  assert.deepEqual(normalizeHookHost('*.github.com'), { ok: false, error: 'MITM hook hosts must be exact hosts and cannot contain wildcards' });
  assert.equal(rustDebugString('a"b\\c\n\u0001'), '"a\\"b\\\\c\\n\\u{1}"');
});

test('hook validation messages follow upstream order and wording', () => {
  const base = { methods: ['POST'], path_prefixes: ['/repos/openai/'] };
  const err = (c: Parameters<typeof compileHookMatcher>[0], i = 0): string => {
    const r = compileHookMatcher(c, i);
    assert.ok(!r.ok);
    return r.error;
  };
  assert.equal(err({ ...base, methods: [] }, 2), 'network.mitm_hooks[2].match.methods must not be empty');
  assert.equal(err({ ...base, methods: ['GET', ' '] }), 'invalid network.mitm_hooks[0].match.methods: methods must not contain empty entries');
  assert.equal(err({ ...base, path_prefixes: [] }), 'network.mitm_hooks[0].match.path_prefixes must not be empty');
  assert.equal(err({ ...base, path_prefixes: ['/ok', ''] }), 'invalid network.mitm_hooks[0].match.path_prefixes: path_prefixes must not contain empty entries');
  assert.match(err({ ...base, path_prefixes: ['pattern:/repos/['] }), /^invalid network\.mitm_hooks\[0\]\.match\.path_prefixes: invalid glob pattern "\/repos\/\[": error parsing glob/);
  assert.equal(err({ ...base, body: { repository: 'openai/codex' } }), 'network.mitm_hooks[0].match.body is reserved for a future release and is not yet supported');
  assert.equal(err({ ...base, query: { '': ['x'] } }), 'invalid network.mitm_hooks[0].match.query: query keys must not be empty');
  assert.equal(err({ ...base, query: { k: [] } }), 'invalid network.mitm_hooks[0].match.query: query key "k" must list at least one allowed value');
  assert.equal(err({ ...base, query: { k: ['pattern:'] } }), 'invalid network.mitm_hooks[0].match.query: invalid matcher for query key "k": glob pattern must not be empty');
  assert.equal(err({ ...base, headers: { 'bad name': [] } }), 'invalid network.mitm_hooks[0].match.headers: invalid header name "bad name": invalid HTTP header name');
  assert.equal(err({ ...base, headers: { X: ['pattern:'] } }), 'invalid network.mitm_hooks[0].match.headers: invalid matcher for header "X": glob pattern must not be empty');
  assert.equal(err({ ...base, query: { b: [], a: [] } }), 'invalid network.mitm_hooks[0].match.query: query key "a" must list at least one allowed value');
  assert.equal(err({ methods: [], path_prefixes: [], body: {} }), 'network.mitm_hooks[0].match.methods must not be empty');
  assert.deepEqual(compileQueryConstraint('k', []), { ok: false, error: 'query key "k" must list at least one allowed value' });
  const r = compileHook({ methods: ['get'], pathPrefixes: [], query: [['a', ['1']]] });
  assert.deepEqual(r, { ok: false, error: 'match.path_prefixes must not be empty' });
  const good = compileHook({ methods: ['get'], pathPrefixes: ['/'], headers: [['X-Key', []]] });
  assert.ok(good.ok && good.hook.methods.has('GET') && good.hook.headers[0]![0] === 'x-key');
});

function hook(c: Parameters<typeof compileHookMatcher>[0]): CompiledHookMatcher {
  const r = compileHookMatcher(c);
  assert.ok(r.ok, !r.ok ? r.error : '');
  return r.value;
}
function request(method: string, target: string, headers: Record<string, string[]> = {}): HookRequest {
  const q = target.indexOf('?');
  return {
    method,
    path: q < 0 ? target : target.slice(0, q),
    query: lazyQuery(q < 0 ? '' : target.slice(q + 1)),
    headers: (n) => headers[n],
  };
}

test('hookMatches: upstream evaluation cases', () => {
  const gh = { methods: ['POST', 'PUT'], path_prefixes: ['/repos/openai/'] };
  const qh = hook({ ...gh, query: { state: ['open', 'triage'] }, headers: { 'x-github-api-version': ['2022-11-28'] } });
  assert.equal(hookMatches(qh, request('POST', '/repos/openai/codex/issues?state=open&per_page=10', { 'x-github-api-version': ['2022-11-28'] })), true);
  assert.equal(hookMatches(qh, request('post', '/repos/openai/codex/issues?state=triage', { 'x-github-api-version': ['2022-11-28'] })), true);
  assert.equal(hookMatches(qh, request('GET', '/repos/openai/codex/issues?state=open', { 'x-github-api-version': ['2022-11-28'] })), false);
  assert.equal(hookMatches(qh, request('POST', '/repos/openai/codex/issues?state=closed', { 'x-github-api-version': ['2022-11-28'] })), false);
  assert.equal(hookMatches(qh, request('POST', '/repos/openai/codex/issues', { 'x-github-api-version': ['2022-11-28'] })), false);
  assert.equal(hookMatches(qh, request('POST', '/repos/openai/codex/issues?state=open')), false);
  assert.equal(hookMatches(qh, request('POST', '/repos/openai/codex/issues?state=x&state=open', { 'x-github-api-version': ['1', '2022-11-28'] })), true);
  const wild = hook({ methods: ['POST'], path_prefixes: ['pattern:/repos/*/codex/issues*'], query: { state: ['pattern:op*'] }, headers: { 'x-github-api-version': ['pattern:2022*preview'] } });
  assert.equal(hookMatches(wild, request('POST', '/repos/openai/codex/issues?state=open', { 'x-github-api-version': ['2022-11-28-preview'] })), true);
  assert.equal(hookMatches(wild, request('POST', '/repos/openai/private/codex/issues?state=open', { 'x-github-api-version': ['2022-11-28-preview'] })), false);
  const lit = hook({ methods: ['POST'], path_prefixes: ['/repos/[draft]/'], query: { state: ['op*'] }, headers: { 'x-github-api-version': ['2022-11-28[preview]'] } });
  assert.equal(hookMatches(lit, request('POST', '/repos/[draft]/codex/issues?state=op*', { 'x-github-api-version': ['2022-11-28[preview]'] })), true);
  assert.equal(hookMatches(lit, request('POST', '/repos/draft/codex/issues?state=open', { 'x-github-api-version': ['2022-11-28-preview'] })), false);
  const presence = hook({ methods: ['GET'], path_prefixes: ['/'], headers: { 'X-Trace': [] } });
  assert.equal(hookMatches(presence, request('GET', '/x', { 'x-trace': [''] })), true);
  assert.equal(hookMatches(presence, request('GET', '/x', { 'x-trace': [] })), false);
  assert.equal(hookMatches(presence, request('GET', '/x')), false);
  const visible = hook({ methods: ['GET'], path_prefixes: ['/'], headers: { 'x-v': ['pattern:*'] } });
  assert.equal(hookMatches(visible, request('GET', '/', { 'x-v': ['caf\u00e9'] })), false);
  assert.equal(hookMatches(visible, request('GET', '/', { 'x-v': ['caf\u00e9', 'ok'] })), true);
  const enc = hook({ methods: ['GET'], path_prefixes: ['pattern:/openai/openai/**'] });
  assert.equal(hookMatches(enc, request('GET', '/openai/openai/issues')), true);
  assert.equal(hookMatches(enc, request('GET', '/openai/codex')), false);
  assert.equal(hookMatches(enc, request('GET', '/openai/openai/%2e%2e/codex')), false);
  const header = { method: 'GET', path: '/x', query: new Map(), header: () => ['1'] };
  assert.equal(hookMatches(presence, header), true); // `header` alias
});

test('findMatchingHook: first match wins; query parsed lazily and once', () => {
  const hooks = [
    hook({ methods: ['GET'], path_prefixes: ['/a'] }),
    hook({ methods: ['GET'], path_prefixes: ['/'], query: { q: ['1'] } }),
    hook({ methods: ['GET'], path_prefixes: ['/'], query: { q: ['2'] } }),
    hook({ methods: ['GET'], path_prefixes: ['/'] }),
  ];
  let parses = 0;
  const req = (target: string): HookRequest => {
    const [path, query = ''] = target.split('?') as [string, string?];
    return { method: 'GET', path, query: () => (parses++, parseQuery(query)), headers: () => undefined };
  };
  assert.equal(findMatchingHook(hooks, req('/a/b?q=2')), 0);
  assert.equal(parses, 0);
  assert.equal(findMatchingHook(hooks, req('/b?q=2')), 2);
  assert.equal(parses, 1);
  assert.equal(findMatchingHook(hooks, req('/b')), 3);
  assert.equal(findMatchingHook([], req('/b')), -1);
  assert.equal(findMatchingHook(hooks.slice(0, 3), req('/b?q=3')), -1);
});
