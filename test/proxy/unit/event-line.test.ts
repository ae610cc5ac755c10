// The event line writer (core/proxy/eventLine.ts) reuses the JSON of a decision's fixed fields
// across the requests that share that decision and writes outcome lines by hand; every line must still be byte for byte what
// JSON.stringify writes for the event, whatever changes between events and whichever optional
// fields are present.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadPolicy } from '../../../core/engine/load';
import type { Decision, DecisionRequest } from '../../../core/policy/decide';
import type { ProxyContext } from '../../../core/proxy/context';
import { Resolver } from '../../../core/proxy/dns';
import { eventLine } from '../../../core/proxy/eventLine';
import { EventLog, type ProxyEvent } from '../../../core/proxy/events';
import { check } from '../../../core/proxy/stages/judge';

const POLICY = `
default_permissions = "w"
[permissions.w.network]
enabled = true
allow_local_binding = true
[permissions.w.network.domains]
"api.test" = "allow"
"plain.test" = "allow"
[permissions.w.network.mitm.hooks.gh]
host = "api.test"
methods = ["GET"]
path_prefixes = ["/repos/"]
action = ["strip", "inject"]
[permissions.w.network.mitm.actions.strip]
strip_request_headers = ["x-strip-me", "cookie"]
[permissions.w.network.mitm.actions.inject]
inject_request_headers = [{ name = "x-injected", secret_env_var = "TOKEN" }]
`;

/** Real decisions of the policy for requests inside MITM (the cached objects the proxy reuses). */
function judged(): Decision[] {
  const r = loadPolicy({ config: { file: '/t/config.toml', text: POLICY }, env: { TOKEN: 'canary-secret-value' } });
  assert.ok(r.policy, r.diagnostics.map((d) => d.message).join('; '));
  const policy = r.policy;
  const overrides = new Map<string, string[]>();
  const ctx = { policy: () => policy, resolver: new Resolver(overrides), overrides } as unknown as ProxyContext;
  const one = (host: string, method: string, path: string): Decision => {
    const req: DecisionRequest = { kind: 'inner', tunnelHost: host, port: 443, method, path, query: '', hostHeader: host, headers: () => undefined };
    const c = check(ctx, req, host);
    assert.ok(!(c instanceof Promise));
    return c.decision;
  };
  return [one('api.test', 'GET', '/repos/o/r'), one('api.test', 'POST', '/repos/o/r'), one('api.test', 'GET', '/other'), one('plain.test', 'GET', '/')];
}

const handMade: Decision[] = [
  {
    decision: 'deny', reason: 'not_allowed', proxyError: 'blocked-by-allowlist', status: 403, message: 'Domain not in allowlist.', mitm: false, hook: null,
    headers: { strip: [], inject: [] }, rule: null, source: 'baseline_policy', protocol: 'http', host: 'x.test', port: 80,
  },
  {
    decision: 'allow', reason: 'allowed', mitm: false, hook: null, headers: { strip: [], inject: [] }, rule: { file: '/t/a "quoted"\\path.toml', line: 3 },
    source: 'baseline_policy', protocol: 'https_connect', host: 'ünïcode.test', port: 8443, wouldDeny: true, dns: { nonPublic: '10.0.0.1' },
  } as unknown as Decision,
];

test('every decision line is exactly JSON.stringify of its event, while the fixed parts are reused', () => {
  const log = new EventLog(10);
  const lines: [ProxyEvent, string][] = [];
  log.onEvent((e) => lines.push([e, eventLine(e)]));
  const decisions = [...judged(), ...handMade];
  assert.ok(decisions[0]!.appliedHook, 'the hooked request has its actions');
  const requests = [
    { method: 'GET', path: '/repos/o/r?token=1', client: '127.0.0.1:5000', profile: 'w', mode: 'full', startedAt: performance.now() },
    { method: null, path: null, client: '[::1]:6000', profile: 'w', mode: 'full' },
    { method: 'GET', path: '/"odd"\n\u2028path', client: '127.0.0.1:5001', profile: 'w', mode: 'limited', startedAt: performance.now() },
    { method: 'PUT', path: '/', client: 'c', profile: 'other', mode: 'limited', held: true },
  ];
  // Each decision twice per request shape, in turns, so a cached part meets a changed profile/mode.
  for (let round = 0; round < 2; round++) for (const ctx of requests) for (const d of decisions) log.decision(d, ctx);
  log.outcome(3, 200, 12, performance.now());
  log.outcome(4, null, 0, 0);
  log.outcome(5, null, 0, performance.now(), { reason: 'response_timeout', status: 504, message: 'api.test:443 did not answer' });
  log.error('x');
  assert.equal(lines.length, 2 * requests.length * decisions.length + 4);
  for (const [e, line] of lines) assert.equal(line, JSON.stringify(e));
  const keys = new Set(lines.flatMap(([e]) => Object.keys(e)));
  for (const k of ['proxyError', 'flag', 'dns', 'durationMs', 'hook', 'actions', 'explanation', 'upstreamStatus', 'failure']) assert.ok(keys.has(k), `covered: ${k}`);
});

test('an event copied from a decision event (a worker\'s, renumbered) is written as it is', () => {
  const log = new EventLog(10);
  const seen: string[] = [];
  log.onEvent((e) => seen.push(eventLine(e)));
  const e = log.decision(handMade[0]!, { method: 'GET', path: '/', client: 'c', profile: 'w', mode: 'full' });
  const own = log.adopt(e, 2);
  assert.equal(seen[1], JSON.stringify(own));
  assert.match(seen[1]!, /"worker":2/);
});
