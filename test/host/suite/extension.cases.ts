// The extension loads in the host and contributes its commands.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { hostCase } from './registry';
import { EXTENSION_ID, poll } from './util';

hostCase('the extension activates', async () => {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not installed in this host`);
  // The fixture workspace has .codex/config.toml, so workspaceContains activates it by itself;
  // activate() only waits for that (or triggers it when the host was started otherwise).
  await ext.activate();
  assert.equal(ext.isActive, true);
  assert.equal((ext.packageJSON as { publisher?: unknown }).publisher, 'codex-netpolicy');
});

hostCase('every contributed command is registered', async () => {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext);
  const contributed = ((ext.packageJSON as { contributes?: { commands?: { command: string }[] } }).contributes?.commands ?? []).map((c) => c.command);
  assert.ok(contributed.includes('codexNetworkPolicy.startProxy') && contributed.includes('codexNetworkPolicy.stopProxy'), 'manifest lists start/stop');
  // Registration happens during activate(); poll briefly in case the host lags behind.
  let missing = contributed;
  await poll(async () => {
    const all = new Set(await vscode.commands.getCommands(true));
    missing = contributed.filter((c) => !all.has(c));
    return missing.length === 0;
  }, 'all contributed commands to be registered', 10_000).catch(() => undefined);
  assert.deepEqual(missing, [], `commands in package.json but not registered: ${missing.join(', ')}`);
});
