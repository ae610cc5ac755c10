// Benchmark: decide() on a policy with 1,000 domain patterns and 1,000 hooks across 300 hosts.
// Run: npm run bench:policy. Not a test: prints numbers, asserts nothing about speed.
import { performance } from 'node:perf_hooks';
import { loadPolicy } from '../../core/engine/load';
import { decide, type DecisionRequest } from '../../core/policy/decide';

function buildPolicy(): string {
  const lines = ['default_permissions = "bench"', '[permissions.bench.network]', 'enabled = true', '[permissions.bench.network.domains]'];
  for (let i = 0; i < 1000; i++) {
    const kind = i % 4;
    const p = kind === 0 ? `host${i}.example.com` : kind === 1 ? `*.svc${i}.example.net` : kind === 2 ? `**.org${i}.example.org` : `region${i}-*.cdn.example.io`;
    lines.push(`"${p}" = "${i % 10 === 0 ? 'deny' : 'allow'}"`);
  }
  for (let h = 0; h < 300; h++) lines.push(`"api${h}.hooked.test" = "allow"`);
  lines.push('[permissions.bench.network.mitm.actions.strip]', 'strip_request_headers = ["authorization", "cookie"]');
  for (let i = 0; i < 1000; i++) {
    const host = `api${i % 300}.hooked.test`;
    lines.push(
      `[permissions.bench.network.mitm.hooks.h${i}]`,
      `host = "${host}"`,
      `methods = ["${['GET', 'POST', 'PUT', 'DELETE'][i % 4]}"]`,
      `path_prefixes = ["/v${i % 7}/", "pattern:/repos/*/r${i}/**"]`,
      ...(i % 5 === 0 ? [`query = { state = ["open", "pattern:op*"] }`] : []),
      ...(i % 6 === 0 ? [`headers = { "x-api-version" = ["pattern:2024-*"] }`] : []),
      'action = ["strip"]',
    );
  }
  return lines.join('\n') + '\n';
}

const text = buildPolicy();
let t = performance.now();
const loaded = loadPolicy({ config: { file: '/bench/config.toml', text }, env: {} });
const loadMs = performance.now() - t;
if (!loaded.policy) throw new Error(loaded.diagnostics.slice(0, 5).map((d) => d.message).join('\n'));
const policy = loaded.policy;

const pub = { assumedPublic: true } as const;
const headers = new Map([['x-api-version', ['2024-05-01']]]);
const requests: DecisionRequest[] = [];
for (let i = 0; i < 2000; i++) {
  switch (i % 6) {
    case 0: requests.push({ kind: 'connect', authority: `host${(i * 4) % 1000}.example.com:443`, resolution: pub }); break;
    case 1: requests.push({ kind: 'connect', authority: `a.b.svc${(i * 4 + 1) % 1000}.example.net:443`, resolution: pub }); break;
    case 2: requests.push({ kind: 'connect', authority: `region${(i * 4 + 3) % 1000}-eu.cdn.example.io:443`, resolution: pub }); break;
    case 3: requests.push({ kind: 'connect', authority: `unknown${i}.nowhere.test:443`, resolution: pub }); break;
    default: requests.push({
      kind: 'inner', tunnelHost: `api${i % 300}.hooked.test`, port: 443, method: ['GET', 'POST', 'PUT', 'DELETE'][i % 4]!,
      path: i % 2 ? `/v${i % 7}/items/${i}` : `/repos/acme/r${i % 1000}/issues`, query: 'state=open&page=2',
      headers: (n) => headers.get(n), resolution: pub,
    });
  }
}

function run(n: number): number {
  let allow = 0;
  for (let i = 0; i < n; i++) if (decide(policy, requests[i % requests.length]!).decision === 'allow') allow++;
  return allow;
}
run(50_000); // warm-up
const rounds: number[] = [];
for (let r = 0; r < 7; r++) {
  t = performance.now();
  run(200_000);
  rounds.push(((performance.now() - t) * 1000) / 200_000);
}
rounds.sort((a, b) => a - b);
const byKind = (kind: DecisionRequest['kind']) => {
  const subset = requests.filter((r) => r.kind === kind);
  const s = performance.now();
  for (let i = 0; i < 100_000; i++) decide(policy, subset[i % subset.length]!);
  return ((performance.now() - s) * 1000) / 100_000;
};
console.log(`policy: ${text.split('\n').length} lines, 1,300 domain patterns, 1,000 hooks on 300 hosts`);
console.log(`load + validate + compile: ${loadMs.toFixed(1)} ms`);
console.log(`decide(): median ${rounds[3]!.toFixed(2)} µs/request (min ${rounds[0]!.toFixed(2)}, max ${rounds[6]!.toFixed(2)}) over a CONNECT/inner mix`);
console.log(`  CONNECT only: ${byKind('connect').toFixed(2)} µs; inner (hook matching) only: ${byKind('inner').toFixed(2)} µs`);
