// Starts the Codex policy language server (dist/server.js over IPC) for Codex TOML files.
import * as vscode from 'vscode';
import { join } from 'node:path';
import { LanguageClient, TransportKind, type DocumentSelector, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { codexHome, SYSTEM_CODEX_DIR } from '../core/paths';
import type { Settings } from './settings';

export function documentSelector(s: Settings): DocumentSelector {
  const home = codexHome(process.env).replace(/\\/g, '/');
  const patterns = ['**/.codex/{config,requirements}.toml', '**/*.policytest.toml', `${home}/*.toml`, `${SYSTEM_CODEX_DIR}/*.toml`, ...s.extraGlobs];
  return [...new Set(patterns)].map((pattern) => ({ scheme: 'file', language: 'toml', pattern }));
}

export function serverSettings(s: Settings): Record<string, unknown> {
  return {
    strict: s.strict,
    files: { extraGlobs: s.extraGlobs },
    diagnostics: { syntaxErrors: s.syntaxErrors },
    ...(s.requirementsPath ? { requirementsPath: s.requirementsPath } : {}),
  };
}

export async function startLanguageClient(context: vscode.ExtensionContext, s: Settings, log: vscode.LogOutputChannel): Promise<LanguageClient> {
  const module = context.asAbsolutePath(join('dist', 'server.js'));
  // The server's V8 code cache (server/codeCache.ts) lives in the extension's own storage.
  const env = { CODEX_NETPOLICY_LSP_CACHE_DIR: join(context.globalStorageUri.fsPath, 'code-cache') };
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc, options: { env } },
    debug: { module, transport: TransportKind.ipc, options: { env, execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: documentSelector(s),
    initializationOptions: { settings: serverSettings(s), evenBetterTomlActive: !!vscode.extensions.getExtension('tamasfe.even-better-toml') },
    synchronize: { configurationSection: 'codexNetworkPolicy' },
    outputChannel: log,
  };
  const client = new LanguageClient('codexNetworkPolicy', 'Codex Network Policy', serverOptions, clientOptions);
  await client.start();
  return client;
}
