// `[permissions.<profile>.network]` and its `mitm` table: the newest shape Codex accepts,
// plus the legacy keys users still have on disk (known, so they get a precise warning and a fix).
import { z } from 'zod';
import { field, looseTable, strictTable, withMeta } from './meta';

const domainPermission = withMeta(z.enum(['allow', 'deny']), {
  description: '`allow` admits the host pattern; `deny` blocks it and always wins over any allow.',
});
const socketPermission = withMeta(z.enum(['allow', 'deny']), {
  description: '`allow` lets commands reach this unix socket through the proxy (macOS only); `deny` lists it without allowing it.',
});

export const domainsTable = withMeta(z.record(z.string(), domainPermission), {
  description:
    'Host patterns mapped to `allow` or `deny`.\n\n' +
    '- `example.com`: exactly that host\n- `*.example.com`: any subdomain, not the apex\n' +
    '- `**.example.com`: the apex and any subdomain\n- `*`: every host (allow only)\n\n' +
    'Deny wins over allow; with no allow entry every host is blocked.',
  keyLabel: 'host pattern',
});

export const unixSocketsTable = withMeta(z.record(z.string(), socketPermission), {
  description: 'Absolute unix socket paths mapped to `allow` or `deny`. Only `allow` entries are used; socket proxying works on macOS only.',
  keyLabel: 'socket path',
});

const stringList = z.array(z.string());
// Hooks, actions and injected headers ignore unknown keys in Codex's parser (permissions_toml.rs
// derives no `deny_unknown_fields` for them; only the generated JSON schema is strict), so they
// are loose tables here; `mitm` itself is strict (NetworkMitmTomlUnchecked denies unknown fields).
const MATCHERS_DOC =
  'Allowed values; any one matching is enough. A plain value matches exactly; `pattern:<glob>` matches the whole value by glob; `literal:<text>` forces an exact match.';
const valueMatchers = withMeta(z.array(z.string()), { description: MATCHERS_DOC, valueSource: 'valueMatcher' });
const headerNames = withMeta(z.array(z.string()), { valueSource: 'headerName' });

// Required and non-empty rules, and their codes, are metadata: the lowering pass (core/lower/mitm.ts)
// reads them, so the rule exists here once for the editor, `check` and the proxy alike.
export const hookTable = looseTable(
  {
    host: field(z.string(), 'Exact host this hook applies to (no wildcards), normalised like domain patterns. Requests to a host with hooks are decrypted (MITM); a request that matches none of its hooks is **blocked**, and plain `http://` to it is refused (`mitm_required`).', { required: 'mitm-hook-missing-field' }),
    methods: field(stringList, 'HTTP methods this hook matches (case-insensitive). Required, non-empty.', {
      required: 'mitm-hook-missing-field', nonEmpty: { code: 'mitm-methods-empty', label: 'match.methods' }, valueSource: 'httpMethod',
    }),
    path_prefixes: field(
      stringList,
      'Paths this hook matches; any one is enough. A plain value or `literal:<x>` is a path prefix; `pattern:<glob>` matches the whole path, where `*` stays within one segment and a whole `**` segment crosses segments. Ambiguous paths never match: a `.`/`..` segment (raw or `%2e`), a raw `\\`, an encoded `%`, `/` or `\\` (`%25`, `%2f`, `%5c`), or a broken `%` escape.',
      { required: 'mitm-hook-missing-field', nonEmpty: { code: 'mitm-path-invalid', label: 'match.path_prefixes' }, valueSource: 'pathMatcher' },
    ),
    query: field(z.record(z.string(), valueMatchers), 'Query parameters that must all be present, each with at least one value matching one of the listed matchers (values are URL-decoded).', { keyLabel: 'query parameter' }),
    headers: field(z.record(z.string(), valueMatchers), 'Request headers that must all be present; an empty list only requires presence, otherwise one value must match.', { keyLabel: 'header name', keySource: 'headerName' }),
    body: field(z.unknown(), 'Reserved for a future release: Codex rejects any `body` matcher.', { removed: 'Codex rejects body matchers: "match.body is reserved for a future release and is not yet supported".', code: 'mitm-body-unsupported' }),
    action: field(stringList, 'Names of actions (from `mitm.actions`) applied, in order, when this hook matches. Required, non-empty.', {
      required: 'mitm-hook-missing-field', nonEmpty: { code: 'mitm-action-empty', label: 'action' }, valueSource: 'action',
    }),
  },
  'A MITM hook: which decrypted requests to one host it matches, and the actions applied to them. Hooks for a host are tried in the order written; the first match wins.',
);

export const injectedHeader = looseTable(
  {
    name: field(z.string(), 'Header name to set (replaces any value the client sent).', { valueSource: 'headerName' }),
    secret_env_var: field(z.string(), 'Environment variable of the **proxy process** holding the secret; read when the policy loads. Exactly one of `secret_env_var` / `secret_file`.', { valueSource: 'envVar' }),
    secret_file: field(z.string(), 'Absolute path of a file holding the secret (read whole and trimmed when the policy loads). Exactly one of `secret_env_var` / `secret_file`.'),
    prefix: field(z.string(), 'Text put before the secret, e.g. `"Bearer "`.'),
  },
  'A header injected into matching requests, its value read from a secret source. The value never appears in logs or in the decision log.',
  { exactlyOne: { keys: ['secret_env_var', 'secret_file'], code: 'mitm-secret-source' } },
);

