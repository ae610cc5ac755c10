// Fuzzing the live server: documents made of truncations and garbage, every request type at
// many positions. Each request must be answered (a result or an error reply) and the server
// must stay alive and keep publishing diagnostics.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LspSession } from './harness';

/** Deterministic PRNG (mulberry32), so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BASE = [
  readFileSync(join(__dirname, '..', '..', 'examples', 'demo', '.codex', 'config.toml'), 'utf8'),
  readFileSync(join(__dirname, '..', 'fixtures', 'lsp', 'seed001.requirements.toml'), 'utf8'),
  readFileSync(join(__dirname, '..', 'fixtures', 'lsp', 'article.config.toml'), 'utf8'),
];
const JUNK = ['[', ']', '[[', '"', "'''", '"""', '=', '.', ',', '{', '}', '\\', '\u0000', '\ud800', '#', '\n', '\r\n', 'a.b.c', '= [1, {x = ', '[permissions.', '🙂', '\t'];

function mutate(r: () => number, text: string): string {
  const pick = Math.floor(r() * 4);
  if (pick === 0) return text.slice(0, Math.floor(r() * text.length)); // truncation
  if (pick === 1) {
    let out = text;
    for (let i = 0; i < 1 + Math.floor(r() * 6); i++) {
      const at = Math.floor(r() * out.length);
      out = out.slice(0, at) + JUNK[Math.floor(r() * JUNK.length)]! + out.slice(at + Math.floor(r() * 4));
    }
    return out;
  }
  if (pick === 2) return Array.from({ length: 1 + Math.floor(r() * 40) }, () => JUNK[Math.floor(r() * JUNK.length)]!).join('');
  return text.split('\n').filter(() => r() > 0.3).join('\n');
}

const METHODS: [string, (uri: string, line: number, character: number) => unknown][] = [
  ['textDocument/completion', (uri, line, character) => ({ textDocument: { uri }, position: { line, character } })],
  ['textDocument/hover', (uri, line, character) => ({ textDocument: { uri }, position: { line, character } })],
  ['textDocument/definition', (uri, line, character) => ({ textDocument: { uri }, position: { line, character } })],
  ['textDocument/references', (uri, line, character) => ({ textDocument: { uri }, position: { line, character }, context: { includeDeclaration: true } })],
  ['textDocument/prepareRename', (uri, line, character) => ({ textDocument: { uri }, position: { line, character } })],
  ['textDocument/rename', (uri, line, character) => ({ textDocument: { uri }, position: { line, character }, newName: 'renamed_x' })],
  ['textDocument/documentSymbol', (uri) => ({ textDocument: { uri } })],
  ['textDocument/foldingRange', (uri) => ({ textDocument: { uri } })],
  ['textDocument/codeAction', (uri, line, character) => ({ textDocument: { uri }, range: { start: { line, character: 0 }, end: { line, character } }, context: { diagnostics: [] } })],
];

describe('lsp robustness', () => {
  let lsp: LspSession;
  before(async () => {
    lsp = await LspSession.start();
  });
  after(async () => lsp.stop());

  it('answers every request on fuzzed documents and stays alive', async () => {
    const r = rng(0xc0dec5);
    let answered = 0;
    let errors = 0;
    for (let doc = 0; doc < 40; doc++) {
      const uri = `file:///tmp/cnp-fuzz/d${doc}/.codex/${doc % 3 === 1 ? 'requirements' : 'config'}.toml`;
      const text = mutate(r, BASE[doc % BASE.length]!);
      await lsp.open(uri, text);
      const lines = text.split(/\r?\n/);
      const pending: Promise<void>[] = [];
      for (let q = 0; q < 25; q++) {
        const line = Math.floor(r() * (lines.length + 2)); // sometimes past the end
        const character = Math.floor(r() * ((lines[line]?.length ?? 5) + 3));
        const [method, params] = METHODS[q % METHODS.length]!;
        pending.push(
          lsp.request(method, params(uri, line, character)).then(
            () => void answered++,
            // An error reply is still an answer; the server must not die.
            () => void errors++,
          ),
        );
      }
      await Promise.all(pending);
      await lsp.close(uri);
    }
    assert.equal(answered + errors, 40 * 25);
    assert.equal(lsp.exited, false);
    // Still publishing diagnostics after all that.
    const ds = await lsp.open('file:///tmp/cnp-fuzz/final/.codex/config.toml', 'bogus_key = 1\n');
    assert.equal(ds.length, 1);
    assert.equal(ds[0]!.code, 'unknown-key');
  });

  it('survives edits that break and repair a document mid-stream', async () => {
    const uri = 'file:///tmp/cnp-fuzz/edit/.codex/config.toml';
    const base = BASE[0]!;
    await lsp.open(uri, base);
    const r = rng(7);
    for (let i = 0; i < 30; i++) await lsp.change(uri, mutate(r, base), false);
    const ds = await lsp.change(uri, base);
    assert.equal(ds?.filter((d) => d.severity === 1).length, 0);
    assert.equal(lsp.exited, false);
  });
});
