// Extension figures: activation time (bench/activate.ts, a fresh process per round, stub `vscode`)
// and the size of the .vsix `npm run package` builds (offline, @vscode/vsce). Packaging rebuilds
// dist/ for production, so the development build the other scenarios use is restored after it.
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { runJson, summarize } from './lib';
import type { Ctx, ScenarioResult } from './scenarios';

export const activation = {
  id: 'activation', title: 'Extension activation: require(dist/client.js) + activate() with a stub vscode module',
  async run(ctx: Ctx): Promise<ScenarioResult> {
    const list: Record<string, unknown>[] = [];
    for (let r = 0; r < ctx.rounds; r++) {
      list.push(await runJson(process.execPath, ['--import', 'tsx', join(ctx.env.root, 'bench', 'activate.ts'), ctx.env.dist]).catch((e: unknown) => ({ error: String(e), failed: 1 })));
      ctx.log(`  round ${r + 1}: ${JSON.stringify(list[list.length - 1])}`);
    }
    const s = (k: string) => summarize(list.map((x) => (x.error ? NaN : Number(x[k]))));
    const failed = list.filter((x) => x.error).length;
    return {
      id: this.id, title: this.title, unit: 'ms (activate)',
      note: 'a fresh process per round; our own start-up work only (no extension host, the language server process is not waited for)',
      peers: { ours: { value: s('activateMs'), requireMs: s('requireMs'), failed } },
    };
  },
};

export const vsix = {
  id: 'vsix', title: '.vsix size (`npm run package`: production bundles, offline vsce)',
  async run(ctx: Ctx): Promise<ScenarioResult> {
    const out = join(ctx.env.dir, 'codex-network-policy.vsix');
    const t = performance.now();
    try {
      execFileSync('npm', ['run', '-s', 'package', '--', '--out', out], { cwd: ctx.env.root, stdio: ['ignore', 'ignore', 'pipe'] });
    } finally {
      execFileSync(process.execPath, [join(ctx.env.root, 'scripts', 'build.mjs')], { cwd: ctx.env.root, stdio: 'ignore' });
    }
    const ms = performance.now() - t;
    const kb = statSync(out).size / 1024;
    return { id: this.id, title: this.title, unit: 'KiB', note: `packaged in ${Math.round(ms / 1000)} s`, peers: { ours: { value: summarize([kb]), failed: 0 } } };
  },
};
