// Quick start: a real VS Code (code-server, in the browser) with this extension installed and a
// demo workspace whose policy exercises the four MITM patterns of the hooks article. The demo's
// hosts are answered by local stand-ins (scripts/demo/standIns.ts), so it works offline.
// Run: npm run demo   (first run installs code-server and chromium tooling: about 2 minutes)
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { e2eSkipReason, PROJECT_ROOT, startCodeServer } from '../test/e2e/harness';
import { STAND_IN_HOSTS } from './demo/standIns';
import { prepareDemo } from './demo/workspace';

async function main(): Promise<void> {
  if (e2eSkipReason()) {
    console.log('Setting up code-server (cached after the first run)…');
    execFileSync('bash', [join(PROJECT_ROOT, 'scripts/e2e/setup.sh')], { stdio: 'inherit' });
  }
  const build = spawnSync(process.execPath, [join(PROJECT_ROOT, 'scripts/build.mjs')], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);

  const demo = await prepareDemo(PROJECT_ROOT);
  const { workspace, standIns } = demo;
  const server = await startCodeServer({ extensionDir: PROJECT_ROOT, workspace, settings: demo.settings, env: demo.env });
  console.log([
    '',
    'VS Code with Codex Network Policy is running.',
    '',
    `  Open: ${server.url}?folder=${encodeURIComponent(workspace)}`,
    `  Workspace: ${workspace} (TRY-ME.md lists requests to try)`,
    '',
    `The demo runs against LOCAL STAND-INS: one HTTPS server on 127.0.0.1:${standIns.port} (its own test CA,`,
    `trusted by the proxy) answers for ${STAND_IN_HOSTS.join(', ')}.`,
    'Nothing leaves this machine.',
    '',
    'Press Ctrl+C to stop.',
  ].join('\n'));
  const stop = async () => {
    await server.stop();
    await demo.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
