// Start Proxy / Stop Proxy commands drive the real proxy child: its state file
// ($CODEX_NETPOLICY_HOME/proxy.json) appears with a live, listening loopback port, then goes away.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { hostCase } from './registry';
import { poll } from './util';

interface ProxyStateFile {
  pid: number;
  proxyUrl: string;
}

function home(): string {
  const h = process.env.CODEX_NETPOLICY_HOME;
  // Never touch the user's ~/.codex-netpolicy from a test.
  if (!h) throw new Error('CODEX_NETPOLICY_HOME is not set: the launcher must point it at a temp folder');
  return h;
}

function readStateFile(file: string): ProxyStateFile | null {
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as Partial<ProxyStateFile>;
    return typeof s.pid === 'number' && typeof s.proxyUrl === 'string' ? { pid: s.pid, proxyUrl: s.proxyUrl } : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port }, () => {
      s.destroy();
      resolve(true);
    });
    s.setTimeout(2000, () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', () => resolve(false));
  });
}

hostCase('Start Proxy runs the proxy and Stop Proxy stops it', async () => {
  const file = join(home(), 'proxy.json');
  assert.equal(existsSync(file), false, `${file} exists before the proxy was started`);
  const started = await vscode.commands.executeCommand<boolean>('codexNetworkPolicy.startProxy');
  assert.equal(started, true, 'startProxy reports running');
  const state = await poll(() => readStateFile(file), `${file} to be written`, 20_000);
  assert.ok(alive(state.pid), `proxy pid ${state.pid} is alive`);
  assert.notEqual(state.pid, process.pid, 'the proxy runs as a child process, not in the extension host');
  // Only host and port are read from the URL: its credential is a secret and is never printed.
  const url = new URL(state.proxyUrl);
  assert.equal(url.hostname, '127.0.0.1', 'the proxy listens on loopback');
  assert.ok(await canConnect(url.hostname, Number(url.port)), 'the proxy port accepts connections');

  await vscode.commands.executeCommand('codexNetworkPolicy.stopProxy');
  await poll(() => !existsSync(file), `${file} to be removed`, 10_000);
  await poll(() => !alive(state.pid), `proxy pid ${state.pid} to exit`, 10_000);
  assert.equal(await canConnect(url.hostname, Number(url.port)), false, 'the port no longer accepts connections');
}, 60_000);
