// LSP benchmarks: (1) full diagnostics (parse + index + every rule) on a generated 10,000-line
// policy with 1,000 MITM hooks, in process; (2) p95 completion latency on a 1,000-line file over
// a real stdio LSP connection. Run: npm run build && node --import tsx test/bench/lsp.bench.ts
import { performance } from 'node:perf_hooks';
import { loadDocument } from '../../core/toml/load';
import { validateDocuments } from '../../core/validate/documents';
import { largePolicy } from '../../bench/fixtures';
import { LspSession } from '../lsp/harness';

const policy = (hooks: number): string => largePolicy(hooks);

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

async function main(): Promise<void> {
  const text = policy(1000);
  const lines = text.split('\n').length - 1;
  const runs: number[] = [];
  let count = 0;
  for (let i = 0; i < 12; i++) {
    const t0 = performance.now();
    const doc = loadDocument(text, '/bench/.codex/config.toml', 'config');
    count = validateDocuments(doc, undefined, { envHas: () => true, fileExists: () => true }).length;
    runs.push(performance.now() - t0);
  }
  const warm = runs.slice(2);
  console.log(`full diagnostics, ${lines} lines / 1000 hooks: median ${pct(warm, 0.5).toFixed(1)} ms, p95 ${pct(warm, 0.95).toFixed(1)} ms, first ${runs[0]!.toFixed(1)} ms (${count} diagnostics)`);

  const lsp = await LspSession.start();
  try {
    const small = policy(100).split('\n').slice(0, 1000).join('\n') + '\n[permissions.w.network]\n\n';
    const uri = 'file:///tmp/cnp-bench/.codex/config.toml';
    await lsp.open(uri, small);
    const last = small.split('\n').length - 2;
    const positions = [{ line: 8, character: 0 }, { line: 12, character: 10 }, { line: last, character: 0 }];
    const times: number[] = [];
    let items = 0;
    for (let i = 0; i < 300; i++) {
      const t0 = performance.now();
      const res = await lsp.request<{ items?: unknown[] } | unknown[] | null>('textDocument/completion', { textDocument: { uri }, position: positions[i % positions.length] });
      times.push(performance.now() - t0);
      items = Array.isArray(res) ? res.length : res?.items?.length ?? 0;
    }
    const t = times.slice(20);
    console.log(`completion over stdio, ~1000-line file: p50 ${pct(t, 0.5).toFixed(2)} ms, p95 ${pct(t, 0.95).toFixed(2)} ms (${items} items last)`);
  } finally {
    await lsp.stop();
  }
}

void main();
