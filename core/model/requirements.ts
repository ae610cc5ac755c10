// requirements.toml: admin-managed constraints. Codex silently drops unknown keys here; we warn.
import { z } from 'zod';
import { field, keyedTable, looseTable, withMeta } from './meta';
import { approvalPolicy, approvalsReviewer } from './config';
import { domainsTable, unixSocketsTable } from './network';
import { profileTable } from './profile';
import { requirementsHooksTable } from './lifecycleHooks';
import { mcpRequirement } from './mcp';

const nonEmptyList = <T extends z.ZodType>(el: T, name: string) =>
  z.array(el).refine((a) => a.length > 0, { message: `field \`${name}\` cannot be empty` });

const sandboxModeReq = z.enum(['read-only', 'workspace-write', 'danger-full-access', 'external-sandbox']);

const ignoredHere = (what: string) =>
  field(z.unknown(), `Not settable in requirements: ${what}`, { deprecated: `Codex ignores this key in [experimental_network]: ${what}`, code: 'requirements-ignored-key' });

const experimentalNetworkTable = looseTable(
  {
    enabled: field(z.boolean(), 'Forces the managed proxy on or off, and is a ceiling: a user `enabled = true` is invalid when this is false.'),
    http_port: field(z.int().min(0).max(65535), 'Run the HTTP proxy at `http://127.0.0.1:<port>`.'),
    socks_port: field(z.int().min(0).max(65535), 'Run the SOCKS5 proxy at `127.0.0.1:<port>`.'),
    allow_upstream_proxy: field(z.boolean(), 'Forced value and ceiling for `allow_upstream_proxy`.'),
    dangerously_allow_non_loopback_proxy: field(z.boolean(), 'Forced value and ceiling.'),
    dangerously_allow_all_unix_sockets: field(z.boolean(), 'Forced value and ceiling.'),
    allow_local_binding: field(z.boolean(), 'Forced value and ceiling for `allow_local_binding`.'),
    domains: field(domainsTable, 'Managed host patterns → `allow`/`deny`. Managed denies are always enforced; managed allows may not use `*`. Users may add allows unless `managed_allowed_domains_only`.', { keyLabel: 'host pattern' }),
    managed_allowed_domains_only: field(z.boolean(), 'Pin the allowlist to the managed `allow` entries: user allow entries have no effect and misses are hard denies.'),
    unix_sockets: field(unixSocketsTable, 'Managed unix sockets; when set, the socket allowlist is exactly the managed `allow` paths.', { keyLabel: 'socket path' }),
    header_injections: field(
      z.array(
        looseTable(
          {
            host: field(z.string(), 'Exact host.'),
            methods: field(z.array(z.string()), 'Methods.', { valueSource: 'httpMethod' }),
            path_prefixes: field(z.array(z.string()), 'Path prefixes.'),
            headers: field(z.record(z.string(), z.string()), 'Header name → value. Values are secrets.', { keyLabel: 'header' }),
          },
          'A managed header injection.',
        ),
      ),
      'Managed header injections on matching requests (newest Codex). They do not change allow/deny.',
    ),
    allowed_domains: field(z.array(z.string()), 'Legacy allow list; maps to `domains` with `allow`.', { deprecated: 'Legacy list: prefer the `domains` table (`"host" = "allow"`).', code: 'legacy-network-list' }),
    denied_domains: field(z.array(z.string()), 'Legacy deny list; maps to `domains` with `deny` (deny wins over allow).', { deprecated: 'Legacy list: prefer the `domains` table (`"host" = "deny"`).', code: 'legacy-network-list' }),
    allow_unix_sockets: field(z.array(z.string()), 'Legacy socket list; maps to `unix_sockets` with `allow`.', { deprecated: 'Legacy list: prefer the `unix_sockets` table.', code: 'legacy-network-list' }),
    danger_full_access_denylist_only: field(z.boolean(), 'Historical: danger-full-access sessions allow every host except the managed denies. Removed from the newest Codex (ignored there).', { deprecated: 'Removed from the newest Codex, which ignores it; older versions honour it.', code: 'requirements-removed-key' }),
    dangerously_allow_non_loopback_admin: field(z.boolean(), 'Oldest versions only (admin API).', { deprecated: 'The admin API was removed; this key has no effect.', code: 'legacy-network-key' }),
    mode: ignoredHere('the mode can only be constrained by a trusted config layer, not by requirements.'),
    proxy_url: ignoredHere('use `http_port`.'),
    socks_url: ignoredHere('use `socks_port`.'),
    enable_socks5: ignoredHere('SOCKS5 is configured by the user profile.'),
    enable_socks5_udp: ignoredHere('SOCKS5 UDP is configured by the user profile.'),
    mitm: ignoredHere('MITM hooks belong to a permission profile (`[permissions.<name>.network.mitm]`).'),
  },
  'Managed network constraints applied on top of the user profile network.',
);

