// LSP fuzz: mutated and hostile documents (truncations, junk, deep nesting, long lines, many
// profiles) opened and edited while every request type is sent. Every request must be answered,
// memory stays bounded, and a canary secret (an env value the policy names) never appears in any
// LSP message. Short profile: 100 documents; long (`npm run test:stress`): 100,000.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LspSession } from '../lsp/harness';
import { manyProfiles, nestedArrays } from './documents';
import { figure, percentile, rng, rssMb, scale } from './profile';

const DOCS = Number(process.env.STRESS_FUZZ_DOCS ?? scale(100, 100_000));
/** Optional wall-clock budget (s) for a partial long run; the figure says how many documents it reached. */
const BUDGET_S = Number(process.env.STRESS_FUZZ_BUDGET_S ?? 0);
/**
 * Hostile shapes are sized up to ~1 MB on every document in the short profile; in the long one on
 * every 50th (the rest up to 1/20 of that), so 100,000 documents take hours, not days.
 */
const FULL_SIZE_EVERY = scale(1, 50);
const CANARY = 'canary-LSP-3b7e21';
const BASE = [
  readFileSync(join(__dirname, '..', '..', 'examples', 'demo', '.codex', 'config.toml'), 'utf8'),
  readFileSync(join(__dirname, '..', 'fixtures', 'lsp', 'seed001.requirements.toml'), 'utf8'),
  readFileSync(join(__dirname, '..', 'fixtures', 'lsp', 'article.config.toml'), 'utf8'),
  `default_permissions = "w"\n[permissions.w.network]\nenabled = true\n[permissions.w.network.mitm.hooks.h]\nhost = "api.test"\naction = ["i"]\n[permissions.w.network.mitm.actions.i]\n[[permissions.w.network.mitm.actions.i.inject_request_headers]]\nname = "authorization"\nsecret_env_var = "FUZZ_TOKEN"\nprefix = "Bearer "\n`,
];
const JUNK = ['[', ']', '[[', '"', "'''", '"""', '=', '.', ',', '{', '}', '\\', '\u0000', '\ud800', '#', '\n', '\r\n', 'a.b.c', '= [1, {x = ', '[permissions.', '🙂', '\t', 'FUZZ_TOKEN'];

function mutate(r: () => number, text: string, size = 1): string {
  const pick = Math.floor(r() * 7);
  if (pick === 0) return text.slice(0, Math.floor(r() * text.length));
  if (pick === 1) {
    let out = text;
    for (let i = 0; i < 1 + Math.floor(r() * 6); i++) {
      const at = Math.floor(r() * out.length);
      out = out.slice(0, at) + JUNK[Math.floor(r() * JUNK.length)]! + out.slice(at + Math.floor(r() * 4));
    }
    return out;
  }
  if (pick === 2) return Array.from({ length: 1 + Math.floor(r() * 40) }, () => JUNK[Math.floor(r() * JUNK.length)]!).join('');
  if (pick === 3) return text.split('\n').filter(() => r() > 0.3).join('\n');
  // Hostile shapes, sized up to ~1 MB.
  if (pick === 4) return nestedArrays(10 + Math.floor(r() * 3000), Math.floor(r() * 200_000 * size)) + text;
  if (pick === 5) return `k = "${'x'.repeat(Math.floor(r() * 900_000 * size))}"\n` + text;
  return manyProfiles(Math.floor(r() * 2000 * size));
}

const METHODS: [string, (uri: string, line: number, character: number) => unknown][] = [
  ['textDocument/completion', (uri, line, character) => ({ textDocument: { uri }, position: { line, character } })],
  ['textDocument/hover', (uri, line, character) => ({ textDocument: { uri }, position: { line, character } })],
  ['textDocument/definition', (uri, line, character) => ({ textDocument: { uri }, position: { line, character } })],
  ['textDocument/references', (uri, line, character) => ({ textDocument: { uri }, position: { line, character }, context: { includeDeclaration: true } })],
  ['textDocument/documentSymbol', (uri) => ({ textDocument: { uri } })],
  ['textDocument/foldingRange', (uri) => ({ textDocument: { uri } })],
  ['textDocument/codeAction', (uri, line, character) => ({ textDocument: { uri }, range: { start: { line, character: 0 }, end: { line, character } }, context: { diagnostics: [] } })],
];

describe(`LSP fuzz (${DOCS} documents)`, () => {
  let lsp: LspSession;
  let traffic = 0;
  let canaryHits = 0;
  before(async () => {
    lsp = await LspSession.start({ env: { FUZZ_TOKEN: CANARY } });
    lsp.proc.stdout!.on('data', (b: Buffer) => {
      traffic += b.length;
      if (b.toString('latin1').includes(CANARY)) canaryHits++;
    });
  });
  after(async () => lsp.stop());

  test('every request answered, memory bounded, no canary in the traffic', { timeout: scale(600_000, 24 * 3600_000) }, async () => {
    const r = rng(0x11fa22);
    const latencies: number[] = [];
    let peak = 0;
    let errors = 0;
    const started = performance.now();
    let done = 0;
    for (let doc = 0; doc < DOCS; doc++) {
      if (BUDGET_S && performance.now() - started > BUDGET_S * 1000) break;
      done++;
      const uri = `file:///tmp/cnp-fuzz11/d${doc % 50}/.codex/${doc % 4 === 1 ? 'requirements' : 'config'}.toml`;
      const size = doc % FULL_SIZE_EVERY === 0 ? 1 : 0.05;
      const text = mutate(r, BASE[doc % BASE.length]!, size);
      await lsp.open(uri, text).catch(() => undefined);
      await lsp.change(uri, mutate(r, text, size), false); // a stale version right behind the first
      const lines = text.split(/\r?\n/);
      const pending: Promise<void>[] = [];
      for (let q = 0; q < METHODS.length; q++) {
        const line = Math.floor(r() * (lines.length + 2));
        const character = Math.floor(r() * Math.min(200, (lines[line]?.length ?? 5) + 3));
        const [method, params] = METHODS[q]!;
        const start = performance.now();
        pending.push(lsp.request(method, params(uri, line, character)).then(() => undefined, () => void errors++).then(() => void latencies.push(performance.now() - start)));
      }
      await Promise.all(pending);
      await lsp.close(uri);
      if (doc % 20 === 0) peak = Math.max(peak, rssMb(lsp.proc.pid!));
    }
    const seconds = (performance.now() - started) / 1000;
    figure('lsp fuzz', { documents: done, docsPerS: done / seconds, seconds, requests: latencies.length, errorReplies: errors, p50ms: percentile(latencies, 50), p99ms: percentile(latencies, 99), maxMs: percentile(latencies, 100), over1s: latencies.filter((l) => l > 1000).length, peakRssMb: peak, trafficMb: traffic / 1e6 });
    assert.equal(latencies.length, done * METHODS.length);
    if (!BUDGET_S) assert.equal(done, DOCS);
    assert.equal(errors, 0, 'every request gets a result, not an error');
    assert.equal(lsp.exited, false);
    assert.ok(peak <= 500, `peak RSS ${peak} MB`);
    assert.equal(canaryHits, 0, 'the canary never appears in LSP traffic');
    assert.equal(lsp.logs.filter((l) => l.includes(CANARY)).length, 0);
  });
});
