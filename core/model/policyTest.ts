// `*.policytest.toml`: a policy under test and the decisions it must make. One model serves the
// CLI (`codex-netpolicy test`) and the language server (diagnostics, completion, hover).
import { z } from 'zod';
import { field, strictTable, withMeta } from './meta';

export const POLICY_TEST_FILE = /\.policytest\.toml$/i;

const BLOCK_REASONS = [
  'denied', 'not_allowed', 'not_allowed_local', 'method_not_allowed', 'mitm_required', 'mitm_hook_denied', 'policy_denied', 'proxy_disabled', 'unix_socket_unsupported',
] as const;

const headerList = (what: string) => withMeta(z.array(z.string()), { description: what, keyLabel: 'header name' });

const policyTestCase = strictTable(
  {
    name: field(z.string(), 'What this case pins, shown when it fails.'),
    request: field(z.string(), 'The request: `"METHOD URL"`, e.g. `"POST https://api.github.com/repos/acme/app/issues"`. Nothing is sent.'),
    headers: field(withMeta(z.record(z.string(), z.string()), { keyLabel: 'header name' }), 'Request headers (hooks can match on them), e.g. `{ accept = "application/json" }`.', { keyLabel: 'header name' }),
    resolve: field(withMeta(z.record(z.string(), z.string()), { keyLabel: 'host' }), 'Host → address, as `--resolve`: e.g. `{ "internal.example" = "10.0.0.5" }`. Unlisted names count as public; `""` makes a name unresolvable.', { keyLabel: 'host' }),
    expect: field(z.enum(['allow', 'deny']), 'The decision the policy must make: `allow` or `deny`.'),
    reason: field(z.enum(BLOCK_REASONS), 'Expected block reason (upstream\'s), e.g. `mitm_hook_denied`, `denied`, `not_allowed`.'),
    hook: field(z.string(), 'The MITM hook that must match (a name under `network.mitm.hooks`).'),
    strip: field(headerList('Headers the matching hook must strip (exactly this set, any order).'), 'Headers the matching hook must strip (exactly this set, any order).'),
    inject: field(headerList('Headers the matching hook must inject (exactly this set; values are never needed).'), 'Headers the matching hook must inject (exactly this set; values are never needed).'),
    status: field(z.int(), 'HTTP status the proxy answers with (200 when allowed, 403 when blocked, …).'),
    mitm: field(z.boolean(), 'Whether the proxy decrypts the connection (MITM) for this request.'),
  },
  'One case: a request and the decision it must get.',
);

export const policyTestSchema = strictTable(
  {
    config: field(z.string(), 'The `config.toml` under test, relative to this file.'),
    requirements: field(z.string(), 'The managed `requirements.toml` merged in, relative to this file (optional).'),
    profile: field(z.string(), 'Permission profile to test (default: `default_permissions` from the files).'),
    case: field(z.array(policyTestCase), 'The cases: `[[case]]` tables, each a request and the expected decision.'),
  },
  'Codex network policy test file.',
);

export type PolicyTestCase = z.infer<typeof policyTestCase>;
