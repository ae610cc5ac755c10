// dist/server.js: in the main thread, the relay that guarantees every request an answer in time
// (server/relay.ts), with the language server (server/main.ts) in a worker thread of the same
// process. CODEX_NETPOLICY_LSP_INLINE=1, or a transport the relay does not speak (socket, pipe),
// runs the server in the main thread as before; CODEX_NETPOLICY_LSP_ANSWER_MS sets the relay's
// answer budget (default 500 ms); CODEX_NETPOLICY_LSP_HEAP_MB the worker's memory cap (server/relayWorker.ts).
import { isMainThread } from 'node:worker_threads';
import { editorTransport, startRelay } from './relay';

const transport = isMainThread && process.env.CODEX_NETPOLICY_LSP_INLINE !== '1' ? editorTransport(process.argv) : undefined;
const budgetMs = Number(process.env.CODEX_NETPOLICY_LSP_ANSWER_MS);
const heapMb = Number(process.env.CODEX_NETPOLICY_LSP_HEAP_MB);
if (transport) startRelay(__filename, transport, { ...(budgetMs > 0 ? { budgetMs } : {}), ...(heapMb > 0 ? { limits: { heapMb } } : {}) });
else void import('./main');
