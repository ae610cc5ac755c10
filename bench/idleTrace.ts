// One build of our proxy under 4 bursts of 3 s (8 keep-alive MITM connections), each followed by an
// idle gap, with V8 trace flags; the proxy's stdout (V8 traces, event lines) goes to OUT with a
// `=== MARK burstN|idleN` line at each phase, so deopts/optimisations/GCs can be counted per phase:
//   node --import tsx bench/idleTrace.ts OUT '--trace-deopt --trace-opt --trace-gc' [GAP_S=12] [DIST=dist]
// (docs/semantics.md, "hot code after an idle gap"). Loopback only.
import { createWriteStream, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { API_NAME, proxyPolicy, upstreamCerts } from './fixtures';
import { runJson, sleep, start } from './lib';

const out = process.argv[2]!;
const flags = (process.argv[3] ?? '').split(' ').filter(Boolean);
const idle = Number(process.argv[4] ?? '12');
const dist = resolve(process.argv[5] ?? 'dist');
async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cnp-idle-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  await build({ entryPoints: { loadgen: join(import.meta.dirname, 'loadgen.ts'), upstream: join(import.meta.dirname, 'upstream.ts') }, outdir: bin, bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning' });
  const certs = upstreamCerts(dir);
  const upstream = start(process.execPath, [join(bin, 'upstream.js'), '--cert', certs.cert, '--key', certs.key], { BENCH_SECRET: 's' });
  const ports = (await upstream.firstJson) as { https: number };
  const policy = join(dir, 'policy.toml');
  writeFileSync(policy, proxyPolicy(0));
  const p = start(process.execPath, [...flags, join(dist, 'cli.js'), 'proxy', '--json', '--config', policy, '--ca-dir', join(dir, 'ca'), '--upstream-ca', certs.ca, '--resolve', `${API_NAME}=127.0.0.1`],
    { CODEX_NETPOLICY_HOME: join(dir, 'home'), BENCH_SECRET: 's' });
  const f = createWriteStream(out);
  p.child.stdout!.pipe(f);
  const info = await p.firstJson;
  const url = new URL(String(info.proxyUrl));
  const auth = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  const mark = (s: string): void => void f.write(`\n=== MARK ${s} ${Date.now()}\n`);
  const load = (sec: string) => runJson(process.execPath, [join(bin, 'loadgen.js'), '--mode', 'keepalive', '--target', `127.0.0.1:${ports.https}`, '--name', API_NAME,
    '--conns', '8', '--duration', sec, '--warmup', '0.5', '--ca', String(info.caCert), '--proxy', String(info.http), '--by-name', '1', ...(url.username ? ['--auth', auth] : [])]);
  for (let i = 0; i < 4; i++) {
    mark(`burst${i}`);
    const r = await load('3');
    console.error(`burst ${i}: ${JSON.stringify(r).slice(0, 300)}`);
    mark(`idle${i}`);
    await sleep(idle * 1000);
  }
  mark('end');
  await p.stop();
  await upstream.stop();
}
main().then(() => process.exit(0), (e: unknown) => (console.error(e), process.exit(1)));
