// One code-server e2e session for a test: a scratch workspace with the given files, code-server
// with this extension, chromium on its workbench, the extension activated (generous waits: the
// machine may be loaded); on failure a screenshot and the extension's log; everything removed after.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import {
  openWorkbench, outputChannelLog, PROJECT_ROOT, screenshot, startCodeServer,
  type CodeServer, type Page, type Workbench,
} from './harness';

export interface Session {
  page: Page;
  server: CodeServer;
  /** Scratch folder: `ws/` is the workspace, `home/` is CODEX_NETPOLICY_HOME. */
  scratch: string;
  /** Logs `what: N s` since the session started (for slow-machine diagnosis). */
  lap(what: string): void;
}

export interface SessionOptions {
  /** Names the scratch folder and the failure screenshot. */
  name: string;
  /** Workspace files: relative path → content. */
  files: Record<string, string>;
  env?: Record<string, string>;
  settings?: Record<string, unknown>;
}

export async function withSession(t: TestContext, opts: SessionOptions, body: (s: Session) => Promise<void>): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), `cnp-${opts.name}-`));
  const ws = join(scratch, 'ws');
  for (const [rel, text] of Object.entries(opts.files)) {
    mkdirSync(dirname(join(ws, rel)), { recursive: true });
    writeFileSync(join(ws, rel), text);
  }
  const t0 = Date.now();
  const lap = (what: string): void => t.diagnostic(`${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  let server: CodeServer | undefined;
  let wb: Workbench | undefined;
  try {
    server = await startCodeServer({
      extensionDir: PROJECT_ROOT, workspace: ws, settings: opts.settings,
      env: { CODEX_NETPOLICY_HOME: join(scratch, 'home'), ...opts.env },
    });
    wb = await openWorkbench(server);
    await server.waitForActivation('codex-netpolicy.codex-network-policy');
    lap('workbench ready, extension activated');
    await body({ page: wb.page, server, scratch, lap });
  } catch (e) {
    if (wb) await screenshot(wb.page, `${opts.name}-failure`).catch(() => undefined);
    if (server) t.diagnostic(`${outputChannelLog(server, 'Codex Network Policy').slice(-3000)}\n${server.extensionHostLog().slice(-2000)}`);
    throw e;
  } finally {
    await wb?.close();
    await server?.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}
