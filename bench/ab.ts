// A/B of two builds of our proxy on the 8-connection MITM keep-alive scenario, alternated in one
// run (A B A B …), each proxy, the origin and the load generator its own process:
//   node --import tsx bench/ab.ts --a DIST_A --b DIST_B|bare [--rounds 6] [--duration 3] [--conns 8]
//        [--workers N] [--profile DIR] [--env-a K=V,…] [--env-b K=V,…] [--warm S] [--node-args 'A B'] [--node-a …] [--node-b …]
//        [--idle S] [--first S] [--pin] [--fresh]
// (a DIST is a build's dist/ directory, e.g. one built from a base commit). Round r runs A then B,
// the next round B then A. Prints each round and the medians (min–max) of req/s, p50 and the
// proxy's CPU µs per request, the within-round ratios b/a, and load1. --profile writes a
// --cpu-prof of each proxy to DIR/a and DIR/b. --warm S: an unrecorded run of S seconds per build
// first (the JIT's warm-up otherwise dominates the first rounds); --node-args: Node options for both,
// --node-a / --node-b for one build (V8 flag experiments). --idle S: a pause of S seconds after each
// run (each proxy then idles 2S + a run between its rounds: its idle collector and V8's own GCs
// act as between a developer's bursts). --first S: each round starts with a separate S-second run on
// fresh connections whose CPU µs/request is reported as `first` (the cost of the first requests
// after an idle gap: re-optimisation, cold caches). --pin: the proxies (all their threads) on CPU 0,
// the origin and the load generator on CPU 1. This VM's two vCPUs can differ by a third in speed
// for minutes (a fixed loop: 371-391 ms on CPU 0, 498-523 ms on CPU 1), and unpinned processes land
// on either, so an A/B of a few percent needs the proxies on one core. --fresh: a new proxy process
// per build and round, warmed (--warm) before its run, so a build's figure is not one process's
// JIT luck (its inlining and deopt choices last the process's life). Even so, an A/A on this VM
// reads within ±3% in median and 0.6-1.4 per round: a few-percent effect needs 10+ rounds.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { API_NAME, proxyPolicy, upstreamCerts } from './fixtures';
import { cpuSeconds, onCpu, pinTree, runJson, start, summarize, type Summary } from './lib';
import { ours, type BenchEnv, type Peer } from './peers';

