// Failed outcomes in the decision log (#panel-failures): an allowed request that timed out or
// whose client went away reads as such in its row, is found by filter and search, and is
// exported with its reason.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DecisionStore } from '../../client/logic/decisionStore';
import { toHar, toJsonl } from '../../client/logic/export';
import { matchesFilter, parseFilter, rowText } from '../../client/logic/rows';
import { failureText, overview, sortIndexes, statusOf } from '../../client/logic/table';
import { ev } from './sample';

const CANARY = 'CANARY-failure-5e1d0c';
const timedOut = ev({
  id: 2, hook: null, durationMs: 1500, bytes: 0,
  failure: { reason: 'response_timeout', status: 504, message: 'upstream registry.test:443 sent no response headers within 1500 ms' },
});
const aborted = ev({ id: 3, hook: null, durationMs: 40, bytes: 0, failure: { reason: 'client_aborted', status: null, message: 'the client closed its connection before upstream registry.test:443 answered' } });
const ok = ev({ id: 4, upstreamStatus: 200, bytes: 10, durationMs: 5 });
const pending = ev({ id: 5 });
const blocked = ev({ id: 6, decision: 'deny', reason: 'not_allowed', status: 403, proxyError: 'blocked-by-allowlist' });

test('row: a failed outcome shows its status and reason; a client abort shows only the reason', () => {
  assert.equal(failureText(timedOut), '504 · response timeout');
  assert.equal(failureText(aborted), 'client aborted');
  assert.equal(failureText(ok), '');
  const r = rowText(timedOut);
  assert.deepEqual([r.decision, r.reason, r.status, r.duration], ['✓ allow', '504 · response timeout', '504', '1.5 s']);
  assert.deepEqual([rowText(aborted).reason, rowText(aborted).status], ['client aborted', '']);
  assert.equal(statusOf(timedOut), 504);
  assert.equal(rowText(ok).reason, '', 'an answered request has no reason');
  assert.equal(rowText(blocked).reason, 'not_allowed', 'a block keeps its policy reason');
});

test('filter: outcome:failed, failure:<reason>, status:504 and free text find failed requests', () => {
  const all = [timedOut, aborted, ok, pending, blocked];
  const ids = (q: string) => all.filter((e) => matchesFilter(e, parseFilter(q))).map((e) => e.id);
  assert.deepEqual(parseFilter('outcome:failed failure:timeout').unknownFields, []);
  assert.deepEqual(ids('outcome:failed'), [2, 3]);
  assert.deepEqual(ids('-outcome:failed'), [4, 5, 6]);
  assert.deepEqual(ids('outcome:ok'), [4]);
  assert.deepEqual(ids('outcome:pending'), [5]);
  assert.deepEqual(ids('outcome:blocked'), [6]);
  assert.deepEqual(ids('failure:response_timeout'), [2]);
  assert.deepEqual(ids('failure:"client aborted"'), [3]);
  assert.deepEqual(ids('status:504'), [2]);
  assert.deepEqual(ids('timeout'), [2], 'free text matches the reason');
  assert.deepEqual(ids('failed'), [2, 3], 'free text "failed" finds every failed outcome');
  assert.deepEqual(ids('"no response headers"'), [2], 'free text matches the message');
});

test('sort by reason groups failures; overview counts them', () => {
  const all = [ok, timedOut, blocked, aborted];
  assert.deepEqual(sortIndexes(all, [0, 1, 2, 3], { column: 'reason', descending: false }), [0, 1, 3, 2]);
  assert.equal(overview(all).failed, 2);
});

test('store: an outcome with a failure reaches the logged decision and its listeners', () => {
  const s = new DecisionStore();
  const updated: number[] = [];
  s.onChange((c) => c.updated && updated.push(c.updated.id));
  s.add(ev({ id: 9, hook: null }));
  s.applyOutcome({ event: 'outcome', id: 9, upstreamStatus: null, bytes: 0, durationMs: 1500, failure: timedOut.failure });
  const [e] = s.all();
  assert.deepEqual(e!.failure, timedOut.failure);
  assert.equal(e!.upstreamStatus, undefined);
  assert.deepEqual(updated, [9]);
  assert.equal(rowText(e!).reason, '504 · response timeout');
});

test('exports: JSONL keeps the failure; HAR answers 504 / 0 with the reason and the message, secrets redacted', () => {
  const leaky = ev({ ...timedOut, failure: { ...timedOut.failure!, message: `upstream said ${CANARY}` } });
  const jsonl = toJsonl([leaky, aborted], [CANARY]);
  assert.ok(!jsonl.includes(CANARY));
  const lines = jsonl.trimEnd().split('\n').map((l) => JSON.parse(l) as { failure?: { reason: string; status: number | null } });
  assert.deepEqual(lines.map((l) => [l.failure?.reason, l.failure?.status]), [['response_timeout', 504], ['client_aborted', null]]);
  const har = toHar([leaky, aborted, ok, blocked], '0.1.0', [CANARY]);
  assert.ok(!JSON.stringify(har).includes(CANARY));
  const [t, a, o, b] = har.log.entries;
  assert.deepEqual([t!.response.status, t!.response.statusText, t!.response.comment, t!.time, t!.timings.wait], [504, 'response_timeout', 'upstream said ***', 1500, 1500]);
  assert.deepEqual([a!.response.status, a!.response.statusText], [0, 'client_aborted']);
  assert.equal(a!._decision.failure?.reason, 'client_aborted');
  assert.deepEqual([o!.response.status, o!.response.comment], [200, undefined]);
  assert.deepEqual([b!.response.status, b!.response.statusText], [403, 'blocked-by-allowlist']);
});
