// Markdown for bench/results/latest.md: the aims first, then one table per scenario.
import type { Summary } from './lib';
import type { ScenarioResult } from './scenarios';

interface Report {
  mode: string;
  rounds: number;
  date: string;
  durationS: number;
  machine: { cpus: number; cpu: string; memGiB: number; node: string; loadavg?: number[] };
  unavailable: Record<string, string>;
  results: ScenarioResult[];
}

const fmt = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '–' : Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2));
const range = (s: Summary | undefined): string => (s ? `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})` : '–');
const isSummary = (v: unknown): v is Summary => typeof v === 'object' && v !== null && 'median' in v;

export function markdown(r: Report): string {
  const out = [
    `# Benchmark results (${r.mode}, ${r.rounds} rounds)`, '',
    `${r.date} · ${r.machine.cpus} × ${r.machine.cpu} · ${r.machine.memGiB} GiB · Node ${r.machine.node} · ${r.durationS} s${r.machine.loadavg ? ` · load average at the end ${r.machine.loadavg.join(' / ')} (other jobs shared the machine)` : ''}. Loopback only; every peer, upstream and load generator its own process; peers alternate within each round; ratios are per round, then the median (min–max). Values: median (min–max) over rounds.`, '',
  ];
  const aims = r.results.flatMap((s) => (s.aims ?? []).map((a) => ({ s, a })));
  if (aims.length) {
    out.push('## Aims', '', '| Scenario | Aim | Result | Met |', '|---|---|---|---|');
    for (const { s, a } of aims) out.push(`| ${s.title} | ${a.text} | ${a.ratio ? `${a.ratio} = ` : ''}${fmt(a.actual)} | ${a.met === undefined ? 'n/a' : a.met ? 'yes' : '**no**'} |`);
    out.push('');
  }
  for (const s of r.results) {
    out.push(`## ${s.title}`, '');
    if (s.error) {
      out.push(`**Failed:** ${s.error}`, '');
      continue;
    }
    const extras = [...new Set(Object.values(s.peers).flatMap((p) => Object.keys(p).filter((k) => k !== 'value' && k !== 'failed' && k !== 'failures')))];
    out.push(`| Peer | ${s.unit} | ${extras.join(' | ')}${extras.length ? ' | ' : ''}failures |`, `|---|---|${extras.map(() => '---|').join('')}---|`);
    for (const [name, p] of Object.entries(s.peers)) {
      const cells = extras.map((k) => {
        const v = p[k];
        return isSummary(v) ? range(v) : typeof v === 'number' ? fmt(v) : '–';
      });
      const failures = p.failed ? `**${p.failed}** ${JSON.stringify(p.failures ?? {}).slice(0, 200)}` : '0';
      out.push(`| ${name} | ${range(p.value)} | ${cells.join(' | ')}${cells.length ? ' | ' : ''}${failures} |`);
    }
    if (s.ratios && Object.keys(s.ratios).length) out.push('', 'Ratios (within round): ' + Object.entries(s.ratios).map(([k, v]) => `${k} ${range(v)}`).join(' · '));
    if (s.note) out.push('', s.note);
    out.push('');
  }
  if (Object.keys(r.unavailable).length) {
    out.push('## Peers that could not run', '');
    for (const [k, v] of Object.entries(r.unavailable)) out.push(`- ${k}: ${v}`);
    out.push('');
  }
  return out.join('\n');
}
