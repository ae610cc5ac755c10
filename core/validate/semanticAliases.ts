// Keys from other tools' Codex configs (the TypeScript CLI's `approval-mode`, `sandbox`,
// kebab-case tables) mapped to the key current Codex reads, for did-you-mean hints that
// edit distance alone would miss.
const FOREIGN_KEYS: Record<string, string> = {
  'approval-mode': 'approval_policy',
  approvalMode: 'approval_policy',
  approval_mode: 'approval_policy',
  sandbox: 'sandbox_mode',
  'sandbox-mode': 'sandbox_mode',
  sandboxMode: 'sandbox_mode',
  'mcp-servers': 'mcp_servers',
  mcpServers: 'mcp_servers',
  'full-auto': 'approval_policy',
};

/** The known key a foreign or differently-cased spelling stands for, if it is in `known`. */
export function keyAlias(key: string, known: readonly string[]): string | undefined {
  const direct = FOREIGN_KEYS[key];
  if (direct && known.includes(direct)) return direct;
  // kebab-case or camelCase of a known snake_case key.
  const snake = key.replace(/-/g, '_').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  return snake !== key && known.includes(snake) ? snake : undefined;
}
