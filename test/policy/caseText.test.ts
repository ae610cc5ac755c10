// Save as test case: a case pinned from a real decision passes when judged again, and fails once
// the policy changes that decision.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { explainRequest, toOutput } from '../../core/cli/explain';
import { loadPolicy } from '../../core/engine/load';
import { caseText, newTestFileText, requestLineOf } from '../../core/policytest/caseText';
import { runPolicyTest } from '../../core/policytest/run';
import { isFromWebview } from '../../client/panel/protocol';

const CONFIG = resolve(__dirname, '../../examples/demo/.codex/config.toml');
const TEST_FILE = resolve(__dirname, '../../examples/demo/pinned.policytest.toml');
const configText = readFileSync(CONFIG, 'utf8');

function pinned(method: string, url: string) {
  const loaded = loadPolicy({ config: { file: CONFIG, text: configText }, env: {}, secrets: 'optional' });
  const r = explainRequest(loaded.policy!, { method, url, headers: [], resolve: new Map() });
  assert.ok(!('error' in r));
  const d = r.final;
  return { ...toOutput(d), protocol: d.protocol, method, host: d.host, port: d.port, path: new URL(url).pathname };
}

test('a pinned decision round-trips: passes now, fails when the policy changes', () => {
  const cases = [pinned('PUT', 'https://registry.npmjs.org/-/package/x/dist-tags'), pinned('DELETE', 'https://internal-api.company.com/v1/x'), pinned('GET', 'https://tracker.example.com/p')];
  const text = newTestFileText(TEST_FILE, CONFIG) + cases.map((c, i) => caseText(c, `pinned ${i}`)).join('');
  assert.match(text, /^# Policy tests.*\nconfig = "\.codex\/config\.toml"\n/);
  const read = (p: string) => (p === CONFIG ? configText : undefined);
  const ok = runPolicyTest(text, TEST_FILE, { readText: read, env: {} });
  assert.deepEqual(ok.results.map((r) => r.pass), [true, true, true]);
  assert.match(text, /hook = "registry_publish"\nstrip = \[ "authorization" \]\ninject = \[ "authorization" \]/);
  assert.match(text, /reason = "mitm_hook_denied"/);
  const changed = configText.replace('methods = ["GET", "HEAD", "OPTIONS"]', 'methods = ["GET", "HEAD", "OPTIONS", "DELETE"]');
  const broken = runPolicyTest(text, TEST_FILE, { readText: (p) => (p === CONFIG ? changed : undefined), env: {} });
  assert.deepEqual(broken.results.map((r) => r.pass), [true, false, true]);
});

test('request lines: default ports dropped, CONNECT becomes GET /, SOCKS cannot be pinned', () => {
  const base = { decision: 'deny' as const, reason: 'denied', hook: null, headers: { strip: [], inject: [] } };
  assert.equal(requestLineOf({ ...base, protocol: 'https_connect', method: 'CONNECT', host: 'a.test', port: 443, path: null }), 'GET https://a.test/');
  assert.equal(requestLineOf({ ...base, protocol: 'http', method: 'POST', host: 'a.test', port: 8080, path: '/x?y=1' }), 'POST http://a.test:8080/x?y=1');
  assert.equal(requestLineOf({ ...base, protocol: 'http', method: 'GET', host: '::1', port: 80, path: '/' }), 'GET http://[::1]/');
  assert.equal(requestLineOf({ ...base, protocol: 'socks5_tcp', method: null, host: 'a.test', port: 22, path: null }), undefined);
});

test('the panel message is validated', () => {
  assert.ok(isFromWebview({ type: 'saveTestCase', id: 3 }));
  assert.ok(!isFromWebview({ type: 'saveTestCase', id: '3' }));
});
