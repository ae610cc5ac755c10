// Hostile documents against the live language server: deep nesting, 0.9 MB of nested arrays,
// thousands of permission profiles. Each must be answered, with bounded memory, and the analysis
// must stay linear in the number of profiles.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CancellationTokenSource, LSPErrorCodes } from 'vscode-languageserver/node';
import { LspSession } from '../lsp/harness';
import { loadDocument } from '../../core/toml/load';
import { validateDocuments } from '../../core/validate/documents';
import { manyProfiles, nestedArrays } from './documents';
import { figure, percentile, rssMb, scale } from './profile';

const OPTS = { strict: false, envHas: () => false, fileExists: () => false };

function analysisMs(text: string): number {
  const doc = loadDocument(text, '/ws/.codex/config.toml');
  const start = performance.now();
  validateDocuments(doc, undefined, OPTS);
  return performance.now() - start;
}

/** Open / replace the text and wait for its diagnostics, with a generous bound (loaded CI machines). */
async function openWait(lsp: LspSession, uri: string, text: string) {
  const next = lsp.nextDiagnostics(uri, 300_000);
  await lsp.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'toml', version: 1, text } });
  return next;
}
async function changeWait(lsp: LspSession, uri: string, text: string) {
  const next = lsp.nextDiagnostics(uri, 300_000);
  await lsp.change(uri, text, false);
  return next;
}

async function timed<T>(p: Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const v = await p;
  return [v, performance.now() - start];
}

/** Hostile shapes of about `bytes` each (1 MB in the long profile). */
function hostileShapes(bytes: number): [string, string][] {
  const lines = (line: (i: number) => string): string => {
    const out: string[] = [];
    for (let i = 0, size = 0; size < bytes; i++) {
      const l = line(i);
      out.push(l);
      size += l.length + 1;
    }
    return out.join('\n');
  };
  return [
    ['arrays nested 10 deep', nestedArrays(10, bytes)],
    ['arrays nested 33 deep', nestedArrays(33, bytes)],
    ['one long string', `k = "${'x'.repeat(bytes)}"\n`],
    ['unknown keys', lines((i) => `k${i} = "v${i}"`)],
    ['tables', lines((i) => `[t${i}]\na = 1`)],
    ['inline tables', lines((i) => `k${i} = { a = 1, b = [1, 2, { c = "x" }] }`)],
    ['junk', lines((i) => `[[[ = = ] "abc ${i}`)],
    ['profiles', manyProfiles(Math.floor(bytes / 120))],
  ];
}

const REQUESTS: [string, (uri: string) => unknown][] = [
  ['textDocument/completion', (uri) => ({ textDocument: { uri }, position: { line: 3, character: 2 } })],
  ['textDocument/hover', (uri) => ({ textDocument: { uri }, position: { line: 3, character: 2 } })],
  ['textDocument/definition', (uri) => ({ textDocument: { uri }, position: { line: 3, character: 2 } })],
  ['textDocument/references', (uri) => ({ textDocument: { uri }, position: { line: 3, character: 2 }, context: { includeDeclaration: true } })],
  ['textDocument/documentSymbol', (uri) => ({ textDocument: { uri } })],
  ['textDocument/foldingRange', (uri) => ({ textDocument: { uri } })],
  ['textDocument/semanticTokens/full', (uri) => ({ textDocument: { uri } })],
  ['textDocument/codeAction', (uri) => ({ textDocument: { uri }, range: { start: { line: 3, character: 0 }, end: { line: 3, character: 5 } }, context: { diagnostics: [] } })],
  ['textDocument/codeLens', (uri) => ({ textDocument: { uri } })],
];