const prefixRule = looseTable(
  {
    pattern: field(z.array(z.record(z.string(), z.unknown())), 'Tokens: `{ token = "…" }` or `{ any_of = [...] }`.'),
    decision: field(z.enum(['prompt', 'forbidden', 'allow']), '`prompt` or `forbidden` (`allow` is not allowed in requirements).'),
    justification: field(z.string(), 'Why this rule exists. Optional; when present it must not be blank.'),
    reviewer: field(z.string(), 'Not read by the newest Codex (requirements_exec_policy.rs has no `reviewer`); older drafts paired it with `decision = "prompt"`.'),
  },
  'An exec-policy prefix rule.',
);

const windowsRequirements = looseTable(
  {
    allowed_sandbox_implementations: field(nonEmptyList(z.enum(['elevated', 'unelevated']), 'windows.allowed_sandbox_implementations'), 'Windows sandbox implementations users may run (`elevated`, `unelevated`). Must not be empty.'),
    sandbox_private_desktop: field(z.boolean(), 'Exact value imposed on `windows.sandbox_private_desktop`.'),
  },
  'Windows sandbox constraints.',
);

// config_requirements.rs RemoteSandboxConfigToml: both keys required, `hostname_patterns` a list.
const remoteSandboxConfig = looseTable(
  {
    hostname_patterns: field(z.array(z.string()), 'Host name globs (`*`, `?`), matched case-insensitively against this machine\'s host name. Must be a list.'),
    allowed_sandbox_modes: field(z.array(sandboxModeReq), 'Sandbox modes allowed on matching machines (replaces the top-level `allowed_sandbox_modes`).'),
  },
  'A per-host override of `allowed_sandbox_modes`.',
);

const reservedHere = field(z.unknown(), 'Not allowed here: `permissions.filesystem` is not a profile.', {
  removed: '`permissions.filesystem` is reserved for requirements-level filesystem constraints and cannot define a profile',
  code: 'requirements-filesystem-profile',
});

// PermissionsRequirementsToml: `filesystem` is reserved for `deny_read`; other keys are profiles.
const filesystemRequirements = looseTable(
  {
    deny_read: field(z.array(z.string()), 'Paths or globs no profile may read (absolute, or relative to the requirements file\'s directory).'),
    ...Object.fromEntries(['description', 'extends', 'workspace_roots', 'filesystem', 'network'].map((k) => [k, reservedHere])),
  },
  'Requirements-level filesystem constraints. Reserved: `permissions.filesystem` cannot define a profile.',
);

const managedPermissions = withMeta(
  keyedTable({ filesystem: field(filesystemRequirements, filesystemRequirements.description ?? '') }, profileTable, ''),
  {
    description: 'Managed permission profiles (same shape as config.toml), and `[permissions.filesystem]` filesystem constraints (`deny_read`).',
    keyLabel: 'profile name',
  },
);

