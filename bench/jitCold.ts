// One cold analysis in this process (what the language server's worker does on its first document):
// load + validate + ranges of the findings. Run with V8 trace flags to count optimised compiles and deopts.
import { largePolicy } from './fixtures';
import { loadDocument, rangeOf } from '../core/toml/load';
import { validateDocuments } from '../core/validate/documents';
import { readdirSync, readFileSync } from 'node:fs';

/** CPU ms of this process's main thread and of all its other threads (V8's compiler and GC helpers); Linux only. */
function threads(): { main: number; helpers: number } {
  let main = 0, helpers = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    const ms = Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
    if (tid === String(process.pid)) main = ms;
    else helpers += ms;
  }
  return { main, helpers };
}

const text = largePolicy(1000);
const rounds = Number(process.argv[2] ?? 1);
for (let i = 0; i < rounds; i++) {
  const t = performance.now(), before = threads();
  const doc = loadDocument(text, '/tmp/cnp-jit/.codex/config.toml', 'config');
  const loaded = threads();
  if (process.env.JIT_MARK) process.stdout.write('--- loaded\n'); // in line with V8's --trace-opt output
  const ds = validateDocuments(doc, undefined, { strict: false, envHas: () => false, fileExists: () => false }).filter((d) => d.file === 'config');
  let n = 0;
  for (const d of ds) n += (d.range ?? rangeOf(doc.index, d.path, d.target)).start.line;
  process.stderr.write(`round ${i}: ${(performance.now() - t).toFixed(1)} ms, ${ds.length} findings (${n}); CPU main ${(threads().main - before.main).toFixed(0)} ms, helpers ${(threads().helpers - before.helpers).toFixed(0)} ms (load: main ${(loaded.main - before.main).toFixed(0)}, helpers ${(loaded.helpers - before.helpers).toFixed(0)})\n`);
}
