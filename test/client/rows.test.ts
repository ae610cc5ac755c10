import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ev } from './sample';
import { countDecisions, matchesFilter, parseFilter, rowText } from '../../client/logic/rows';


test('row text: method fallbacks, non-default ports, IPv6 brackets, deny reason', () => {
  const r = rowText(ev());
  assert.equal(r.decision, '✓ allow');
  assert.equal(r.host, 'api.github.com');
  assert.equal(r.hook, 'gh_read');
  assert.match(r.time, /^\d\d:\d\d:\d\d\.000$/);
  const c = rowText(ev({ protocol: 'https_connect', method: null, path: null, host: '::1', port: 8443, decision: 'deny', reason: 'not_allowed' }));
  assert.deepEqual([c.method, c.host, c.path, c.decision, c.reason], ['CONNECT', '[::1]:8443', '', '✗ deny', 'not_allowed']);
  assert.equal(rowText(ev({ protocol: 'http', port: 80 })).host, 'api.github.com');
  assert.equal(rowText(ev({ protocol: 'socks5_tcp', method: null })).method, 'SOCKS5_TCP');
});

test('filter tokens: fields AND together, negation, quotes, free text, unknown fields kept as text', () => {
  const f = parseFilter('host:GitHub decision:deny -hook:x "two words" colour:red');
  assert.deepEqual(f.tokens, [
    { field: 'host', value: 'github', negate: false },
    { field: 'decision', value: 'deny', negate: false },
    { field: 'hook', value: 'x', negate: true },
    { field: 'text', value: 'two words', negate: false },
    { field: 'text', value: 'colour:red', negate: false },
  ]);
  assert.deepEqual(f.unknownFields, ['colour']);
  const deny = ev({ decision: 'deny', reason: 'not_allowed', hook: null });
  assert.equal(matchesFilter(deny, parseFilter('host:github decision:deny')), true);
  assert.equal(matchesFilter(ev(), parseFilter('host:github decision:deny')), false);
  assert.equal(matchesFilter(ev(), parseFilter('-hook:gh_')), false);
  assert.equal(matchesFilter(deny, parseFilter('-hook:gh_')), true);
  assert.equal(matchesFilter(deny, parseFilter('reason:not_allowed')), true);
  assert.equal(matchesFilter(ev(), parseFilter('status:20')), false);
  assert.equal(matchesFilter(ev(), parseFilter('status:200 method:get path:/repos')), true);
  assert.equal(matchesFilter(ev(), parseFilter('rule:config.toml:5')), true);
  assert.equal(matchesFilter(ev(), parseFilter('REPOS')), true);
  assert.equal(matchesFilter(ev(), parseFilter('gitlab')), false);
  assert.equal(matchesFilter(ev(), parseFilter('')), true);
});

test('counts', () => {
  assert.deepEqual(countDecisions([ev(), ev({ decision: 'deny' }), ev()]), { allowed: 2, blocked: 1 });
});

test('decision store: ring keeps the newest, oldest first; counts survive eviction; clear resets', async () => {
  const { DecisionStore } = await import('../../client/logic/decisionStore');
  const s = new DecisionStore(3);
  const seen: (number | 'clear')[] = [];
  s.onChange((c) => seen.push(c.added ? c.added.id : 'clear'));
  for (let i = 1; i <= 5; i++) s.add(ev({ id: i, decision: i % 2 ? 'allow' : 'deny' }));
  assert.deepEqual(s.all().map((e) => e.id), [3, 4, 5]);
  assert.deepEqual([s.allowed, s.blocked, s.size], [3, 2, 3]);
  s.clear();
  assert.deepEqual([s.allowed, s.blocked, s.size, s.all().length], [0, 0, 0, 0]);
  assert.deepEqual(seen, [1, 2, 3, 4, 5, 'clear']);
});

test('learning mode: a would_deny event reads as such and filters by reason', async () => {
  const { parseProxyLine: parseEventLine } = await import('../../core/proxy/protocol');
  const parsed = parseEventLine(JSON.stringify({ ...ev({ decision: 'allow', reason: null, hook: null }), flag: 'would_deny' }));
  assert.ok(parsed.event === 'decision' && parsed.flag === 'would_deny');
  const r = rowText(parsed as ReturnType<typeof ev>);
  assert.deepEqual([r.decision, r.reason], ['⚠ would deny', 'would_deny']);
  assert.equal(matchesFilter(parsed as ReturnType<typeof ev>, parseFilter('reason:would_deny')), true);
  const listening = parseEventLine('{"event":"listening","http":"127.0.0.1:1","socks":null,"proxyUrl":"http://127.0.0.1:1","caCert":"/c","learning":true}');
  assert.ok(listening.event === 'listening' && listening.learning === true);
  assert.equal(rowText(ev()).decision, '✓ allow', 'ordinary events unchanged');
});
