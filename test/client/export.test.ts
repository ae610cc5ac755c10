import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harUrl, redactString, toHar, toJsonl } from '../../client/logic/export';
import { ev } from './sample';

const CANARY = 'CANARY-9f3b2c-secret';

test('JSONL: one parseable event per line, canary secrets and URL credentials scrubbed', () => {
  const events = [ev(), ev({ id: 2, decision: 'deny', path: `/leak?token=${CANARY}`, client: `http://bot:${CANARY}@127.0.0.1:1` })];
  const out = toJsonl(events, [CANARY]);
  assert.ok(!out.includes(CANARY));
  const lines = out.trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 2);
  assert.equal(lines[1].id, 2);
  assert.equal(lines[1].client, 'http://***@127.0.0.1:1');
  assert.equal(toJsonl([]), '');
});

test('HAR 1.2: request/response shape, no query, header names only in _decision, no secrets', () => {
  const events = [ev({ path: `/repos/a?access_token=${CANARY}` }), ev({ protocol: 'https_connect', method: null, path: null, host: 'evil.example', decision: 'deny', status: 403, proxyError: 'blocked-by-allowlist' })];
  const har = toHar(events, '0.1.0', [CANARY]);
  const text = JSON.stringify(har);
  assert.ok(!text.includes(CANARY));
  assert.equal(har.log.version, '1.2');
  const [a, b] = har.log.entries;
  assert.equal(a!.request.url, 'https://api.github.com/repos/a');
  assert.deepEqual(a!.request.headers, []);
  assert.deepEqual(a!._decision.headers, { strip: ['authorization'], inject: ['authorization'] });
  assert.equal(a!.startedDateTime, '2026-01-01T10:00:00.000Z');
  assert.equal(b!.request.method, 'CONNECT');
  assert.equal(b!.request.url, 'https://evil.example/');
  assert.equal(b!.response.status, 403);
  assert.equal(b!.response.statusText, 'blocked-by-allowlist');
  assert.equal(harUrl(ev({ protocol: 'http', port: 8080, path: '/x' })), 'http://api.github.com:8080/x');
});

test('redactString handles overlapping secrets longest first and ignores very short ones', () => {
  assert.equal(redactString('a-abcdef-b abcd', ['abcd', 'abcdef']), 'a-***-b ***');
  assert.equal(redactString('abc', ['ab']), 'abc');
});
