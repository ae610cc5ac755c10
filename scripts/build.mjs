// Bundles the three processes: extension client, language server, CLI (also the proxy child entry).
import { build, context } from 'esbuild';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  external: ['vscode'],
};

const entries = [
  { entryPoints: ['client/extension.ts'], outfile: 'dist/client.js' },
  { entryPoints: ['server/main.ts'], outfile: 'dist/server.js' },
  { entryPoints: ['core/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  // Decision log webview (browser; its CSS import becomes dist/panel.css).
  { entryPoints: ['client/panel/webview/main.ts'], outfile: 'dist/panel.js', platform: 'browser', format: 'iife', target: 'es2022' },
  // Extension-host test suites (run() for @vscode/test-electron and the code-server runner).
  { entryPoints: ['test/host/suite/index.ts'], outfile: 'dist/test-host.js' },
];

import { existsSync } from 'node:fs';
const present = entries.filter((e) => existsSync(e.entryPoints[0]));
if (watch) {
  for (const e of present) {
    const ctx = await context({ ...common, ...e });
    await ctx.watch();
  }
} else {
  await Promise.all(present.map((e) => build({ ...common, ...e })));
}
