// code-server has no --extensionTestsPath: this extension plays that part. When
// CODEX_NETPOLICY_HOST_SUITE names a bundle, it waits for the extension under test, requires the
// bundle and calls run() — the same contract @vscode/test-electron uses. The suite writes its own
// results to CODEX_NETPOLICY_HOST_RESULTS; if it cannot (load error, crash) this writes a failure
// result there so the launcher never waits for a file that will not come.
'use strict';
const vscode = require('vscode');
const fs = require('fs');
const path = require('path');

const EXTENSION_ID = 'codex-netpolicy.codex-network-policy';

function writeFailure(file, name, error) {
  if (!file) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const result = { passed: 0, failed: 1, cases: [{ name, ok: false, error: String((error && error.stack) || error), ms: 0 }] };
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
}

async function runSuite(bundle, resultsFile) {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  if (!ext) throw new Error(EXTENSION_ID + ' is not installed next to the runner');
  await ext.activate();
  const suite = require(path.resolve(bundle));
  if (typeof suite.run !== 'function') throw new Error(bundle + ' does not export run()');
  try {
    await suite.run();
  } catch (e) {
    // run() writes the per-case results before it throws for failures; keep them.
    if (!resultsFile || !fs.existsSync(resultsFile)) throw e;
  }
}

function activate() {
  const bundle = process.env.CODEX_NETPOLICY_HOST_SUITE;
  const resultsFile = process.env.CODEX_NETPOLICY_HOST_RESULTS;
  if (!bundle) return;
  if (resultsFile) fs.rmSync(resultsFile, { force: true });
  runSuite(bundle, resultsFile).then(
    () => console.log('host-runner: suite finished'),
    (e) => {
      console.error('host-runner: suite could not run', e);
      writeFailure(resultsFile, 'host-runner: load and run ' + bundle, e);
    },
  );
}

function deactivate() {}

module.exports = { activate, deactivate };