export const actionTable = looseTable(
  {
    strip_request_headers: field(headerNames, 'Request headers removed (all values) before forwarding.'),
    inject_request_headers: field(z.array(injectedHeader), 'Headers set after stripping, with values read from environment variables or files.'),
  },
  'A named, reusable action: strip then inject request headers. Must define at least one operation.',
);

const mitmTable = strictTable(
  {
    hooks: field(z.record(z.string(), hookTable), 'Named hooks. Any hook turns MITM on for its host; the first matching hook (in file order) wins.', { keyLabel: 'hook name' }),
    actions: field(z.record(z.string(), actionTable), 'Named actions referenced by hooks in `action = [...]`.', { keyLabel: 'action name' }),
    enabled: field(z.unknown(), 'Removed. MITM is on automatically when `mode = "limited"` or at least one hook exists.', {
      removed: '`mitm.enabled` was removed from Codex: MITM turns on by itself when `mode = "limited"` or at least one hook exists. Delete this key.',
      code: 'mitm-enabled-removed',
    }),
  },
  'HTTPS interception (MITM) for chosen hosts: hooks match decrypted requests, actions rewrite their headers. Only `hooks` and `actions` are allowed here.',
);

const legacyList = (what: string, replacement: string) =>
  field(stringList, `Legacy list of ${what}. Current Codex ignores it; use \`${replacement}\`.`, {
    deprecated: `Legacy list form: current Codex ignores it. Use the \`${replacement}\` table instead.`,
    code: 'legacy-network-list',
  });

export const networkTable = looseTable(
  {
    enabled: field(z.boolean(), 'Turns the sandbox network policy and the managed proxy on. Without `enabled = true` this profile has no network at all.', { defaultText: 'false' }),
    mode: field(withMeta(z.enum(['limited', 'full']), { description: '`full`: all methods. `limited`: only GET, HEAD, OPTIONS; every HTTPS request is decrypted (MITM).' }), '`full` (all methods) or `limited` (GET/HEAD/OPTIONS only; HTTPS always decrypted so the method can be checked).', { defaultText: '"full"' }),
    proxy_url: field(z.string(), 'HTTP proxy listener address. Non-loopback binds are clamped to loopback unless `dangerously_allow_non_loopback_proxy`.', { defaultText: '"http://127.0.0.1:3128"' }),
    enable_socks5: field(z.boolean(), 'Run the SOCKS5 listener.', { defaultText: 'true (Codex ≥ 0.13x; older: false)' }),
    socks_url: field(z.string(), 'SOCKS5 listener address.', { defaultText: '"http://127.0.0.1:8081"' }),
    enable_socks5_udp: field(z.boolean(), 'Relay UDP over SOCKS5 (blocked in limited mode).', { defaultText: 'true (Codex ≥ 0.13x; older: false)' }),
    allow_upstream_proxy: field(z.boolean(), "Send outbound traffic through the proxy process's own `HTTP(S)_PROXY` / `ALL_PROXY` (HTTP proxies only).", { defaultText: 'true' }),
    dangerously_allow_non_loopback_proxy: field(z.boolean(), 'Allow the listeners to bind non-loopback addresses. Dangerous: other machines could use the proxy.', { defaultText: 'false' }),
    dangerously_allow_all_unix_sockets: field(z.boolean(), 'Allow every unix socket (and lift the absolute-path rule).', { defaultText: 'false' }),
    allow_local_binding: field(z.boolean(), 'When false, loopback/private/link-local destinations are blocked unless an IP literal or `localhost` is allowlisted exactly; names resolving to private addresses stay blocked.', { defaultText: 'false (older Codex: true)' }),
    domains: field(domainsTable, domainsTable.description ?? '', { keyLabel: 'host pattern' }),
    unix_sockets: field(unixSocketsTable, unixSocketsTable.description ?? '', { keyLabel: 'socket path' }),
    mitm: field(mitmTable, mitmTable.description ?? ''),
    allowed_domains: legacyList('allowed host patterns', 'domains'),
    denied_domains: legacyList('denied host patterns', 'domains'),
    allow_unix_sockets: legacyList('allowed unix sockets', 'unix_sockets'),
    admin_url: field(z.string(), 'Removed admin API address.', { deprecated: 'The admin API was removed from Codex; this key has no effect.', code: 'legacy-network-key' }),
    dangerously_allow_non_loopback_admin: field(z.boolean(), 'Removed admin API setting.', { deprecated: 'The admin API was removed from Codex; this key has no effect.', code: 'legacy-network-key' }),
  },
  'Network policy of this permission profile: whether the managed proxy runs, which hosts it admits, and MITM hooks.',
);