describe('language server on hostile documents', () => {
  let lsp: LspSession;
  before(async () => {
    lsp = await LspSession.start({ env: { CODEX_NETPOLICY_LSP_ANSWER_MS: undefined } });
  });
  after(async () => lsp.stop());

  it('0.9 MB of arrays nested 1,200 deep: outline answered, memory bounded', { timeout: 120_000 }, async () => {
    const uri = 'file:///tmp/cnp-hostile/deep/.codex/config.toml';
    const ds = await openWait(lsp, uri, nestedArrays(1200, 900_000));
    assert.ok(ds.some((d) => d.code === 'toml-nesting' && /nested more than \d+ levels/.test(String(d.message))), 'a nesting diagnostic');
    const [symbols, ms] = await timed(lsp.request<{ name: string }[]>('textDocument/documentSymbol', { textDocument: { uri } }));
    const [folds, foldMs] = await timed(lsp.request<unknown[]>('textDocument/foldingRange', { textDocument: { uri } }));
    const rss = rssMb(lsp.proc.pid!);
    figure('lsp deep arrays', { documentSymbolMs: ms, foldingMs: foldMs, symbols: symbols.length, folds: folds.length, rssMb: rss });
    assert.ok(symbols.length > 0 && symbols[0]!.name === 'k0');
    assert.ok(rss <= 500, `server RSS ${rss} MB`);
    await lsp.close(uri);
  });

  it('2,500 levels of nesting: no stack overflow, the file gets diagnostics', { timeout: 60_000 }, async () => {
    const uri = 'file:///tmp/cnp-hostile/stack/.codex/config.toml';
    const text = `a = ${'['.repeat(2500)}${']'.repeat(2500)}\nb = ${'{ x = '.repeat(3000)}1${'}'.repeat(3000)}\nbogus_key = 1\n`;
    const ds = await openWait(lsp, uri, text);
    assert.equal(ds.filter((d) => d.code === 'toml-nesting').length, 2, JSON.stringify(ds.map((d) => d.message)));
    assert.ok(ds.some((d) => d.code === 'toml-syntax'), 'the parser refuses the nesting');
    assert.equal(lsp.logs.filter((l) => /Maximum call stack/.test(l)).length, 0);
    await lsp.close(uri);
  });

  it('500 levels (valid TOML): the keys after the deep values are still checked', { timeout: 60_000 }, async () => {
    const uri = 'file:///tmp/cnp-hostile/deep500/.codex/config.toml';
    const text = `a = ${'['.repeat(500)}${']'.repeat(500)}\nb = ${'{ x = '.repeat(500)}1${'}'.repeat(500)}\nbogus_key = 1\n`;
    const ds = await openWait(lsp, uri, text);
    assert.equal(ds.filter((d) => d.code === 'toml-nesting').length, 2);
    assert.ok(ds.some((d) => d.code === 'unknown-key' && d.range.start.line === 2), JSON.stringify(ds.map((d) => [d.code, d.range.start.line])));
    await lsp.close(uri);
  });

  it('5,000 permission profiles: an edit is answered and analysis grows linearly', { timeout: 180_000 }, async () => {
    // Linear: 4x the profiles may cost ~4x; the quadratic version cost ~16x.
    analysisMs(manyProfiles(200)); // warm up
    const small = Math.min(analysisMs(manyProfiles(1000)), analysisMs(manyProfiles(1000)));
    const large = Math.min(analysisMs(manyProfiles(4000)), analysisMs(manyProfiles(4000)));
    figure('profiles analysis', { ms1000: small, ms4000: large, ratio: large / small });
    assert.ok(large / small < 8, `4x the profiles cost ${(large / small).toFixed(1)}x`);

    const uri = 'file:///tmp/cnp-hostile/profiles/.codex/config.toml';
    const text = manyProfiles(5000);
    await openWait(lsp, uri, text);
    const [ds, ms] = await timed(changeWait(lsp, uri, text.replace('enabled = true', 'enabled = tru')));
    const [hover, hoverMs] = await timed(lsp.request('textDocument/hover', { textDocument: { uri }, position: { line: 1, character: 15 } }));
    figure('lsp 5000 profiles', { editToDiagnosticsMs: ms, hoverMs, rssMb: rssMb(lsp.proc.pid!) });
    assert.ok(ds!.length >= 1);
    assert.ok(hover !== undefined);
    await lsp.close(uri);
  });

  // Decision (#11): the 1 s goal is asserted as a p99 in the long profile only (1 MB documents,
  // run by hand on a quiet machine); the short profile, inside `npm test` on a loaded CI machine,
  // asserts that every request gets a result and prints the latencies. That requests never wait
  // for an analysis is asserted without a clock in test/lsp/relay.test.ts.
  it(`hostile documents of ${scale('250 KB', '1 MB')}: every request answered, latency and memory as figures`, { timeout: scale(600_000, 1_800_000) }, async () => {
    let peak = 0;
    const all: number[] = [];
    const byMethod = new Map<string, number[]>(REQUESTS.map(([m]) => [m, []]));
    for (const [name, text] of hostileShapes(scale(250_000, 1_000_000))) {
      const uri = `file:///tmp/cnp-hostile/shape-${name.replace(/\W+/g, '-')}/.codex/config.toml`;
      const start = performance.now();
      const ds = await openWait(lsp, uri, text);
      const openMs = performance.now() - start;
      // Each request type once the analysis is there, then all at once right after an edit (the
      // edit's analysis is running: they are answered without waiting for it).
      const warm: number[] = [];
      for (const [method, params] of REQUESTS) {
        const [, ms] = await timed(lsp.request(method, params(uri)));
        warm.push(ms);
        byMethod.get(method)!.push(ms);
      }
      await lsp.change(uri, text + '\n# edited\n', false);
      const edited = await Promise.all(REQUESTS.map(async ([method, params]) => {
        const [, ms] = await timed(lsp.request(method, params(uri)));
        byMethod.get(method)!.push(ms);
        return ms;
      }));
      all.push(...warm, ...edited);
      const rss = rssMb(lsp.proc.pid!);
      peak = Math.max(peak, rss);
      figure(`lsp hostile ${name}`, { kb: text.length / 1000, diagnostics: ds.length, openToDiagnosticsMs: openMs, maxWarmMs: Math.max(...warm), maxAfterEditMs: Math.max(...edited), rssMb: rss });
      assert.ok(ds.length <= 1001, 'at most 1,000 diagnostics (+1 saying how many more) are published');
      await lsp.close(uri);
    }
    for (const [method, ms] of byMethod) figure(`lsp hostile ${method.replace('textDocument/', '')}`, { requests: ms.length, p50ms: percentile(ms, 50), p99ms: percentile(ms, 99), maxMs: percentile(ms, 100) });
    figure('lsp hostile all', { requests: all.length, p50ms: percentile(all, 50), p99ms: percentile(all, 99), maxMs: percentile(all, 100), over1s: all.filter((l) => l > 1000).length, peakRssMb: peak });
    assert.equal(lsp.exited, false);
    assert.equal(all.length, hostileShapes(1).length * REQUESTS.length * 2, 'every request answered');
    if (scale(false, true)) assert.ok(percentile(all, 99) <= 1000, `p99 ${percentile(all, 99)} ms`);
    // The 500 MB goal is asserted in the long profile (1 MB documents); the short one keeps a generous bound.
    assert.ok(peak <= scale(1500, 500), `server RSS ${peak} MB`);
  });

  it('a cancelled request still in the queue is answered at once with RequestCancelled, not run', { timeout: 120_000 }, async () => {
    const uri = 'file:///tmp/cnp-hostile/cancel/.codex/config.toml';
    await lsp.open(uri, 'model = "o3"\n').catch(() => undefined);
    // A slow first request (the analysis of a fresh 250 KB version), then five that the client cancels.
    await lsp.change(uri, hostileShapes(250_000)[3]![1], false);
    const slow = lsp.request('textDocument/documentSymbol', { textDocument: { uri } });
    const sources = Array.from({ length: 5 }, () => new CancellationTokenSource());
    const start = performance.now();
    const cancelled = sources.map((s) => lsp.conn.sendRequest('textDocument/foldingRange', { textDocument: { uri } }, s.token).then(() => 'answered', (e: { code?: number }) => e.code));
    sources.forEach((s) => s.cancel());
    const codes = await Promise.all(cancelled);
    const cancelMs = performance.now() - start;
    await slow;
    figure('lsp cancel', { sent: codes.length, cancelled: codes.filter((c) => c === LSPErrorCodes.RequestCancelled).length, repliesMs: cancelMs, slowRequestMs: performance.now() - start });
    // Those still queued when their cancel arrived are not run (without cancelUndispatched all 5
    // would be answered); on a loaded machine the first may already have been dispatched.
    assert.ok(codes.every((c) => c === 'answered' || c === LSPErrorCodes.RequestCancelled), JSON.stringify(codes));
    assert.ok(codes.filter((c) => c === LSPErrorCodes.RequestCancelled).length >= 3, JSON.stringify(codes));
    await lsp.close(uri);
  });
});