const opt = (k: string, d?: string): string => {
  const i = process.argv.indexOf(`--${k}`);
  if (i > 0) return process.argv[i + 1]!;
  if (d === undefined) throw new Error(`missing --${k}`);
  return d;
};
// `bare` instead of a DIST: bench/bareMitm.ts, the floor of a Node MITM proxy on the same stack.
const dist = (k: string): string => (opt(k) === 'bare' ? 'bare' : resolve(opt(k)));
const builds = { a: dist('a'), b: dist('b') };
const rounds = Number(opt('rounds', '6'));
const duration = opt('duration', '3');
const conns = opt('conns', '8');
const profile = process.argv.includes('--profile') ? resolve(opt('profile')) : null;
const extra = process.argv.includes('--workers') ? ['--workers', opt('workers')] : [];
const warm = Number(opt('warm', '0'));
const idle = Number(opt('idle', '0'));
const first = opt('first', '0');
const pin = process.argv.includes('--pin');
const fresh = process.argv.includes('--fresh');
const nodeArgs = (name: string): string[] => `${opt('node-args', '')} ${opt(`node-${name}`, '')}`.split(' ').filter(Boolean);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cnp-ab-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  await build({ entryPoints: { loadgen: join(import.meta.dirname, 'loadgen.ts'), upstream: join(import.meta.dirname, 'upstream.ts'), 'bare/cli': join(import.meta.dirname, 'bareMitm.ts') }, outdir: bin, bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning' });
  const certs = upstreamCerts(dir);
  const secret = 'bench-secret-value';
  const upstream = start(process.execPath, [join(bin, 'upstream.js'), '--cert', certs.cert, '--key', certs.key], { BENCH_SECRET: secret });
  const ports = (await upstream.firstJson) as { https: number };
  if (pin) pinTree(upstream.child.pid!, 1);
  const policy = join(dir, 'policy.toml');
  writeFileSync(policy, proxyPolicy(0));
  const startPeer = async (name: string, built: string): Promise<Peer> => {
    const dist = built === 'bare' ? join(bin, 'bare') : built;
    const env: BenchEnv = { root: join(import.meta.dirname, '..'), dir, secret, upstreamCa: certs.ca, policy, names: [`${API_NAME}=127.0.0.1`], dist,
      nodeArgs: [...nodeArgs(name), ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${join(profile, name)}`] : [])] };
    // --env-a / --env-b K=V,K=V: environment for that build's process only (feature experiments).
    const vars = process.argv.includes(`--env-${name}`) ? opt(`env-${name}`).split(',').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as [string, string]) : [];
    for (const [k, v] of vars) process.env[k] = v;
    const peer = await ours(env, name, extra);
    if (pin) pinTree(peer.pid!, 0);
    for (const [k] of vars) delete process.env[k];
    return peer;
  };
  let peers: Peer[] = [];
  for (const [name, built] of Object.entries(builds)) peers.push(await startPeer(name, built));
  const runs: Record<string, Record<string, number>[]> = { a: [], b: [] };
  const load = (p: Peer, seconds: string, warmup = '0.5'): Promise<Record<string, unknown>> => runJson(...onCpu(pin ? 1 : undefined, process.execPath, [join(bin, 'loadgen.js'), '--mode', 'keepalive', '--target', `127.0.0.1:${ports.https}`, '--name', API_NAME,
    '--conns', conns, '--duration', seconds, '--warmup', warmup, '--ca', p.ca, '--proxy', p.proxy!, ...(p.auth ? ['--auth', p.auth] : []), '--by-name', '1']));
  // The proxy's CPU µs per request of one short run (no warm-up excluded: the first requests count).
  const cpuPerRequest = async (p: Peer, seconds: string): Promise<{ cpuUs: number; failed: number }> => {
    const cpu0 = cpuSeconds(p.pid!);
    const res = await load(p, seconds, '0');
    return { cpuUs: ((cpuSeconds(p.pid!) - cpu0) * 1e6) / Number(res.total), failed: Number(res.failed) };
  };
  try {
    if (warm > 0) for (const p of peers) await load(p, String(warm));
    for (let r = 0; r < rounds; r++) {
      for (let p of r % 2 ? [...peers].reverse() : peers) {
        if (fresh && r > 0) {
          await p.stop();
          const next = await startPeer(p.name, builds[p.name as keyof typeof builds]);
          peers = peers.map((x) => (x === p ? next : x));
          p = next;
          if (warm > 0) await load(p, String(warm));
        }
        const firstCpuUs = first !== '0' ? await cpuPerRequest(p, first) : { cpuUs: NaN, failed: 0 };
        const cpu0 = cpuSeconds(p.pid!);
        const res = await load(p, duration);
        const cpuUs = ((cpuSeconds(p.pid!) - cpu0) * 1e6) / Number(res.total);
        const row = { rps: Number(res.rps), p50: Number(res.p50), cpuUs, firstCpuUs: firstCpuUs.cpuUs, failed: Number(res.failed) + firstCpuUs.failed, load1: loadavg()[0]! };
        runs[p.name]!.push(row);
        console.error(`round ${r + 1} ${p.name}: ${JSON.stringify(row)}`);
        if (idle > 0) await new Promise((r) => setTimeout(r, idle * 1000));
      }
    }
  } finally {
    for (const p of peers) await p.stop();
    await upstream.stop();
  }
  const fmt = (s: Summary): string => `${s.median.toFixed(s.median >= 100 ? 0 : 2)} (${s.min.toFixed(s.min >= 100 ? 0 : 2)}–${s.max.toFixed(s.max >= 100 ? 0 : 2)})`;
  const col = (n: string, k: string): Summary => summarize(runs[n]!.map((x) => x[k]!));
  const ratio = (k: string): Summary => summarize(runs.b!.map((x, i) => x[k]! / runs.a![i]![k]!));
  const out = {
    a: builds.a, b: builds.b, rounds, duration, conns,
    rps: { a: fmt(col('a', 'rps')), b: fmt(col('b', 'rps')), 'b/a': fmt(ratio('rps')) },
    cpuUsPerReq: { a: fmt(col('a', 'cpuUs')), b: fmt(col('b', 'cpuUs')), 'b/a': fmt(ratio('cpuUs')) },
    ...(first !== '0' ? { firstCpuUsPerReq: { a: fmt(col('a', 'firstCpuUs')), b: fmt(col('b', 'firstCpuUs')), 'b/a': fmt(ratio('firstCpuUs')) } } : {}),
    p50: { a: fmt(col('a', 'p50')), b: fmt(col('b', 'p50')) },
    failed: { a: col('a', 'failed').samples.reduce((x, y) => x + y, 0), b: col('b', 'failed').samples.reduce((x, y) => x + y, 0) },
    load1: fmt(summarize([...runs.a!, ...runs.b!].map((x) => x.load1!))),
  };
  console.log(JSON.stringify(out, null, 1));
}

main().then(() => process.exit(0), (e: unknown) => {
  console.error(e);
  process.exit(1);
});