export const requirementsSchema = looseTable(
  {
    allowed_approval_policies: field(nonEmptyList(approvalPolicy, 'allowed_approval_policies'), 'Approval policies users may choose; the first is the initial value. Must not be empty.'),
    allowed_approvals_reviewers: field(nonEmptyList(approvalsReviewer, 'allowed_approvals_reviewers'), 'Reviewers users may choose; the first is the initial value. Must not be empty.'),
    allowed_sandbox_modes: field(
      z.array(sandboxModeReq).refine((a) => a.includes('read-only'), { message: "`allowed_sandbox_modes` must include 'read-only'" }),
      'Sandbox classes users may run in. Must include `read-only`.',
    ),
    remote_sandbox_config: field(z.array(remoteSandboxConfig), 'Per-host-name overrides of `allowed_sandbox_modes`: the first entry whose pattern matches the machine\'s host name replaces them.'),
    allowed_permission_profiles: field(withMeta(z.record(z.string(), z.boolean()), { keyLabel: 'profile name' }), 'Closed allowlist of permission profiles (name → `true`), built-ins included.', { keyLabel: 'profile name' }),
    allowed_permissions: field(z.array(z.string()), 'Older list form of `allowed_permission_profiles`.', { deprecated: 'Older form: prefer `allowed_permission_profiles` (name → true).', code: 'requirements-legacy-key' }),
    default_permissions: field(z.string(), 'Managed default permission profile; must itself be allowed.', { valueSource: 'profile' }),
    permissions: field(managedPermissions, managedPermissions.description ?? '', { keyLabel: 'profile name' }),
    allowed_web_search_modes: field(z.array(z.enum(['disabled', 'cached', 'indexed', 'live'])), 'Web search modes allowed; `disabled` is always allowed; `[]` means only disabled.'),
    enforce_residency: field(z.literal('us'), 'Data residency: only `"us"`.'),
    mcp_servers: field(withMeta(z.record(z.string(), mcpRequirement), { keyLabel: 'server name' }), 'Allowlisted MCP servers; others are disabled.', { keyLabel: 'server name' }),
    plugins: field(z.record(z.string(), z.record(z.string(), z.unknown())), 'Per-plugin MCP server allowlists.'),
    apps: field(z.record(z.string(), z.record(z.string(), z.unknown())), 'Per-app settings (`enabled`, `tools`).'),
    features: field(withMeta(z.record(z.string(), z.boolean()), { keyLabel: 'feature' }), 'Pinned feature flags.', { keyLabel: 'feature' }),
    feature_requirements: field(withMeta(z.record(z.string(), z.boolean()), { keyLabel: 'feature' }), 'Alias of `features`.', { keyLabel: 'feature' }),
    rules: field(looseTable({ prefix_rules: field(z.array(prefixRule), 'Prefix rules (non-empty).') }, 'Exec-policy rules.'), 'Exec-policy rules enforced for every user.'),
    hooks: field(requirementsHooksTable, requirementsHooksTable.description ?? ''),
    allow_managed_hooks_only: field(z.boolean(), 'Skip user, project, session and plugin hooks.'),
    experimental_network: field(experimentalNetworkTable, experimentalNetworkTable.description ?? ''),
    application: field(z.record(z.string(), z.unknown()), 'Network destinations of the Codex application itself (`[application.network]`).'),
    guardian_policy_config: field(z.string(), 'Text inserted into the auto-review prompt.'),
    guardian_developer_instructions: field(z.string(), 'Older name of `guardian_policy_config`.', { deprecated: 'Older name, ignored by the newest Codex: use `guardian_policy_config`.', code: 'requirements-legacy-key' }),
    additional_developer_instructions: field(z.string(), 'Managed instructions added to the prompt.'),
    auto_review: field(z.record(z.string(), z.unknown()), 'Auto-review (`required_on_models`, `ignore_rules`).'),
    models: field(z.record(z.string(), z.unknown()), 'Model defaults (`new_thread`).'),
    windows: field(windowsRequirements, windowsRequirements.description ?? ''),
    marketplaces: field(z.record(z.string(), z.unknown()), 'Plugin marketplace constraints.'),
    allowed_login_methods: field(z.array(z.enum(['chatgpt', 'api'])), 'Login methods allowed.'),
    allowed_chatgpt_workspaces: field(z.array(z.string()), 'ChatGPT workspaces allowed.'),
    cli_auth_credentials_store: field(z.enum(['file', 'keyring', 'auto', 'ephemeral']), 'Exact value imposed on config.'),
    chatgpt_base_url: field(z.string(), 'Exact value imposed on config.'),
    sqlite_home: field(z.string(), 'Exact value imposed on config.'),
    log_dir: field(z.string(), 'Exact value imposed on config.'),
    model_catalog_json: field(z.string(), 'Exact value imposed on config.'),
    check_for_update_on_startup: field(z.boolean(), 'Exact value imposed on config.'),
    allow_login_shell: field(z.boolean(), 'Exact value imposed on config.'),
    feedback: field(z.record(z.string(), z.unknown()), 'Exact value imposed on config (`enabled`).'),
    allow_browser_and_computer_use: field(z.boolean(), 'UI/agent control.'), allow_appshots: field(z.boolean(), 'UI/agent control.'),
    allow_remote_control: field(z.boolean(), 'UI/agent control.'), allow_guardian_fail_open: field(z.boolean(), 'UI/agent control (some versions).'),
    computer_use: field(z.record(z.string(), z.unknown()), 'UI/agent control.'), browser_use: field(z.record(z.string(), z.unknown()), 'UI/agent control.'),
    in_app_browser: field(z.record(z.string(), z.unknown()), 'UI/agent control.'),
  },
  'Codex requirements.toml: admin-managed constraints users cannot override.',
);

