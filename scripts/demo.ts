// Quick start: a real VS Code (code-server, in the browser) with this extension installed and a
// demo workspace whose policy exercises the four MITM patterns of the hooks article.
// Run: npm run demo   (first run installs code-server and chromium tooling: about 2 minutes)
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { e2eSkipReason, PROJECT_ROOT, startCodeServer } from '../test/e2e/harness';

async function main(): Promise<void> {
  if (e2eSkipReason()) {
    console.log('Setting up code-server (cached after the first run)…');
    execFileSync('bash', [join(PROJECT_ROOT, 'scripts/e2e/setup.sh')], { stdio: 'inherit' });
  }
  const build = spawnSync(process.execPath, [join(PROJECT_ROOT, 'scripts/build.mjs')], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);

  const workspace = mkdtempSync(join(tmpdir(), 'codex-netpolicy-demo-'));
  cpSync(join(PROJECT_ROOT, 'examples/demo'), workspace, { recursive: true });
  writeFileSync(
    join(workspace, 'TRY-ME.md'),
    [
      '# Codex Network Policy demo',
      '',
      '1. Open `.codex/config.toml`: hover a hook, a domain pattern or a key; try completion after `action = [`.',
      '2. Run **Codex Network Policy: Open Proxied Terminal** (F1), then for example:',
      '   - `curl -sS https://tracker.example.com/` — denied by the domain policy',
      '   - `curl -sS -X POST https://internal-api.company.com/v1/deploy` — blocked: no hook matches (pattern 3)',
      '   - `curl -sS https://example.org/` — not in the allowlist',
      '   - `curl -sS https://api.github.com/repos/myorg/app` — allowed, the CI token is injected (pattern 2)',
      '3. Watch **Codex Network Policy: Show Decision Log**: every decision, its reason and the TOML line that decided.',
      '',
      'The demo injects placeholder tokens (`demo-ci-token`, `demo-npm-token`); they never appear in the log.',
      '',
    ].join('\n'),
  );
  const server = await startCodeServer({
    extensionDir: PROJECT_ROOT,
    workspace,
    settings: { 'codexNetworkPolicy.proxy.autoStart': true, 'workbench.startupEditor': 'none' },
    env: { CI_GITHUB_TOKEN: 'demo-ci-token', NPM_PUBLISH_TOKEN: 'demo-npm-token' },
  });
  console.log(`\nVS Code with Codex Network Policy is running.\n\n  Open: ${server.url}?folder=${encodeURIComponent(workspace)}\n  Workspace: ${workspace}\n\nPress Ctrl+C to stop.`);
  const stop = async () => {
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
