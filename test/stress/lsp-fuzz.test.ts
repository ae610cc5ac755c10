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
 * every 500th (the rest up to 1/20 of that): 200 documents of up to 1 MB, and the 1 MB shapes
 * themselves are measured request by request in lsp-hostile.test.ts.
 */
const FULL_SIZE_EVERY = scale(1, 500);
/**
 * Server processes, each with documents in flight at once (the open, a stale edit and the requests
 * of each pipelined, none waiting for a debounce), so the long run takes minutes, not hours.
 */
const SERVERS = Number(process.env.STRESS_FUZZ_SERVERS ?? scale(1, 2));
const IN_FLIGHT = 4;
/** A request not answered within this is counted unanswered (the goal is 1 s; this catches hangs). */
const UNANSWERED_MS = 30_000;
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
  ['textDocument/semanticTokens/full', (uri) => ({ textDocument: { uri } })],
  ['textDocument/codeAction', (uri, line, character) => ({ textDocument: { uri }, range: { start: { line, character: 0 }, end: { line, character } }, context: { diagnostics: [] } })],
];

interface Tally { latencies: number[]; errors: number; unanswered: number; peak: number; done: number; canaryHits: number; traffic: number }

/** One document: opened, replaced at once by a stale-making edit, every request type, closed. */
async function fuzzDocument(lsp: LspSession, uri: string, doc: number, tally: Tally): Promise<void> {
  const r = rng(0x11fa22 ^ Math.imul(doc, 0x9e3779b1));
  const size = doc % FULL_SIZE_EVERY === 0 ? 1 : 0.05;
  const text = mutate(r, BASE[doc % BASE.length]!, size);
  await lsp.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'toml', version: 1, text } });
  await lsp.change(uri, mutate(r, text, size), false); // the opened version is stale at once
  const lines = text.split(/\r?\n/);
  await Promise.all(METHODS.map(async ([method, params]) => {
    const line = Math.floor(r() * (lines.length + 2));
    const character = Math.floor(r() * Math.min(200, (lines[line]?.length ?? 5) + 3));
    const start = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((res) => (timer = setTimeout(() => res('late'), UNANSWERED_MS)));
    const outcome = await Promise.race([lsp.request(method, params(uri, line, character)).then(() => 'ok' as const, () => 'error' as const), late]);
    clearTimeout(timer);
    if (outcome === 'late') tally.unanswered++;
    else if (outcome === 'error') tally.errors++;
    tally.latencies.push(performance.now() - start);
  }));
  await lsp.close(uri);
  if (++tally.done % 10_000 === 0) figure('lsp fuzz progress', { documents: tally.done, p99ms: percentile(tally.latencies, 99), peakRssMb: tally.peak });
}

describe(`LSP fuzz (${DOCS} documents, ${SERVERS} server${SERVERS > 1 ? 's' : ''})`, () => {
  const sessions: LspSession[] = [];
  const tally: Tally = { latencies: [], errors: 0, unanswered: 0, peak: 0, done: 0, canaryHits: 0, traffic: 0 };
  before(async () => {
    for (let i = 0; i < SERVERS; i++) {
      const lsp = await LspSession.start({ env: { FUZZ_TOKEN: CANARY, CODEX_NETPOLICY_LSP_ANSWER_MS: undefined } });
      for (const stream of [lsp.proc.stdout!, lsp.proc.stderr!]) {
        let tail = ''; // a canary split across two chunks is still found
        stream.on('data', (b: Buffer) => {
          tally.traffic += b.length;
          const seen = tail + b.toString('latin1');
          if (seen.includes(CANARY)) tally.canaryHits++;
          tail = seen.slice(-CANARY.length);
        });
      }
      sessions.push(lsp);
    }
  });
  after(async () => Promise.all(sessions.map((s) => s.stop())));

  test('every request answered, memory bounded, no canary in the traffic', { timeout: scale(600_000, 6 * 3600_000) }, async () => {
    const started = performance.now();
    const sampler = setInterval(() => sessions.forEach((s) => (tally.peak = Math.max(tally.peak, rssMb(s.proc.pid!)))), 250);
    let next = 0;
    const take = () => (next < DOCS && !(BUDGET_S && performance.now() - started > BUDGET_S * 1000) ? next++ : -1);
    // Each lane keeps one document in flight on its own URI; lanes share a server.
    await Promise.all(sessions.flatMap((lsp, s) => Array.from({ length: IN_FLIGHT }, async (_, lane) => {
      for (let doc = take(); doc >= 0; doc = take()) {
        await fuzzDocument(lsp, `file:///tmp/cnp-fuzz11/s${s}l${lane}/.codex/${doc % 4 === 1 ? 'requirements' : 'config'}.toml`, doc, tally);
      }
    })));
    clearInterval(sampler);
    const seconds = (performance.now() - started) / 1000;
    const { latencies, done } = tally;
    figure('lsp fuzz', {
      documents: done, servers: SERVERS, docsPerS: done / seconds, seconds, requests: latencies.length, errorReplies: tally.errors, unanswered: tally.unanswered,
      p50ms: percentile(latencies, 50), p99ms: percentile(latencies, 99), maxMs: percentile(latencies, 100), over1s: latencies.filter((l) => l > 1000).length,
      peakRssMb: tally.peak, trafficMb: tally.traffic / 1e6,
    });
    assert.equal(latencies.length, done * METHODS.length);
    if (!BUDGET_S) assert.equal(done, DOCS);
    assert.equal(tally.unanswered, 0, 'every request is answered');
    assert.equal(tally.errors, 0, 'every request gets a result, not an error');
    assert.ok(sessions.every((s) => !s.exited), 'no server exited');
    assert.ok(tally.peak <= 500, `peak RSS ${tally.peak} MB`);
    assert.equal(tally.canaryHits, 0, 'the canary never appears in LSP traffic or the server\'s stderr');
    assert.equal(sessions.flatMap((s) => s.logs).filter((l) => l.includes(CANARY)).length, 0);
  });
});
