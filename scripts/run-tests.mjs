// Runs every test file under test/ with node's test runner (tsx for TypeScript).
// Builds first, because CLI and LSP tests spawn the bundled entries as a user would.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function find(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name === 'fixtures' || name === 'bench') continue;
      find(p, out);
    } else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const filter = process.argv.slice(2);
const build = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

let files = find('test').sort();
if (filter.length) files = files.filter((f) => filter.some((x) => f.includes(x)));
// With no file, `node --test` would fall back to its own discovery and run fixtures as tests.
if (!files.length) {
  console.error(`no test file under test/ matches ${filter.map((x) => JSON.stringify(x)).join(' or ')}`);
  process.exit(1);
}
const res = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', ...files],
  { stdio: 'inherit', env: { ...process.env, CODEX_NETPOLICY_TEST: '1' } },
);
process.exit(res.status ?? 1);
