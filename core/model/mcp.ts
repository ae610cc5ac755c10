// MCP servers: config.toml definitions and requirements.toml allowlist identities.
import { z } from 'zod';
import { field, looseTable, strictTable, withMeta } from './meta';

export const mcpServerConfig = looseTable(
  {
    command: field(z.string(), 'Program of a stdio server.'),
    args: field(z.array(z.string()), 'Arguments of a stdio server.'),
    env: field(z.record(z.string(), z.string()), 'Environment for a stdio server. Do not put tokens here: use `env_vars` to pass them from your environment.', { keyLabel: 'variable' }),
    env_vars: field(z.array(z.union([z.string(), z.object({ name: z.string(), source: z.string().optional() })])), 'Variables passed through from your environment.'),
    cwd: field(z.string(), 'Working directory of a stdio server.'),
    url: field(z.string(), 'URL of a streamable HTTP server.'),
    bearer_token_env_var: field(z.string(), 'Environment variable holding the bearer token of an HTTP server.'),
    bearer_token: field(z.string(), 'Rejected by Codex: inline tokens. Use `bearer_token_env_var`.', { removed: 'Inline `bearer_token` is rejected by Codex: put the token in an environment variable and name it in `bearer_token_env_var`.', code: 'mcp-inline-token' }),
    http_headers: field(z.record(z.string(), z.string()), 'Static headers of an HTTP server (no secrets: use `env_http_headers`).', { keyLabel: 'header' }),
    env_http_headers: field(z.record(z.string(), z.string()), 'Headers whose values come from environment variables.', { keyLabel: 'header' }),
    oauth_resource: field(z.string(), 'OAuth resource.'),
    oauth: field(z.record(z.string(), z.unknown()), 'OAuth settings (`client_id`).'),
    enabled: field(z.boolean(), 'Whether this server starts.'),
    required: field(z.boolean(), 'Fail when this server cannot start.'),
    startup_timeout_sec: field(z.number(), 'Startup timeout in seconds.'),
    startup_timeout_ms: field(z.int(), 'Startup timeout in milliseconds.'),
    tool_timeout_sec: field(z.number(), 'Tool call timeout in seconds.'),
    enabled_tools: field(z.array(z.string()), 'Only these tools.'),
    disabled_tools: field(z.array(z.string()), 'Never these tools.'),
    scopes: field(z.array(z.string()), 'OAuth scopes.'),
    tools: field(z.record(z.string(), z.record(z.string(), z.unknown())), 'Per-tool settings (`approval_mode`).'),
    default_tools_approval_mode: field(z.enum(['auto', 'prompt', 'approve']), 'Default approval mode of tools.'),
    supports_parallel_tool_calls: field(z.boolean(), 'Whether tools may run in parallel.'),
    environment_id: field(z.string(), 'Environment id.'),
    name: field(z.string(), 'Legacy display name.'),
  },
  'An MCP server: `command` (stdio) or `url` (streamable HTTP).',
);

const valueMatcher = withMeta(
  z.union([
    strictTable({ match: field(z.literal('exact'), '`exact`'), value: field(z.string(), 'Value') }, 'Exact match.'),
    strictTable({ match: field(z.literal('prefix'), '`prefix`'), value: field(z.string(), 'Prefix') }, 'Prefix match.'),
    strictTable({ match: field(z.literal('regex'), '`regex`'), expression: field(z.string(), 'Regex matching the whole value') }, 'Regex match (whole value).'),
  ]),
  { description: 'A value matcher: `{ match = "exact", value }`, `{ match = "prefix", value }` or `{ match = "regex", expression }`.' },
);

export const mcpRequirement = looseTable(
  {
    identity: field(
      z.union([
        strictTable({ command: field(z.union([z.string(), strictTable({ executable: field(z.string(), 'Executable'), args: field(z.array(valueMatcher), 'Argument matchers by position') }, 'Command matcher.')]), 'Exact command or a command matcher.') }, 'Identity by command.'),
        strictTable({ url: field(z.union([z.string(), valueMatcher]), 'Exact URL or a URL matcher.') }, 'Identity by URL.'),
      ]),
      'What a configured server must be to be allowed: `{ command = "…" }` or `{ url = "…" }`, exact or with matchers.',
    ),
    command: field(z.string(), 'Older form: put it under `identity`.', { deprecated: 'Older matcher form: move it under `identity = { command = … }`.', code: 'mcp-legacy-matcher' }),
    url: field(z.string(), 'Older form: put it under `identity`.', { deprecated: 'Older matcher form: move it under `identity = { url = … }`.', code: 'mcp-legacy-matcher' }),
    args: field(z.array(z.unknown()), 'Older form of command matchers.'),
    description: field(z.string(), 'Ignored.'),
  },
  'An allowlisted MCP server; configured servers not matching an allowlisted name and identity are disabled.',
);
