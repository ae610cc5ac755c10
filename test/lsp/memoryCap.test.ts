// The language server's memory cap (#11) against the real server process: its worker gets a small
// heap (CODEX_NETPOLICY_LSP_HEAP_MB) and a document whose analysis needs far more. The worker runs
// out of memory; the session goes on: the culprit gets the memory-limit diagnostic, the other
// document is analysed again by the new worker, requests are answered, and an edit that makes the
// culprit small brings its own diagnostics back.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LspSession } from './harness';

const HEAP_MB = 40;
const SMALL = 'file:///tmp/cnp-memcap/small/.codex/config.toml';
const HUGE = 'file:///tmp/cnp-memcap/huge/.codex/config.toml';

/** ~1.9 MB of unknown keys (under the relay's size limit): its analysis needs far more than HEAP_MB. */
function huge(): string {
  const lines: string[] = [];
  for (let i = 0, size = 0; size < 1_900_000; i++) {
    const line = `k${i} = "v${i}"`;
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n');
}

describe('language server memory cap', () => {
  let lsp: LspSession;
  before(async () => {
    lsp = await LspSession.start({ env: { CODEX_NETPOLICY_LSP_HEAP_MB: String(HEAP_MB) } });
  });
  after(async () => lsp.stop());

  it('a document that blows the cap is skipped with a diagnostic; the session goes on', { timeout: 120_000 }, async () => {
    assert.deepEqual((await lsp.open(SMALL, 'bogus = 1\n')).map((d) => d.code), ['unknown-key']);
    const republished = lsp.nextDiagnostics(SMALL, 60_000); // the new worker analyses it again
    const skipped = lsp.nextDiagnostics(HUGE, 60_000);
    await lsp.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: HUGE, languageId: 'toml', version: 1, text: huge() } });
    const ds = await skipped;
    assert.equal(ds.length, 1);
    assert.equal(ds[0]!.code, 'memory-limit');
    assert.match(String(ds[0]!.message), new RegExp(`memory limit \\(${HEAP_MB} MB\\)`));
    assert.deepEqual((await republished).map((d) => d.code), ['unknown-key']);
    assert.ok(lsp.logs.some((l) => /worker ended \(it ran out of its 40 MB memory limit\); restarted it; .*huge/.test(l)), lsp.logs.join('\n'));
    assert.equal(lsp.exited, false);
  });

  it('requests are answered: the skipped document gets empty results, the other one real ones', { timeout: 60_000 }, async () => {
    assert.equal(await lsp.request('textDocument/documentSymbol', { textDocument: { uri: HUGE } }), null);
    const symbols = await lsp.request<{ name: string }[]>('textDocument/documentSymbol', { textDocument: { uri: SMALL } });
    assert.deepEqual(symbols.map((s) => s.name), ['bogus']);
    // The new worker has the small document's current text: an edit is analysed.
    assert.deepEqual((await lsp.change(SMALL, 'model = "o3"\nbogus2 = 1\nbogus3 = 2\n'))!.map((d) => d.range.start.line), [1, 2]);
  });

  it('the skipped document stays skipped while large, and is analysed again once small', { timeout: 60_000 }, async () => {
    const restarts = () => lsp.logs.filter((l) => /restarted it/.test(l)).length;
    const before = restarts();
    await lsp.change(HUGE, huge() + '\n# still large\n', false); // dropped by the relay: no new crash
    assert.deepEqual((await lsp.change(HUGE, 'model = "o3"\nnot_a_key = true\n'))!.map((d) => [d.code, d.range.start.line]), [['unknown-key', 1]]);
    assert.equal(restarts(), before);
    assert.equal(lsp.exited, false);
  });
});
