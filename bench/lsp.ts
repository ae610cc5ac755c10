// Language-server figures over a real stdio connection to dist/server.js, run as its own
// process: full diagnostics for the 10,000-line / 1,000-hook policy (cold: the first document
// a fresh server sees; warm: re-opened), and completion p95 on a 1,000-line file.
// `--server FILE` measures another build (e.g. main's dist/server.js copied aside) for A/B runs;
// further arguments after `--` are node flags for the server process (e.g. --cpu-prof).
import { LspSession } from '../test/lsp/harness';
import { largePolicy } from './fixtures';
import { cpuSeconds, median } from './lib';

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

void (async () => {
  const text = largePolicy(1000);
  const args = process.argv.slice(2);
  const at = args.indexOf('--server'), dash = args.indexOf('--');
  const server = at >= 0 ? args[at + 1] : undefined;
  const lsp = await LspSession.start({ ...(server ? { server } : {}), nodeArgs: dash >= 0 ? args.slice(dash + 1) : [] });
  try {
    // CPU time of the server per open as well: wall time on a shared machine includes waiting for a core.
    const diag: number[] = [], cpu: number[] = [], pid = lsp.proc.pid!;
    for (let i = 0; i < 12; i++) {
      const uri = `file:///tmp/cnp-bench-${i}/.codex/config.toml`;
      const t = performance.now(), c = cpuSeconds(pid);
      await lsp.open(uri, text);
      diag.push(performance.now() - t);
      cpu.push((cpuSeconds(pid) - c) * 1000);
      await lsp.close(uri);
    }
    const small = largePolicy(100, 0).split('\n').slice(0, 1000).join('\n') + '\n[permissions.w.network]\n\n';
    const uri = 'file:///tmp/cnp-bench-small/.codex/config.toml';
    await lsp.open(uri, small);
    const last = small.split('\n').length - 2;
    const positions = [{ line: 8, character: 0 }, { line: 12, character: 10 }, { line: last, character: 0 }];
    const completion: number[] = [];
    for (let i = 0; i < 220; i++) {
      const t = performance.now();
      await lsp.request('textDocument/completion', { textDocument: { uri }, position: positions[i % positions.length] });
      completion.push(performance.now() - t);
    }
    const warm = completion.slice(20);
    process.stdout.write(JSON.stringify({ diagColdMs: diag[0], diagMedianMs: median(diag.slice(1)), diagColdCpuMs: cpu[0], diagMedianCpuMs: median(cpu.slice(1)), completionP50Ms: pct(warm, 0.5), completionP95Ms: pct(warm, 0.95) }) + '\n');
  } finally {
    await lsp.stop();
  }
})();
