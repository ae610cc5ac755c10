// config.toml: the network/permission parts in full, the rest of the top level by type.
import { z } from 'zod';
import { field, looseTable, withMeta } from './meta';
import { permissionsTable } from './profile';
import { configHooksTable } from './lifecycleHooks';
import { mcpServerConfig } from './mcp';

export const approvalPolicy = withMeta(
  z.union([z.enum(['untrusted', 'on-failure', 'on-request', 'never']), z.strictObject({ granular: z.record(z.string(), z.boolean()) })]),
  { description: 'When Codex asks before running commands: `untrusted`, `on-request`, `never` (`on-failure` is deprecated), or `{ granular = {…} }`.' },
);
const sandboxMode = withMeta(z.enum(['read-only', 'workspace-write', 'danger-full-access']), {
  description: 'Legacy sandbox selector. When set, it wins over `default_permissions` (profiles are ignored).',
});
export const approvalsReviewer = withMeta(z.enum(['user', 'auto_review', 'guardian_subagent']), {
  description: 'Who reviews approval requests: `user` or `auto_review` (`guardian_subagent` is the older spelling).',
});
const webSearchMode = withMeta(z.enum(['disabled', 'cached', 'live']), { description: 'Web search: `disabled`, `cached` or `live`.' });

const t = (d: string) => field(z.record(z.string(), z.unknown()), d);
const s = (d: string) => field(z.string(), d);
const b = (d: string) => field(z.boolean(), d);
const i = (d: string) => field(z.int(), d);
const e = <T extends [string, ...string[]]>(values: T, d: string) => field(z.enum(values), d);

