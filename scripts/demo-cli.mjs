// The CLI on the bundled example policy: what the proxy would do with a few requests.
import { spawnSync } from 'node:child_process';

const config = 'examples/demo/.codex/config.toml';
// Demo-only placeholder secrets: the explain output shows header names, never these values.
const env = { ...process.env, CI_GITHUB_TOKEN: 'demo-ci-token', NPM_PUBLISH_TOKEN: 'demo-npm-token' };
const requests = [
  ['GET', 'https://api.github.com/repos/myorg/app/pulls'],
  ['POST', 'https://api.github.com/repos/openai/codex/issues'],
  ['GET', 'https://api.github.com/users/octocat'],
  ['POST', 'https://internal-api.company.com/v1/deploy'],
  ['GET', 'https://internal-api.company.com/v1/status'],
  ['PUT', 'https://registry.npmjs.org/-/package/left-pad/dist-tags'],
  ['PUT', 'https://registry.npmjs.org/left-pad'],
  ['GET', 'https://tracker.example.com/pixel.gif'],
  ['GET', 'https://example.org/'],
];
console.log(`Policy: ${config}\n`);
for (const [method, url] of requests) {
  const r = spawnSync(process.execPath, ['dist/cli.js', 'explain', '--config', config, method, url], { env, encoding: 'utf8' });
  process.stdout.write(r.stdout + (r.stderr ? r.stderr : '') + '\n');
  if (r.status !== 0) process.exit(r.status ?? 1);
}
console.log('Try your own: node dist/cli.js explain --config examples/demo/.codex/config.toml METHOD URL');
