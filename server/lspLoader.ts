// dist/lspLoader.js: what the language server's worker thread runs (server/entry.ts starts it): the
// language server (dist/lsp.js) with its V8 code cache (server/codeCache.ts). A file of its own, so
// the worker loads nothing of the relay.
import { runServer } from './codeCache';

runServer();
