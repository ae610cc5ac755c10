// `npm run bench [-- --quick] [-- --only NAME,...]`: every peer, upstream and load generator in its
// own process; peers alternate A B C A B C … within each round; ratios are taken within a round.
// Writes bench/results/latest.json and latest.md. Traffic stays on loopback.
import { existsSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { API_NAME, freshName, proxyPolicy, RAW_NAME, upstreamCerts } from './fixtures';
import { pinTree, start, vcpuSpeeds, type Proc } from './lib';
import { PEERS, type BenchEnv, type Peer } from './peers';
import { markdown } from './report';
import { RAW_HOST, SCENARIOS, type Ctx, type ScenarioResult } from './scenarios';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
// Options: --quick (under 3 minutes), --only id,id (mitm8 first tunnel chain idle check lsp micro mitm1
// mitm64 mitmh2 activation vsix), --ours-dist DIR (measure another build, e.g. a base commit's dist/), --out DIR,
// --merge (replace only the re-measured scenarios in the existing latest.json), --pin (every peer
// with its threads and children on vCPU 0, the origin and the load generators on vCPU 1: the proxy
// under test no longer shares a core with the load or migrates between vCPUs; not the default,
// which measures as a user's machine schedules).
const quick = process.argv.includes('--quick');
const pin = process.argv.includes('--pin');
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? process.argv[onlyArg + 1]!.split(',') : null;
const distArg = process.argv.indexOf('--ours-dist');
const dist = distArg > 0 ? process.argv[distArg + 1]! : join(ROOT, 'dist');
const resultsArg = process.argv.indexOf('--out');

async function main(): Promise<void> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'cnp-bench-'));
  const out = join(dir, 'bin');
  mkdirSync(out);
  // Bundled once so a load-generator run starts in milliseconds, not via a TS loader.
  await build({ entryPoints: { loadgen: join(ROOT, 'bench/loadgen.ts'), upstream: join(ROOT, 'bench/upstream.ts') }, outdir: out, bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning' });
  const certs = upstreamCerts(dir);
  const secret = 'bench-secret-value';
  const rounds = quick ? 3 : 5;
  const upstream: Proc = start(process.execPath, [join(out, 'upstream.js'), '--cert', certs.cert, '--key', certs.key, '--new-hosts', '200'], { BENCH_SECRET: secret });
  const ports = (await upstream.firstJson) as { https: number; h2: number; bytes: number; echo: number; fresh: string[] };
  if (pin) pinTree(upstream.child.pid!, 1);
  const policyFile = join(dir, 'policy.toml');
  writeFileSync(policyFile, proxyPolicy(ports.fresh.length));
  const names = [`${API_NAME}=127.0.0.1`, `${RAW_NAME}=${RAW_HOST}`, ...ports.fresh.map((t, i) => `${freshName(i)}=${t.split(':')[0]}`)];
  const env: BenchEnv = { root: ROOT, dir, secret, upstreamCa: certs.ca, policy: policyFile, names, dist };

  const peers = new Map<string, Peer>();
  const unavailable: Record<string, string> = {};
  // ours2 (--workers 2) is measured in full runs only (bench/scenarios.ts).
  for (const name of ['direct', 'ours', ...(quick ? [] : ['ours2']), 'mitmproxy', 'squid', 'mockttp', 'tinyproxy']) {
    try {
      const peer = await PEERS[name]!(env);
      if (pin && peer.pid) pinTree(peer.pid, 0);
      peers.set(name, peer);
    } catch (e) {
      unavailable[name] = e instanceof Error ? e.message : String(e);
      console.error(`peer ${name} unavailable: ${unavailable[name]}`);
    }
  }
  const ctx: Ctx = { env, quick, rounds, pin, peers, ports, loadgen: join(out, 'loadgen.js'), ...(upstream.child.pid ? { upstreamPid: upstream.child.pid } : {}), log: (m) => console.error(m) };
  const results: ScenarioResult[] = [];
  const speedsAtStart = vcpuSpeeds();
  try {
    for (const s of SCENARIOS) {
      if (only && !only.includes(s.id)) continue;
      console.error(`== ${s.title}`);
      const t0 = Date.now();
      try {
        results.push(await s.run(ctx));
      } catch (e) {
        results.push({ id: s.id, title: s.title, unit: '', peers: {}, error: e instanceof Error ? e.message : String(e) });
      }
      // Where the run's minutes go (--quick must stay under 3).
      console.error(`   (${s.id}: ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    }
  } finally {
    for (const p of peers.values()) await p.stop();
    await upstream.stop();
  }
  const dest = resultsArg > 0 ? process.argv[resultsArg + 1]! : join(ROOT, 'bench', 'results');
  mkdirSync(dest, { recursive: true });
  // --merge: re-measured scenarios replace theirs in the existing latest.json; the rest is kept.
  const previous = process.argv.includes('--merge') && existsSync(join(dest, 'latest.json')) ? (JSON.parse(readFileSync(join(dest, 'latest.json'), 'utf8')) as { results: ScenarioResult[] }).results : [];
  const stamp = new Date().toISOString();
  const merged = previous.map((r) => results.find((n) => n.id === r.id) ?? r);
  for (const r of results) {
    if (previous.length) r.note = `${r.note ? `${r.note}; ` : ''}re-measured ${stamp}`;
    if (!merged.includes(r)) merged.push(r);
  }
  const report = {
    mode: quick ? 'quick' : 'full', rounds, pinned: pin, date: stamp, durationS: Math.round((Date.now() - started) / 1000),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? '', memGiB: Math.round(totalmem() / 2 ** 30), node: process.version, loadavg: loadavg().map((x) => Math.round(x * 10) / 10), vcpuMs: { start: speedsAtStart, end: vcpuSpeeds() } },
    unavailable, results: previous.length ? merged : results,
  };
  writeFileSync(join(dest, 'latest.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(join(dest, 'latest.md'), markdown(report));
  console.log(markdown(report));
}

main().then(() => process.exit(0), (e: unknown) => {
  console.error(e);
  process.exit(1);
});
