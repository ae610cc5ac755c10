// Primes the worker while it is idle after `initialized` (#8): analyses of a small policy that touches
// every rule family (domains, hooks with literal and glob matchers, query and header matchers,
// actions with injected secrets, profiles with `extends`, requirements), repeated with more hooks,
// so the first document a user opens does not pay for what is built and tuned on first use: zod's
// generated parsers per table schema, regular expressions, lazily compiled functions, their type
// feedback and V8's optimised code. It stops as soon as a document is open: then it would only
// delay that document's analysis (see docs/semantics.md, #8 cold diagnostics).
import { loadDocument } from '../core/toml/load';
import { validateDocuments, type DocumentDiagnostic } from '../core/validate/documents';
import { serverWarm } from './warm';

const CONFIG = `default_permissions = "p"
[permissions.base.network]
enabled = true
[permissions.p]
extends = "base"
[permissions.p.network]
enabled = true
[permissions.p.network.domains]
"api.example.com" = "allow"
"*.example.org" = "allow"
"bad.example.com" = "deny"
[permissions.p.network.mitm.hooks.h1]
host = "api.example.com"
methods = ["GET", "POST"]
path_prefixes = ["/v1/", "pattern:/x/*", "literal:/y"]
action = ["a1"]
query = { page = ["1", "pattern:2*"] }
headers = { "x-h" = ["v"] }
[permissions.p.network.mitm.hooks.h2]
host = "api.example.com"
methods = ["GET"]
path_prefixes = ["/v1/a"]
action = ["a1"]
[permissions.p.network.mitm.actions.a1]
strip_request_headers = ["authorization"]
[[permissions.p.network.mitm.actions.a1.inject_request_headers]]
name = "x-token"
secret_env_var = "CODEX_NETPOLICY_PRIME_TOKEN"
prefix = "Bearer "
`;

const REQUIREMENTS = `[experimental_network]
enabled = true
allowed_domains = ["api.example.com"]
`;

/** A slice's extra hooks and actions, in the shape of h1/a1: repeated, the hot paths get optimised. */
function hooks(slice: number): string {
  const out: string[] = [];
  for (let i = 0; slice > 0 && i < HOOKS_PER_SLICE; i++) {
    const n = slice * HOOKS_PER_SLICE + i;
    out.push(`[permissions.p.network.mitm.hooks.m${n}]`, `host = "h${n % 10}.example.org"`, 'methods = ["GET", "POST"]',
      `path_prefixes = ["/api/v${n}/", "pattern:/x/${n}/*"]`, 'action = ["a1"]', 'query = { page = ["1", "pattern:2*"] }', '# a comment');
  }
  return out.join('\n') + '\n';
}

/**
 * Slices of a few ms each once warm; the first (the small policy alone, cold) ~30–50 ms: the most a
 * message arriving during priming waits for it.
 */
const HOOKS_PER_SLICE = 25;
export const SLICES = 16;

/** One slice's analysis (exported for its test: the policy must stay valid as the model changes). */
export function primingFindings(slice: number): DocumentDiagnostic[] {
  const config = loadDocument(CONFIG + hooks(slice), '/codex-netpolicy-prime/.codex/config.toml', 'config');
  const requirements = loadDocument(REQUIREMENTS, '/codex-netpolicy-prime/.codex/requirements.toml', 'requirements');
  return validateDocuments(config, requirements, { envHas: () => false, fileExists: () => false });
}

function analyse(slice: number): void {
  try {
    primingFindings(slice);
  } catch {
    // a rule that throws here throws for the user's document too, where it is reported
  }
}

/** Idle time after `initialized` before priming starts: a document opened right behind it is never delayed. */
const IDLE_BEFORE_MS = 50;

/**
 * Primes in slices, one per event-loop turn, so messages are handled between them (the connection
 * handles one per turn too), once the session has been idle IDLE_BEFORE_MS; stops for good once
 * `busy()` (a document is open: from then on the user's own documents warm the server, and their
 * analyses must not wait behind ours).
 */
export function startPriming(busy: () => boolean): void {
  let slice = 0;
  const next = () => {
    if (slice >= SLICES) serverWarm();
    if (busy() || slice >= SLICES) return;
    analyse(slice++);
    setImmediate(next);
  };
  setTimeout(next, IDLE_BEFORE_MS);
}
