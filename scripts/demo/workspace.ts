// Everything `npm run demo` (and its e2e test) sets up around code-server: a copy of the demo
// workspace, the local stand-ins, and the settings/env that point the extension's proxy at them.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStandIns, type StandIns } from './standIns';
import { tryMeMarkdown } from './tryMe';

/** Placeholder secrets the demo's hooks inject (the stand-ins echo them; logs never show them). */
export const DEMO_SECRETS = { CI_GITHUB_TOKEN: 'demo-ci-token', NPM_PUBLISH_TOKEN: 'demo-npm-token' } as const;

export interface Demo {
  workspace: string;
  standIns: StandIns;
  settings: Record<string, unknown>;
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function prepareDemo(projectRoot: string): Promise<Demo> {
  const workspace = mkdtempSync(join(tmpdir(), 'codex-netpolicy-demo-'));
  cpSync(join(projectRoot, 'examples/demo'), workspace, { recursive: true });
  writeFileSync(join(workspace, 'TRY-ME.md'), tryMeMarkdown()); // same as examples/demo/TRY-ME.md (a test keeps them equal)
  const standInDir = mkdtempSync(join(tmpdir(), 'codex-netpolicy-stand-ins-'));
  const standIns = await startStandIns(standInDir);
  return {
    workspace,
    standIns,
    settings: { 'codexNetworkPolicy.proxy.autoStart': true, 'codexNetworkPolicy.proxy.extraArgs': standIns.proxyArgs, 'workbench.startupEditor': 'none' },
    env: { ...DEMO_SECRETS },
    close: async () => {
      await standIns.close();
      rmSync(standInDir, { recursive: true, force: true });
    },
  };
}
