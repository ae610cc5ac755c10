// The language server says when it is warm (its first analysis published, or priming done) to
// whoever loaded it (server/codeCache.ts, in the other bundle: hence a registered symbol, the same
// in both): that is when a code cache holds what a first analysis needs compiled.
const HOOK = Symbol.for('codex-netpolicy.serverWarm');
type WithHook = typeof globalThis & { [HOOK]?: () => void };

/** Runs `then` once, when the server first says it is warm. */
export function onServerWarm(then: () => void): void {
  (globalThis as WithHook)[HOOK] = then;
}

/** Called by the server after an analysis; only the first call does anything. */
export function serverWarm(): void {
  const g = globalThis as WithHook;
  const then = g[HOOK];
  if (!then) return;
  delete g[HOOK];
  then();
}
