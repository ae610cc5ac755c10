// `[hooks]` lifecycle hooks (config.toml and requirements.toml): event → matcher groups → handlers.
// Not to be confused with MITM hooks under `network.mitm.hooks`.
import { z } from 'zod';
import { field, looseTable, strictTable, withMeta } from './meta';

export const HOOK_EVENTS = [
  'PreToolUse', 'PostToolUse', 'SessionStart', 'UserPromptSubmit', 'Stop',
  'PermissionRequest', 'PreCompact', 'PostCompact', 'SubagentStart', 'SubagentStop',
  'SessionEnd', 'Interrupt', 'StopFailure',
] as const;

const hookHandler = looseTable(
  {
    type: field(withMeta(z.enum(['command', 'mcp_tool', 'prompt', 'agent']), { description: '`command` runs a program; `mcp_tool` calls an MCP tool; `prompt`/`agent` are parsed but not run.' }), 'Handler kind (required).'),
    command: field(z.string(), 'Command line to run (required for `type = "command"`).'),
    commandWindows: field(z.string(), 'Command line used on Windows instead of `command`.'),
    command_windows: field(z.string(), 'Alias of `commandWindows`.'),
    timeout: field(z.int().min(0), 'Timeout in seconds.'),
    timeoutSec: field(z.int().min(0), 'Older spelling of `timeout`.', { deprecated: 'Older spelling; use `timeout`.', code: 'hook-timeoutsec' }),
    async: field(z.boolean(), 'Run without waiting (parsed but skipped at discovery).'),
    statusMessage: field(z.string(), 'Message shown while the hook runs.'),
    additionalContextLimit: field(z.int().min(0), 'Token limit for extra context (default 2500; 0 disables spilling to disk).'),
    server: field(z.string(), 'MCP server name (required for `type = "mcp_tool"`).'),
    tool: field(z.string(), 'MCP tool name (required for `type = "mcp_tool"`).'),
    input: field(z.record(z.string(), z.unknown()), 'Input table passed to the MCP tool.'),
  },
  'A hook handler.',
);

const matcherGroup = looseTable(
  {
    matcher: field(z.string(), 'Regex on the event subject (tool name, start source, …). Omit to match everything.'),
    hooks: field(z.array(hookHandler), 'Handlers run when the matcher matches.'),
  },
  'A matcher group: handlers run for events whose subject matches `matcher`.',
);

const eventShape = Object.fromEntries(
  HOOK_EVENTS.map((e) => [e, field(z.array(matcherGroup), `Handlers for the \`${e}\` lifecycle event.`)]),
) as Record<(typeof HOOK_EVENTS)[number], z.ZodOptional<z.ZodArray<typeof matcherGroup>>>;

const hookState = strictTable(
  { enabled: field(z.boolean(), 'Whether this hook runs.'), trusted_hash: field(z.string(), 'Hash of the trusted hook definition (written by Codex).') },
  'Per-hook state written by Codex.',
);

export const configHooksTable = looseTable(
  { ...eventShape, state: field(z.record(z.string(), hookState), 'Per-hook state written by Codex.', { keyLabel: 'hook key' }) },
  'Lifecycle hooks: commands run at agent lifecycle events.',
);

export const requirementsHooksTable = looseTable(
  {
    ...eventShape,
    managed_dir: field(z.string(), 'Absolute directory holding managed hook scripts (non-Windows).'),
    windows_managed_dir: field(z.string(), 'Absolute directory holding managed hook scripts (Windows).'),
  },
  'Managed lifecycle hooks. Users cannot override them; active when at least one handler is defined.',
);
