// Lifecycle hooks (`[hooks]`) and MCP requirement matchers: fields each handler type needs,
// absolute managed directories, matcher regexes that compile.
import { isAbsolute } from 'node:path';
import type { PolicyDiagnostic } from '../diagnostics';
import { HOOK_EVENTS } from '../model/lifecycleHooks';
import type { LoadedDocument } from '../toml/load';
import type { PathSegment } from '../toml/positions';
import { table } from '../toml/values';


const REQUIRED: Record<string, readonly string[]> = { command: ['command'], mcp_tool: ['server', 'tool'], prompt: [], agent: [] };

/** Codex regexes are Rust `regex`; JS RegExp with the `u` flag is a close, stricter-or-equal check. */
function regexError(source: string): string | undefined {
  try {
    new RegExp(source, 'u');
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message.replace(/^Invalid regular expression: /, '') : String(e);
  }
}

export function checkLifecycleHooks(doc: LoadedDocument, emit: (d: PolicyDiagnostic) => void): void {
  const hooks = table(doc.value?.hooks);
  if (!hooks) return;
  const file = doc.kind;
  for (const event of HOOK_EVENTS) {
    const groups = hooks[event];
    if (!Array.isArray(groups)) continue;
    groups.forEach((g, gi) => {
      const group = table(g);
      if (!group) return;
      const gp: PathSegment[] = ['hooks', event, gi];
      if (typeof group.matcher === 'string') {
        const err = regexError(group.matcher);
        if (err) emit({ path: [...gp, 'matcher'], target: 'value', severity: 'error', code: 'hook-matcher-invalid', file, message: `invalid matcher regex for \`${event}\`: ${err}` });
      }
      if (!Array.isArray(group.hooks)) return;
      group.hooks.forEach((h, hi) => {
        const handler = table(h);
        if (!handler) return;
        const hp: PathSegment[] = [...gp, 'hooks', hi];
        if (!('type' in handler)) {
          emit({ path: hp, target: 'key', severity: 'error', code: 'hook-handler-missing-field', file, message: `hook handler for \`${event}\` needs \`type\` (\`command\`, \`mcp_tool\`, \`prompt\` or \`agent\`)`, data: { field: 'type' } });
          return;
        }
        const type = handler.type;
        if (typeof type !== 'string') return;
        for (const field of REQUIRED[type] ?? []) {
          if (typeof handler[field] === 'string' && (handler[field] as string).trim()) continue;
          // Decision: a Windows-only handler (`command_windows` without `command`) is accepted, as
          // managed Windows installers generate them (seed 004); no false positive there.
          if (field === 'command' && ['commandWindows', 'command_windows'].some((k) => typeof handler[k] === 'string' && (handler[k] as string).trim())) continue;
          emit({
            path: field in handler ? [...hp, field] : hp, target: field in handler ? 'value' : 'key', severity: 'error', code: 'hook-handler-missing-field', file,
            message: `a \`${type}\` hook handler needs a non-empty \`${field}\``, data: { field },
          });
        }
        if (type === 'prompt' || type === 'agent') {
          emit({ path: [...hp, 'type'], target: 'value', severity: 'information', code: 'hook-handler-not-run', file, message: `\`type = "${type}"\` handlers are parsed but not run by Codex.` });
        }
      });
    });
  }
  if (file === 'requirements') {
    for (const key of ['managed_dir', 'windows_managed_dir'] as const) {
      const dir = hooks[key];
      if (typeof dir !== 'string') continue;
      const absolute = key === 'windows_managed_dir' ? /^(?:[A-Za-z]:[\\/]|\\\\)/.test(dir) : isAbsolute(dir);
      if (!absolute) {
        emit({ path: ['hooks', key], target: 'value', severity: 'error', code: 'hook-managed-dir-relative', file, message: `\`hooks.${key}\` must be an absolute path` });
      }
    }
  }
}

export function checkMcpRequirements(doc: LoadedDocument, emit: (d: PolicyDiagnostic) => void): void {
  if (doc.kind !== 'requirements') return;
  const check = (servers: Record<string, unknown> | undefined, base: PathSegment[], label: (n: string) => string) => {
    for (const [name, raw] of Object.entries(servers ?? {})) {
      const visit = (v: unknown, path: PathSegment[]): void => {
        const t = table(v);
        if (t) {
          if (t.match === 'regex' && typeof t.expression === 'string') {
            const err = regexError(`^(?:${t.expression})$`);
            if (err) emit({ path: [...path, 'expression'], target: 'value', severity: 'error', code: 'mcp-matcher-regex-invalid', file: 'requirements', message: `MCP server \`${label(name)}\`: invalid regex: ${err}` });
          }
          for (const [k, x] of Object.entries(t)) visit(x, [...path, k]);
        } else if (Array.isArray(v)) v.forEach((x, i) => visit(x, [...path, i]));
      };
      visit(table(raw)?.identity, [...base, name, 'identity']);
    }
  };
  check(table(doc.value?.mcp_servers), ['mcp_servers'], (n) => n);
  for (const [plugin, raw] of Object.entries(table(doc.value?.plugins) ?? {})) {
    check(table(table(raw)?.mcp_servers), ['plugins', plugin, 'mcp_servers'], (n) => `${plugin}/${n}`);
  }
}
