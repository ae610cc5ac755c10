// Bundles the three processes: extension client, language server (relay + server), CLI (also the proxy child entry).
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

// The OpenTelemetry SDK lives in its own bundle, dist/otlp.js, loaded only when OTLP export is
// configured: cli.js keeps `import('./otlp')` as a runtime require of the sibling file, so the
// proxy's start-up never parses the SDK.
const otlpApart = {
  name: 'otlp-apart',
  setup(b) {
    b.onResolve({ filter: /^\.\/otlp$/ }, (args) => (args.importer.endsWith('core/telemetry/attach.ts') ? { path: './otlp.js', external: true } : undefined));
  },
};

const entries = [
  { entryPoints: ['client/extension.ts'], outfile: 'dist/client.js' },
  // The language server's process (server/entry.ts): dist/server.js, the relay in the main thread;
  // dist/lspLoader.js, its worker thread, which loads dist/lsp.js, the language server itself.
  { entryPoints: ['server/entry.ts'], outfile: 'dist/server.js' },
  { entryPoints: ['server/lspLoader.ts'], outfile: 'dist/lspLoader.js' },
  { entryPoints: ['server/main.ts'], outfile: 'dist/lsp.js' },
  { entryPoints: ['core/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' }, plugins: [otlpApart] },
  { entryPoints: ['core/telemetry/otlp.ts'], outfile: 'dist/otlp.js' },
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
