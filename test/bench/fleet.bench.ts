// Benchmark: `codex-netpolicy fleet` on a generated sample of 1,000 configs (whole process: node
// start-up, reading, parsing, the diff, JSON out), next to `codex-netpolicy check` of the same
// files against the same requirements as the peer. Run: npm run bench:fleet. Prints numbers only.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SAMPLE_REQUIREMENTS, sampleConfig } from './fleetSample';

const N = Number(process.env.FLEET_N ?? 1000);
const RUNS = Number(process.env.FLEET_RUNS ?? 3);
const CLI = resolve(__dirname, '..', '..', 'dist', 'cli.js');

const dir = mkdtempSync(join(tmpdir(), 'cnp-fleet-bench-'));
try {
  const requirements = join(dir, 'requirements.toml');
  writeFileSync(requirements, SAMPLE_REQUIREMENTS);
  const files: string[] = [];
  for (let i = 0; i < N; i++) {
    const d = join(dir, 'devs', `dev${String(i).padStart(4, '0')}`);
    mkdirSync(d, { recursive: true });
    files.push(join(d, 'config.toml'));
    writeFileSync(files[i]!, sampleConfig(i));
  }
  // The child reports its own CPU time (user + system) at exit: on a shared machine wall time
  // mostly measures the other processes, CPU time what this one costs.
  const preload = join(dir, 'cpu.cjs');
  writeFileSync(preload, "process.on('exit', () => { const u = process.cpuUsage(); process.stderr.write(`\\ncpu-ms ${(u.user + u.system) / 1000}\\n`); });\n");
  const time = (args: string[]): { ms: number; cpuMs: number; out: string } => {
    const t = performance.now();
    const r = spawnSync(process.execPath, ['--require', preload, CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
    const ms = performance.now() - t;
    const cpu = /cpu-ms ([\d.]+)/.exec(r.stderr);
    if (!cpu) throw new Error(`no CPU figure (exit ${r.status}): ${r.stderr.slice(0, 500)}`);
    return { ms, cpuMs: Number(cpu[1]), out: r.stdout };
  };
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const fleet = { wall: [] as number[], cpu: [] as number[] };
  const check = { wall: [] as number[], cpu: [] as number[] };
  let summary = '';
  for (let run = 0; run < RUNS; run++) {
    const f = time(['fleet', '--requirements', requirements, '--json', join(dir, 'devs')]);
    fleet.wall.push(f.ms);
    fleet.cpu.push(f.cpuMs);
    summary = JSON.stringify((JSON.parse(f.out) as { summary: unknown }).summary);
    const c = time(['check', '--json', '--requirements', requirements, ...files]);
    check.wall.push(c.ms);
    check.cpu.push(c.cpuMs);
  }
  const row = (name: string, m: { wall: number[]; cpu: number[] }): string =>
    `  ${name.padEnd(14)} wall ${median(m.wall).toFixed(0).padStart(6)} ms   cpu ${median(m.cpu).toFixed(0).padStart(6)} ms  (${(median(m.cpu) / N).toFixed(2)} ms/config)`;
  console.log(`fleet sample: ${N} configs, median of ${RUNS} runs, each a fresh process (load average ${loadavg()[0]!.toFixed(1)})`);
  console.log(`  summary: ${summary}`);
  console.log(`${row('fleet --json', fleet)}  aim: < 10000 ms`);
  console.log(`${row('check --json', check)}  (peer: diagnostics only)`);
  console.log(`  ratio fleet/check: wall ${(median(fleet.wall) / median(check.wall)).toFixed(2)}, cpu ${(median(fleet.cpu) / median(check.cpu)).toFixed(2)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
