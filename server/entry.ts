// dist/server.js: in the main thread, the relay that guarantees every request an answer in time
// (server/relay.ts), with the language server (server/main.ts, bundled apart as dist/lsp.js) in a
// worker thread of the same process. This bundle holds only the relay and the loader: the main
// thread starts the worker first thing (server/relayLaunch.ts), then loads the relay, instead of
// first loading the whole server it never runs (#8). The worker runs dist/lspLoader.js, which loads
// dist/lsp.js with a V8 code cache (server/codeCache.ts).
// CODEX_NETPOLICY_LSP_INLINE=1, or a transport the relay does not speak (socket, pipe), runs the
// server in the main thread as before; CODEX_NETPOLICY_LSP_ANSWER_MS sets the relay's answer budget
// (default 500 ms); CODEX_NETPOLICY_LSP_HEAP_MB the worker's memory cap (server/relayLaunch.ts);
// CODEX_NETPOLICY_LSP_CACHE_DIR the code cache's directory (`none`: no cache).
import { launched, WORKER_ENTRY } from './relayLaunch'; // first: it starts the worker before the rest loads
import { runServer } from './codeCache';
import { editorTransport, startRelay } from './relay';

const { transport, budgetMs, limits, worker } = launched;
if (transport) startRelay(WORKER_ENTRY, editorTransport(transport), { ...(budgetMs ? { budgetMs } : {}), limits, ...(worker ? { worker } : {}) });
else runServer();