export const configSchema = looseTable(
  {
    default_permissions: field(z.string(), 'The permission profile Codex uses: a built-in (`:read-only`, `:workspace`, `:danger-full-access`) or a name defined under `[permissions]`.', { valueSource: 'profile' }),
    permissions: field(permissionsTable, permissionsTable.description ?? ''),
    sandbox_mode: field(sandboxMode, sandboxMode.description ?? ''),
    sandbox_workspace_write: field(
      looseTable(
        {
          writable_roots: field(z.array(z.string()), 'Extra absolute writable roots.'),
          network_access: field(z.boolean(), 'Allow network in `workspace-write` (and the `:workspace` built-in).'),
          exclude_tmpdir_env_var: field(z.boolean(), 'Do not make `$TMPDIR` writable.'),
          exclude_slash_tmp: field(z.boolean(), 'Do not make `/tmp` writable.'),
        },
        'Settings of `workspace-write` (also feed the `:workspace` built-in).',
      ),
      'Settings of `workspace-write` (also feed the `:workspace` built-in).',
    ),
    approval_policy: field(approvalPolicy, approvalPolicy.description ?? ''),
    approvals_reviewer: field(approvalsReviewer, approvalsReviewer.description ?? ''),
    web_search: field(webSearchMode, webSearchMode.description ?? ''),
    hooks: field(configHooksTable, configHooksTable.description ?? ''),
    mcp_servers: field(withMeta(z.record(z.string(), mcpServerConfig), { keyLabel: 'server name' }), 'MCP servers Codex starts.', { keyLabel: 'server name' }),
    features: field(withMeta(z.record(z.string(), z.union([z.boolean(), z.record(z.string(), z.unknown())])), { keyLabel: 'feature' }), 'Feature flags: feature → bool (`network_proxy` also accepts a table).', { keyLabel: 'feature' }),
    profiles: field(withMeta(z.record(z.string(), z.record(z.string(), z.unknown())), { keyLabel: 'profile name' }), 'Config profiles (model, approval, …), unrelated to permission profiles.', { keyLabel: 'profile name' }),
    projects: field(withMeta(z.record(z.string(), z.record(z.string(), z.unknown())), { keyLabel: 'path' }), 'Per-project settings (`trust_level = "trusted" | "untrusted"`).', { keyLabel: 'path' }),
    shell_environment_policy: t('Which environment variables commands inherit (`inherit`, `exclude`, `include_only`, `set`, …).'),
    agents: t('Agent settings.'), analytics: t('Analytics (`enabled`).'), apps: t('Apps settings.'), audio: t('Audio devices.'),
    auto_review: t('Auto-review settings (`policy`).'), debug: t('Debug settings.'), desktop: t('Desktop app settings.'),
    experimental_thread_store: t('Thread store.'), feedback: t('Feedback (`enabled`).'), ghost_snapshot: t('Legacy no-op.'),
    history: t('History (`persistence`, `max_bytes`).'), marketplaces: t('Plugin marketplaces.'), memories: t('Memories.'),
    model_providers: t('Model providers.'), notice: t('Notices.'), otel: t('OpenTelemetry export.'), plugins: t('Plugins.'),
    realtime: t('Realtime settings.'), skills: t('Skills.'), tool_suggest: t('Tool suggestions.'), tools: t('Tool settings.'), tui: t('Terminal UI.'), windows: t('Windows sandbox settings.'),
    allow_login_shell: b('Allow login shells (default true).'), check_for_update_on_startup: b('Check for updates at start.'),
    disable_paste_burst: b('Disable paste-burst detection.'), hide_agent_reasoning: b('Hide reasoning.'), show_raw_agent_reasoning: b('Show raw reasoning.'),
    include_apps_instructions: b('Include apps instructions.'), include_collaboration_mode_instructions: b('Include collaboration-mode instructions.'),
    include_environment_context: b('Include environment context.'), include_permissions_instructions: b('Include permissions instructions.'),
    model_supports_reasoning_summaries: b('Force reasoning-summary support.'), suppress_unstable_features_warning: b('Hide the unstable-features warning.'),
    experimental_use_unified_exec_tool: b('Legacy unified exec toggle.'),
    apps_mcp_product_sku: s('Apps MCP product SKU.'), chatgpt_base_url: s('ChatGPT base URL.'), compact_prompt: s('Compaction prompt.'),
    developer_instructions: s('Extra developer instructions.'), experimental_compact_prompt_file: s('Compaction prompt file.'),
    experimental_realtime_start_instructions: s('Realtime start instructions.'), experimental_realtime_ws_backend_prompt: s('Realtime backend prompt.'),
    experimental_realtime_ws_base_url: s('Realtime base URL.'), experimental_realtime_ws_model: s('Realtime model.'),
    experimental_realtime_ws_startup_context: s('Realtime startup context.'), experimental_thread_config_endpoint: s('Thread config endpoint.'),
    instructions: s('Instructions.'), log_dir: s('Log directory.'), model: s('Model name.'), model_catalog_json: s('Model catalog file.'),
    model_instructions_file: s('Model instructions file.'), model_provider: s('Model provider id.'), openai_base_url: s('OpenAI base URL.'),
    oss_provider: s('OSS provider.'), profile: s('Selected config profile (under `[profiles]`).'), review_model: s('Review model.'),
    service_tier: s('Service tier.'), sqlite_home: s('SQLite home.'), mcp_oauth_callback_url: s('MCP OAuth callback URL.'),
    forced_chatgpt_workspace_id: field(z.union([z.string(), z.array(z.string())]), 'Workspace id(s) login is restricted to.'),
    background_terminal_max_timeout: i('Background terminal timeout (ms).'), model_auto_compact_token_limit: i('Auto-compaction token limit.'),
    model_context_window: i('Model context window.'), project_doc_max_bytes: i('Max bytes of project docs (default 32768).'),
    tool_output_token_limit: i('Tool output token limit.'), mcp_oauth_callback_port: i('MCP OAuth callback port.'),
    model_auto_compact_token_limit_scope: e(['total', 'body_after_prefix'], 'Scope of the auto-compaction limit.'),
    model_reasoning_effort: e(['none', 'minimal', 'low', 'medium', 'high', 'xhigh'], 'Reasoning effort.'),
    plan_mode_reasoning_effort: e(['none', 'minimal', 'low', 'medium', 'high', 'xhigh'], 'Reasoning effort in plan mode.'),
    model_reasoning_summary: e(['auto', 'concise', 'detailed', 'none'], 'Reasoning summary.'),
    model_verbosity: e(['low', 'medium', 'high'], 'Verbosity.'),
    cli_auth_credentials_store: e(['file', 'keyring', 'auto', 'ephemeral'], 'Where CLI credentials are stored.'),
    mcp_oauth_credentials_store: e(['auto', 'file', 'keyring'], 'Where MCP OAuth credentials are stored.'),
    file_opener: e(['vscode', 'vscode-insiders', 'windsurf', 'cursor', 'none'], 'Editor used to open file links.'),
    forced_login_method: e(['chatgpt', 'api'], 'Login method users must use.'),
    personality: e(['none', 'friendly', 'pragmatic'], 'Personality.'),
    notify: field(z.array(z.string()), 'Program (argv) run on notifications.'),
    project_doc_fallback_filenames: field(z.array(z.string()), 'Fallback project doc names.'),
    project_root_markers: field(z.array(z.string()), 'Files marking a project root.'),
    js_repl_node_path: s('Deprecated: ignored.'), js_repl_node_module_dirs: field(z.array(z.string()), 'Deprecated: ignored.'),
    network_proxy: field(z.unknown(), 'Oldest network shape.', { deprecated: 'Top-level `[network_proxy]` is not read by current Codex: move the policy into `[permissions.<profile>.network]` and select it with `default_permissions`.', code: 'legacy-network-proxy' }),
    network: field(z.unknown(), 'Intermediate network shape.', { deprecated: 'Top-level `[network]` is not read by current Codex: move it into `[permissions.<profile>.network]`.', code: 'legacy-network-proxy' }),
    experimental_network: field(z.unknown(), 'Belongs in requirements.toml.', { deprecated: '`[experimental_network]` belongs in requirements.toml; in config.toml it has no effect.', code: 'requirements-only-key' }),
  },
  'Codex config.toml.',
);

