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
  out.push(...whyNot(r.results.find((s) => s.id === 'mitm8')));
  if (Object.keys(r.unavailable).length) {
    out.push('## Peers that could not run', '');
    for (const [k, v] of Object.entries(r.unavailable)) out.push(`- ${k}: ${v}`);
    out.push('');
  }
  return out.join('\n');
}

/**
 * When the 8-connection MITM aims are not met: the CPU budget they imply on this machine against
 * what each process spent per request in the same run (Little's law for the closed loop: 8
 * connections at a p50 of 1.5 ms need about 5,300 req/s).
 */
function whyNot(s: ScenarioResult | undefined): string[] {
  if (!s?.aims || s.aims.every((a) => a.met !== false)) return [];
  const med = (peer: string, k = 'value'): number => {
    const v = k === 'value' ? s.peers[peer]?.value : s.peers[peer]?.[k];
    return isSummary(v) ? v.median : NaN;
  };
  const cores = 2;
  const budget = cores * 1e6;
  const target = Math.max(10 * med('mitmproxy'), 8 / 0.0015);
  const client = med('ours', 'clientCpuUsPerReq');
  const upstream = med('ours', 'upstreamCpuUsPerReq');
  const row = (who: string, us: number, note: string): string => `| ${who} | ${fmt(us)} | ${note} |`;
  const others = client + upstream;
  return [
    '## Why the MITM aims are not met here', '',
    `Both aims (≥ 10× mitmproxy, p50 ≤ 1.5 ms with 8 connections) need about ${fmt(target)} req/s. The load generator, the upstream and the proxy share ${cores} cores, i.e. ${fmt(budget)} µs of CPU per second, so every request may cost at most **${fmt(budget / target)} µs of CPU in all processes together**. Measured per request in this run (medians):`, '',
    '| Process | CPU µs per request | |', '|---|---|---|',
    row('load generator (TLS client, through our proxy)', client, `caps it alone at ${fmt(1e6 / client)} req/s (one event loop)`),
    row('upstream origin (TLS server)', upstream, ''),
    row('our proxy, 1 process', med('ours', 'cpuUsPerReq'), `${fmt(med('ours'))} req/s`),
    row('our proxy, --workers 2', med('ours2', 'cpuUsPerReq'), `${fmt(med('ours2'))} req/s`),
    row('squid ssl-bump (C, the reference)', med('squid', 'cpuUsPerReq'), `${fmt(med('squid'))} req/s`),
    row('mitmproxy', med('mitmproxy', 'cpuUsPerReq'), `${fmt(med('mitmproxy'))} req/s`), '',
    `Left for the proxy: ${fmt(budget / target - others)} µs per request once the client and the upstream are paid (${fmt(others)} µs). ${budget / target - others < med('squid', 'cpuUsPerReq') ? 'That is less than squid spends, so on this machine the aims are out of reach for any MITM proxy measured here, not only for ours. ' : ''}Direct (no proxy) did ${fmt(med('direct'))} req/s with p50 ${fmt(med('direct', 'p50'))} ms: the two TLS ends alone. A second worker process cannot add CPU that the machine does not have; it competes with the load generator and the upstream for the same 2 cores.`, '',
  ];
}
