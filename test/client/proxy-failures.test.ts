// The proxy's own 502s (docs/semantics.md #8 session 7) in the decision log: an outcome line with
// an upstream_* failure, as the proxy writes it, parses, merges into its decision and reads as
// `502 · upstream tls` in the row, the filters find it, and a raw tunnel refused without a status
// reads by its reason alone. An unknown reason is still dropped (events.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DecisionStore } from '../../client/logic/decisionStore';
import { matchesFilter, parseFilter, rowText } from '../../client/logic/rows';
import { failureText } from '../../client/logic/table';
import { parseProxyLine } from '../../core/proxy/protocol';
import { ev } from './sample';

function stored(id: number, failure: Record<string, unknown>) {
  const store = new DecisionStore();
  store.add(ev({ id, hook: null }));
  const o = parseProxyLine(JSON.stringify({ event: 'outcome', id, upstreamStatus: null, bytes: 0, durationMs: 48, failure }));
  assert.ok(o.event === 'outcome' && o.failure, JSON.stringify(o));
  store.applyOutcome(o);
  return store.all()[0]!;
}

test('each upstream failure reason reads as status · words in the row and is found by the filters', () => {
  const cases: [string, string][] = [['upstream_tls', '502 · upstream tls'], ['upstream_unreachable', '502 · upstream unreachable'], ['upstream_closed', '502 · upstream closed'], ['upstream_proxy', '502 · upstream proxy']];
  for (const [reason, text] of cases) {
    const e = stored(9, { reason, status: 502, message: `upstream api.github.com:443: ${reason}` });
    assert.equal(failureText(e), text);
    const r = rowText(e);
    assert.deepEqual([r.reason, r.status], [text, '502']);
    for (const q of ['outcome:failed', `failure:${reason}`, 'status:502']) assert.ok(matchesFilter(e, parseFilter(q)), `${reason}: ${q}`);
    assert.ok(!matchesFilter(e, parseFilter('outcome:ok')));
  }
});

test('a SOCKS tunnel that could not be opened (no status) reads by its reason alone', () => {
  const e = stored(10, { reason: 'upstream_unreachable', status: null, message: 'upstream api.github.com:443: connect ECONNREFUSED 127.0.0.1:443' });
  assert.equal(failureText(e), 'upstream unreachable');
  assert.equal(rowText(e).status, '');
  assert.ok(matchesFilter(e, parseFilter('failure:ECONNREFUSED')), 'the message is searchable');
});
