// Priming (server/prime.ts, #8): its policy stays a valid policy that reaches every rule family,
// and a server that primed while idle gives the first document the same diagnostics as a server
// that never primed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { primingFindings, SLICES } from '../../server/prime';
import { LspSession, summary } from './harness';

describe('language server priming', () => {
  it('analyses a valid policy in every slice: only the findings it is built to reach', () => {
    for (let slice = 0; slice < SLICES; slice++) {
      const found = primingFindings(slice).map((d) => `${d.file} ${d.code}`).sort();
      assert.deepEqual(found, ['config mitm-secret-env-unset', 'requirements legacy-network-list'], `slice ${slice}`);
    }
  });

  it('a document opened after the server primed gets the same diagnostics as on a server that did not', async () => {
    const text = readFileSync(join(__dirname, '..', 'fixtures', 'lsp', 'article.config.toml'), 'utf8');
    const uri = 'file:///tmp/cnp-lsp-prime-test/.codex/config.toml';
    const results: ReturnType<typeof summary>[] = [];
    for (const idleMs of [0, 1500]) {
      const lsp = await LspSession.start();
      try {
        await new Promise((r) => setTimeout(r, idleMs)); // 0: opened at once, priming never starts
        results.push(summary(await lsp.open(uri, text)));
        assert.deepEqual(lsp.logs.filter((l) => /failed/.test(l)), []);
      } finally {
        await lsp.stop();
      }
    }
    assert.ok(results[0]!.length > 0);
    assert.deepEqual(results[1], results[0]);
  });
});
