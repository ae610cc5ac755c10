import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventStream, lineParser, type ProxyEvent } from '../../client/logic/events';
import { parseProxyLine as parseEventLine } from '../../core/proxy/protocol';
import { RestartPolicy, backoffDelay } from '../../client/logic/backoff';

const LISTEN = '{"event":"listening","http":"127.0.0.1:4100","socks":null,"proxyUrl":"http://u:CANARY-PW@127.0.0.1:4100","caCert":"/x/ca.pem"}';
const DECISION = JSON.stringify({ event: 'decision', id: 7, time: '2026-01-01T10:00:00.000Z', decision: 'deny', reason: 'not_allowed', proxyError: 'blocked-by-allowlist', status: 403, source: 'baseline_policy', protocol: 'https', method: 'GET', host: 'evil.example', port: 443, path: '/x', client: '127.0.0.1:5555', mitm: true, hook: null, actions: [], headers: { strip: [], inject: [] }, rule: { file: '/p/config.toml', line: 12 }, profile: 'work', mode: 'full' });

test('stream parser: events split across chunks, CRLF, blank lines, final unterminated line', async () => {
  await lineParser();
  const got: ProxyEvent[] = [];
  const s = eventStream((e) => got.push(e));
  const all = `${LISTEN}\r\n\n${DECISION}\n${DECISION}`;
  for (let i = 0; i < all.length; i += 7) s.push(all.slice(i, i + 7));
  assert.deepEqual(got.map((e) => e.event), ['listening', 'decision']);
  s.end();
  assert.deepEqual(got.map((e) => e.event), ['listening', 'decision', 'decision']);
  const l = got[0]!;
  assert.ok(l.event === 'listening' && l.http === '127.0.0.1:4100' && l.socks === null && l.caCert === '/x/ca.pem');
  const d = got[1]!;
  assert.ok(d.event === 'decision');
  assert.equal(d.host, 'evil.example');
  assert.equal(d.id, 7);
  assert.deepEqual(d.rule, { file: '/p/config.toml', line: 12 });
});

test('garbage lines become error events, credentials in them scrubbed', () => {
  const e = parseEventLine('panic: http://user:CANARY-PW@127.0.0.1:1 went away');
  assert.equal(e.event, 'error');
  assert.ok(e.event === 'error' && !e.message.includes('CANARY-PW') && e.message.includes('non-JSON'));
  assert.equal(parseEventLine('[1,2]').event, 'error');
  assert.equal(parseEventLine('{"event":"nope"}').event, 'error');
  assert.equal(parseEventLine('{"event":"listening","http":"x"}').event, 'error');
  assert.equal(parseEventLine('{"event":"decision","decision":"maybe","host":"a"}').event, 'error');
  const p = parseEventLine('{"event":"policy","time":"2026-01-01T10:00:00.000Z","status":"invalid","profile":null,"files":["/a"],"diagnostics":[{"file":"/a","line":3,"col":1,"message":"bad"}]}');
  assert.deepEqual(p, { event: 'policy', time: '2026-01-01T10:00:00.000Z', status: 'invalid', profile: null, files: ['/a'], diagnostics: [{ file: '/a', line: 3, col: 1, message: 'bad' }] });
});

test('an overlong line is dropped with an error, and the stream recovers', async () => {
  await lineParser();
  const got: ProxyEvent[] = [];
  const s = eventStream((e) => got.push(e));
  s.push('x'.repeat((1 << 20) + 10));
  s.push('x'.repeat(1 << 20));
  s.push(`tail-of-the-long-line\n${DECISION}\n`);
  assert.deepEqual(got.map((e) => e.event), ['error', 'decision']);
});

test('backoff: 1 s doubling to 30 s; reset after 60 s healthy; exit 2 and requested stops never restart', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 20].map(backoffDelay), [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  let now = 0;
  const r = new RestartPolicy(() => now);
  const delays: number[] = [];
  for (let i = 0; i < 7; i++) {
    r.started();
    now += 500;
    const v = r.onExit(1, false);
    assert.equal(v.kind, 'restart');
    if (v.kind === 'restart') delays.push(v.delayMs);
  }
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  r.started();
  now += 60_000;
  assert.deepEqual(r.onExit(null, false), { kind: 'restart', delayMs: 1000 });
  assert.deepEqual(r.onExit(2, false), { kind: 'invalid-policy' });
  assert.deepEqual(r.onExit(64, false), { kind: 'usage-error' });
  assert.deepEqual(r.onExit(0, true), { kind: 'stopped' });
  r.started();
  assert.deepEqual(r.onExit(1, false), { kind: 'restart', delayMs: 1000 });
});

test('an outcome carries a timeout reason into the stored decision; an unknown reason is dropped', async () => {
  const { DecisionStore } = await import('../../client/logic/decisionStore');
  const store = new DecisionStore();
  const d = parseEventLine(DECISION);
  assert.ok(d.event === 'decision');
  store.add(d);
  const failure = { reason: 'response_timeout', status: 504, message: 'upstream a.test:80 did not answer within 500 ms (response timeout)' };
  const o = parseEventLine(JSON.stringify({ event: 'outcome', id: 7, upstreamStatus: null, bytes: 0, durationMs: 501, failure }));
  assert.ok(o.event === 'outcome');
  assert.deepEqual(o.failure, failure);
  store.applyOutcome(o);
  assert.deepEqual(store.all()[0]!.failure, failure);
  const odd = parseEventLine(JSON.stringify({ event: 'outcome', id: 7, upstreamStatus: 200, bytes: 1, durationMs: 1, failure: { reason: 'other', message: 'x' } }));
  assert.ok(odd.event === 'outcome' && odd.failure === undefined);
});
