import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AuditFile } from '../../../core/proxy/audit';
import { EventLog } from '../../../core/proxy/events';
import { tempDir } from './helpers';

const decision = {
  decision: 'deny' as const, reason: 'not_allowed' as const, proxyError: 'blocked-by-allowlist', status: 403, message: 'Domain not in allowlist.', mitm: false, hook: null,
  headers: { strip: [], inject: [] }, rule: null, source: 'baseline_policy' as const, protocol: 'http' as const, host: 'x.test', port: 80,
};

test('audit file is JSONL, 0600, rotates keeping 3 older files', () => {
  const file = join(tempDir(), 'audit.jsonl');
  const audit = new AuditFile(file, 2000, 3);
  const log = new EventLog(5);
  log.onEvent((e) => audit.write(e));
  for (let i = 0; i < 60; i++) log.decision(decision, { method: 'GET', path: `/p${i}?secret=1`, client: '127.0.0.1:1', profile: 'w', mode: 'full' });
  assert.equal(statSync(file).mode & 0o777, 0o600);
  for (const f of [file, `${file}.1`, `${file}.2`, `${file}.3`]) {
    assert.ok(existsSync(f), f);
    assert.ok(statSync(f).size <= 2000);
    for (const line of readFileSync(f, 'utf8').trim().split('\n')) assert.equal(JSON.parse(line).event, 'decision');
  }
  assert.ok(!existsSync(`${file}.4`));
  const last = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(last.at(-1).id, 60);
  assert.equal(last.at(-1).path, '/p59', 'query dropped');
  assert.deepEqual(log.recent().map((e) => e.id), [56, 57, 58, 59, 60], 'ring buffer keeps the last N');
});
