// In-process figures, run as their own process: decide() per request on the 1,000-hook policy,
// and leaf issuance (a new host's certificate, including its TLS context). Prints one JSON line.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { loadOrCreateCa } from '../core/ca';
import { decide, type DecisionRequest } from '../core/policy/decide';
import { loadPolicy } from '../core/engine/load';
import { largePolicy } from './fixtures';
import { median } from './lib';

const env = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`TOKEN_${i}`, 'x']));
const loaded = loadPolicy({ config: { file: '/bench/config.toml', text: largePolicy(1000) }, env });
if (!loaded.policy) throw new Error(loaded.diagnostics.slice(0, 3).map((d) => d.message).join('; '));
const policy = loaded.policy;
const pub = { assumedPublic: true } as const;
const requests: DecisionRequest[] = Array.from({ length: 1000 }, (_, i) => i % 4 === 0
  ? { kind: 'connect', authority: `h${i % 100}.example.com:443`, resolution: pub }
  : { kind: 'inner', tunnelHost: `h${i % 100}.example.com`, port: 443, method: 'GET', path: `/api/v${i}/items`, query: 'page=1', headers: () => undefined, resolution: pub });

const perRequestUs: number[] = [];
for (let r = 0; r < 6; r++) {
  const t = performance.now();
  for (let i = 0; i < 50_000; i++) decide(policy, requests[i % requests.length]!);
  perRequestUs.push(((performance.now() - t) * 1000) / 50_000);
}

void (async () => {
  const ca = await loadOrCreateCa(join(mkdtempSync(join(tmpdir(), 'bench-ca-')), 'ca'));
  const leafMs: number[] = [];
  for (let i = 0; i < 40; i++) {
    const t = performance.now();
    const leaf = ca.leafFor(`new${i}.bench.test`);
    createSecureContext({ cert: leaf.certPem, key: leaf.keyPem });
    leafMs.push(performance.now() - t);
  }
  process.stdout.write(JSON.stringify({ decideUs: median(perRequestUs.slice(1)), leafMs: median(leafMs.slice(1)), leafFirstMs: leafMs[0] }) + '\n');
})();
