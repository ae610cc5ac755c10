// Hostile documents against the live language server: deep nesting, 0.9 MB of nested arrays,
// thousands of permission profiles. Each must be answered, with bounded memory, and the analysis
// must stay linear in the number of profiles.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LspSession } from '../lsp/harness';
import { loadDocument } from '../../core/toml/load';
import { validateDocuments } from '../../core/validate/documents';
import { manyProfiles, nestedArrays } from './documents';
import { figure, rssMb } from './profile';

const OPTS = { strict: false, envHas: () => false, fileExists: () => false };

function analysisMs(text: string): number {
  const doc = loadDocument(text, '/ws/.codex/config.toml');
  const start = performance.now();
  validateDocuments(doc, undefined, OPTS);
  return performance.now() - start;
}

async function timed<T>(p: Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const v = await p;
  return [v, performance.now() - start];
}

describe('language server on hostile documents', () => {
  let lsp: LspSession;
  before(async () => {
    lsp = await LspSession.start();
  });
  after(async () => lsp.stop());

  it('0.9 MB of arrays nested 1,200 deep: outline answered, memory bounded', { timeout: 120_000 }, async () => {
    const uri = 'file:///tmp/cnp-hostile/deep/.codex/config.toml';
    const ds = await lsp.open(uri, nestedArrays(1200, 900_000));
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
    const ds = await lsp.open(uri, text);
    assert.equal(ds.filter((d) => d.code === 'toml-nesting').length, 2, JSON.stringify(ds.map((d) => d.message)));
    assert.ok(ds.some((d) => d.code === 'toml-syntax'), 'the parser refuses the nesting');
    assert.equal(lsp.logs.filter((l) => /Maximum call stack/.test(l)).length, 0);
    await lsp.close(uri);
  });

  it('500 levels (valid TOML): the keys after the deep values are still checked', { timeout: 60_000 }, async () => {
    const uri = 'file:///tmp/cnp-hostile/deep500/.codex/config.toml';
    const text = `a = ${'['.repeat(500)}${']'.repeat(500)}\nb = ${'{ x = '.repeat(500)}1${'}'.repeat(500)}\nbogus_key = 1\n`;
    const ds = await lsp.open(uri, text);
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
    await lsp.open(uri, text);
    const [ds, ms] = await timed(lsp.change(uri, text.replace('enabled = true', 'enabled = tru'))!);
    const [hover, hoverMs] = await timed(lsp.request('textDocument/hover', { textDocument: { uri }, position: { line: 1, character: 15 } }));
    figure('lsp 5000 profiles', { editToDiagnosticsMs: ms, hoverMs, rssMb: rssMb(lsp.proc.pid!) });
    assert.ok(ds!.length >= 1);
    assert.ok(hover !== undefined);
    await lsp.close(uri);
  });
});
