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
