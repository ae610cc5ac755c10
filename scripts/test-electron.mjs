// `npm run test:electron`: runs the extension-host suites (test/host/suite → dist/test-host.js) in a
// downloaded VS Code via @vscode/test-electron — the same suites `npm test` runs in code-server
// (test/host/host.e2e.test.ts). @vscode/test-electron is not a project dependency: it is installed
// at run time into a cache folder. Without internet the VS Code download fails: we say so and exit 1.
//
// Env: CODEX_NETPOLICY_ELECTRON_CACHE (default ~/.cache/codex-netpolicy-electron),
//      CODEX_NETPOLICY_VSCODE_VERSION (default "stable"),
//      CODEX_NETPOLICY_VSCODE_EXECUTABLE (use an installed VS Code instead of downloading),
//      CODEX_NETPOLICY_HOST_FILTER (run only cases whose name contains this).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const suite = join(root, 'dist', 'test-host.js');
const fixture = join(root, 'test', 'host', 'fixtures', 'workspace');
const cacheDir = process.env.CODEX_NETPOLICY_ELECTRON_CACHE || join(homedir(), '.cache', 'codex-netpolicy-electron');
// 3.x requires Node >= 22; 2.5 has the same runTests/downloadAndUnzipVSCode API and runs on Node 20.
const spec = Number(process.versions.node.split('.')[0]) >= 22 ? '@vscode/test-electron@3' : '@vscode/test-electron@2';

const OFFLINE_HINT =
  '@vscode/test-electron needs to download VS Code from update.code.visualstudio.com; on machines without internet ' +
  'use npm test, whose code-server path runs the same suites (test/host/host.e2e.test.ts).';

function fail(message, cause) {
  console.error(`test:electron: ${message}`);
  if (cause) console.error(`  cause: ${cause instanceof Error ? cause.message : String(cause)}`);
  process.exit(1);
}

/** @vscode/test-electron: the project's copy if someone installed one, else the cache's (installed on demand). */
async function loadTestElectron() {
  for (const base of [root, cacheDir]) {
    try {
      const req = createRequire(join(base, 'package.json'));
      return await import(pathToFileURL(req.resolve('@vscode/test-electron')).href);
    } catch {
      // not there: try the next place
    }
  }
  mkdirSync(cacheDir, { recursive: true });
  console.log(`test:electron: installing ${spec} into ${cacheDir}`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['install', '--prefix', cacheDir, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', spec], { stdio: 'inherit' });
  if (r.status !== 0) fail(`could not install ${spec} (npm exit ${r.status ?? r.signal}). ${OFFLINE_HINT}`);
  const req = createRequire(join(cacheDir, 'package.json'));
  return import(pathToFileURL(req.resolve('@vscode/test-electron')).href);
}

function printResults(file) {
  if (!existsSync(file)) return;
  const r = JSON.parse(readFileSync(file, 'utf8'));
  for (const c of r.cases) console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name} (${c.ms} ms)${c.error ? `\n${c.error}` : ''}`);
  console.log(`host suites: ${r.passed} passed, ${r.failed} failed`);
}

const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit', cwd: root });
if (build.status !== 0) process.exit(build.status ?? 1);
if (!existsSync(suite)) fail(`${suite} was not built`);

const te = await loadTestElectron();
const runTests = te.runTests ?? te.default?.runTests;
const download = te.downloadAndUnzipVSCode ?? te.default?.downloadAndUnzipVSCode;
if (typeof runTests !== 'function' || typeof download !== 'function') fail('@vscode/test-electron has no runTests/downloadAndUnzipVSCode');

// Download separately from running, so "no VS Code" and "a case failed" give different messages.
let vscodeExecutablePath = process.env.CODEX_NETPOLICY_VSCODE_EXECUTABLE;
if (!vscodeExecutablePath) {
  const version = process.env.CODEX_NETPOLICY_VSCODE_VERSION || 'stable';
  try {
    vscodeExecutablePath = await download({ version, cachePath: join(cacheDir, 'vscode'), timeout: 30_000 });
  } catch (e) {
    fail(`downloading VS Code (${version}) failed. ${OFFLINE_HINT}`, e);
  }
}

const scratch = mkdtempSync(join(tmpdir(), 'cnp-electron-'));
const workspace = join(scratch, 'workspace');
cpSync(fixture, workspace, { recursive: true });
const resultsFile = join(scratch, 'results.json');
let code = 0;
try {
  await runTests({
    vscodeExecutablePath,
    extensionDevelopmentPath: root,
    extensionTestsPath: suite,
    launchArgs: [
      workspace,
      '--disable-workspace-trust',
      '--skip-welcome',
      '--skip-release-notes',
      '--user-data-dir', join(scratch, 'user-data'),
      '--extensions-dir', join(scratch, 'extensions'),
    ],
    extensionTestsEnv: {
      CODEX_NETPOLICY_HOME: join(scratch, 'netpolicy-home'),
      CODEX_NETPOLICY_HOST_RESULTS: resultsFile,
      ...(process.env.CODEX_NETPOLICY_HOST_FILTER ? { CODEX_NETPOLICY_HOST_FILTER: process.env.CODEX_NETPOLICY_HOST_FILTER } : {}),
    },
  });
} catch (e) {
  console.error(`test:electron: the host suites failed: ${e instanceof Error ? e.message : String(e)}`);
  code = 1;
} finally {
  printResults(resultsFile);
  rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
}
process.exit(code);
