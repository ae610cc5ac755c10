// Extension settings (package.json contributes.configuration) and the policy files they select.
import * as vscode from 'vscode';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { findConfigPath, systemRequirementsPath } from '../core/paths';
import { defaultCaDir } from '../core/proxy/state';

export const SECTION = 'codexNetworkPolicy';


export interface Settings {
  configPath: string;
  requirementsPath: string;
  profile: string;
  strict: boolean;
  extraGlobs: string[];
  syntaxErrors: 'auto' | 'always' | 'never';
  proxy: { listen: string; caDir: string; autoStart: boolean; allTerminals: boolean; auditFile: string; extraArgs: string[] };
  telemetry: { otlpEndpoint: string; otlpProtocol: string };
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration(SECTION);
  const s = (k: string) => (c.get<string>(k) ?? '').trim();
  const se = c.get<string>('diagnostics.syntaxErrors');
  return {
    configPath: s('configPath'),
    requirementsPath: s('requirementsPath'),
    profile: s('profile'),
    strict: c.get<boolean>('strict') === true,
    extraGlobs: c.get<string[]>('files.extraGlobs') ?? [],
    syntaxErrors: se === 'always' || se === 'never' ? se : 'auto',
    proxy: {
      listen: s('proxy.listen') || '127.0.0.1:0',
      caDir: s('proxy.caDir'),
      autoStart: c.get<boolean>('proxy.autoStart') === true,
      allTerminals: c.get<boolean>('proxy.allTerminals') === true,
      auditFile: s('proxy.auditFile'),
      extraArgs: c.get<string[]>('proxy.extraArgs') ?? [],
    },
    telemetry: { otlpEndpoint: s('telemetry.otlpEndpoint'), otlpProtocol: s('telemetry.otlpProtocol') },
  };
}

/** `~` and workspace-relative paths become absolute. */
export function expandPath(p: string): string {
  if (p === '~' || p.startsWith('~/')) return join(homedir(), p.slice(1));
  if (isAbsolute(p)) return p;
  const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  return ws ? join(ws, p) : p;
}

export interface PolicyPaths {
  config?: string;
  requirements?: string;
}

/** Setting, else the first workspace folder's `.codex/config.toml`, else `$CODEX_HOME/config.toml`. */
export function policyPaths(s: Settings = readSettings()): PolicyPaths {
  const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  const config = s.configPath ? expandPath(s.configPath) : findConfigPath(folders, process.env);
  const requirements = s.requirementsPath ? expandPath(s.requirementsPath) : systemRequirementsPath();
  return { ...(config ? { config } : {}), ...(requirements ? { requirements } : {}) };
}

// Decision: the default CA dir is the CLI's (~/.codex-netpolicy/ca), so terminals trusted once keep working with both.
export function caDirOf(s: Settings): string {
  return s.proxy.caDir ? expandPath(s.proxy.caDir) : defaultCaDir(process.env);
}

/** CLI arguments for `codex-netpolicy proxy --json`. */
export function proxyArgs(s: Settings = readSettings()): string[] {
  const p = policyPaths(s);
  const args: string[] = [];
  if (p.config) args.push('--config', p.config);
  if (p.requirements) args.push('--requirements', p.requirements);
  if (s.profile) args.push('--profile', s.profile);
  args.push('--listen', s.proxy.listen, '--ca-dir', caDirOf(s));
  if (s.proxy.auditFile) args.push('--audit', expandPath(s.proxy.auditFile));
  if (s.telemetry.otlpEndpoint) args.push('--otlp-endpoint', s.telemetry.otlpEndpoint);
  if (s.telemetry.otlpProtocol) args.push('--otlp-protocol', s.telemetry.otlpProtocol);
  args.push(...s.proxy.extraArgs);
  return args;
}
