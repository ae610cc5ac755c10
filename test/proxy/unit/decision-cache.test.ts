// The per-policy cache of decisions inside MITM (core/proxy/decisionCache.ts): identical requests
// share one checked decision, but everything a hook reads still changes the verdict, a host whose
// hooks match on headers is judged every time, and a reloaded policy is judged afresh.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadPolicy } from '../../../core/engine/load';
import type { CompiledPolicy } from '../../../core/policy/compile';
import type { DecisionRequest, HeaderLookup } from '../../../core/policy/decide';
import type { ProxyContext } from '../../../core/proxy/context';
import { Resolver, type CheckedDecision } from '../../../core/proxy/dns';
import { check } from '../../../core/proxy/stages/judge';

const POLICY = `
default_permissions = "w"
[permissions.w.network]
enabled = true
allow_local_binding = true
[permissions.w.network.domains]
"paths.test" = "allow"
"query.test" = "allow"
"header.test" = "allow"
[permissions.w.network.mitm.hooks.p]
host = "paths.test"
methods = ["GET"]
path_prefixes = ["/ok/"]
action = ["a"]
[permissions.w.network.mitm.hooks.q]
host = "query.test"
methods = ["GET"]
path_prefixes = ["/"]
query = { page = ["1"] }
action = ["a"]
[permissions.w.network.mitm.hooks.h]
host = "header.test"
methods = ["GET"]
path_prefixes = ["/"]
headers = { "x-api-version" = ["2"] }
action = ["a"]
[permissions.w.network.mitm.actions.a]
strip_request_headers = ["cookie"]
`;

function compile(text: string): CompiledPolicy {
  const r = loadPolicy({ config: { file: '/t/config.toml', text }, env: {} });
  assert.ok(r.policy, r.diagnostics.map((d) => d.message).join('; '));
  return r.policy;
}

function judgeWith(policy: () => CompiledPolicy): (host: string, path: string, query?: string, headers?: Record<string, string>, method?: string) => CheckedDecision {
  const overrides = new Map<string, string[]>();
  const ctx = { policy, resolver: new Resolver(overrides), overrides } as unknown as ProxyContext;
  return (host, path, query = '', headers = {}, method = 'GET') => {
    const lookup: HeaderLookup = (n) => (headers[n] === undefined ? undefined : [headers[n]!]);
    const req: DecisionRequest = { kind: 'inner', tunnelHost: host, port: 443, method, path, query, hostHeader: host, headers: lookup };
    const c = check(ctx, req, host);
    assert.ok(!(c instanceof Promise), 'a literal-free, resolution-free request is judged at once');
    return c;
  };
}

test('identical requests share one decision; method and path still decide on a hooked host', () => {
  const policy = compile(POLICY);
  const j = judgeWith(() => policy);
  const first = j('paths.test', '/ok/1');
  assert.equal(first.decision.decision, 'allow');
  assert.equal(j('paths.test', '/ok/1'), first, 'the second identical request is a cache hit');
  assert.equal(j('paths.test', '/nope').decision.decision, 'deny', 'another path on the hooked host is judged');
  assert.equal(j('paths.test', '/ok/1', '', {}, 'POST').decision.decision, 'deny', 'another method is judged');
  assert.equal(j('paths.test', '/ok/1').decision.decision, 'allow', 'and the cached allow is still right after them');
});

test('the query counts when a hook matches on it, and only then', () => {
  const policy = compile(POLICY);
  const j = judgeWith(() => policy);
  assert.equal(j('query.test', '/', 'page=1').decision.decision, 'allow');
  assert.equal(j('query.test', '/', 'page=2').decision.decision, 'deny');
  assert.equal(j('query.test', '/', 'page=1').decision.decision, 'allow');
  assert.equal(j('paths.test', '/ok/x', 'i=1'), j('paths.test', '/ok/x', 'i=2'), 'no query matcher: one entry for every query');
});

test('a host whose hooks match on headers is judged on every request', () => {
  const policy = compile(POLICY);
  const j = judgeWith(() => policy);
  assert.equal(j('header.test', '/', '', { 'x-api-version': '2' }).decision.decision, 'allow');
  assert.equal(j('header.test', '/', '', { 'x-api-version': '1' }).decision.decision, 'deny');
  assert.equal(j('header.test', '/', '', {}).decision.decision, 'deny');
  assert.equal(j('header.test', '/', '', { 'x-api-version': '2' }).decision.decision, 'allow');
});

test('a reloaded policy is judged afresh, not from the old policy\'s cache', () => {
  let policy = compile(POLICY);
  const j = judgeWith(() => policy);
  assert.equal(j('paths.test', '/ok/1').decision.decision, 'allow');
  policy = compile(POLICY.replace('path_prefixes = ["/ok/"]', 'path_prefixes = ["/other/"]'));
  assert.equal(j('paths.test', '/ok/1').decision.decision, 'deny');
  assert.equal(j('paths.test', '/other/1').decision.decision, 'allow');
});
