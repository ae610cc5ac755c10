// Presenting a fleet report: the summary counts, readable text, and Markdown for a PR comment.
import type { ChangeKind, ConfigDiff, ManagedChange } from '../engine/managedDiff';

export interface FleetSummary {
  configs: number;
  unchanged: number;
  changed: number;
  /** Configs that fail to load with the managed file (errors). */
  failing: number;
  /** Count of each kind of change over all configs. */
  changes: Record<ChangeKind, number>;
}

export interface FleetReport {
  requirements: string;
  sha256: string;
  /** Errors in the requirements file itself; when any, no config is checked. */
  requirementsErrors: string[];
  summary: FleetSummary;
  configs: ConfigDiff[];
}

const KINDS: ChangeKind[] = ['error', 'profile', 'forbidden-profile', 'inert-allow', 'dropped-deny', 'overwritten', 'forbidden-value'];
const LABEL: Record<ChangeKind, string> = {
  'error': 'fails to load',
  'profile': 'profile fallback',
  'forbidden-profile': 'forbidden profile',
  'inert-allow': 'inert allow',
  'dropped-deny': 'user deny dropped',
  'overwritten': 'overwritten',
  'forbidden-value': 'forbidden value',
};

export function summarize(configs: readonly ConfigDiff[]): FleetSummary {
  const changes = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<ChangeKind, number>;
  let changed = 0;
  let failing = 0;
  for (const c of configs) {
    if (c.changes.length) changed++;
    if (c.changes.some((x) => x.kind === 'error')) failing++;
    for (const x of c.changes) changes[x.kind]++;
  }
  return { configs: configs.length, unchanged: configs.length - changed, changed, failing, changes };
}

function where(c: ManagedChange): string {
  const parts = [c.configLine ? `config:${c.configLine}` : '', c.requirementsLine ? `requirements:${c.requirementsLine}` : ''].filter(Boolean);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

export function fleetText(r: FleetReport, shown: (f: string) => string): string {
  const lines = [`${shown(r.requirements)} (sha256 ${r.sha256.slice(0, 12)}…)`];
  if (r.requirementsErrors.length) return [...lines, 'the requirements file has errors; no config was checked:', ...r.requirementsErrors.map((m) => `  ${m}`)].join('\n');
  const s = r.summary;
  lines.push(`${s.configs} configs: ${s.unchanged} unchanged, ${s.changed} changed by the managed layer, ${s.failing} fail to load`);
  const totals = KINDS.filter((k) => s.changes[k]).map((k) => `${s.changes[k]} ${LABEL[k]}`);
  if (totals.length) lines.push(`changes: ${totals.join(', ')}`);
  for (const c of r.configs) {
    if (!c.changes.length) continue;
    lines.push('', `${shown(c.file)} — profile ${c.profile.after ?? '(none)'}`);
    for (const x of c.changes) lines.push(`  ${LABEL[x.kind].padEnd(18)} ${x.message}${where(x)}`);
  }
  return lines.join('\n');
}

const MD_ROWS = 100;
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function fleetMarkdown(r: FleetReport, shown: (f: string) => string): string {
  const out = [`### Managed policy rollout: \`${cell(shown(r.requirements))}\``, '', `sha256 \`${r.sha256}\``, ''];
  if (r.requirementsErrors.length) return [...out, '**The requirements file has errors; no config was checked.**', '', ...r.requirementsErrors.map((m) => `- ${cell(m)}`)].join('\n');
  const s = r.summary;
  const verdict = s.failing ? `:x: ${s.failing} of ${s.configs} configs fail to load with this file` : `:white_check_mark: all ${s.configs} configs load`;
  out.push(verdict, '', '| | configs |', '|---|---:|', `| checked | ${s.configs} |`, `| unchanged | ${s.unchanged} |`, `| changed by the managed layer | ${s.changed} |`);
  out.push('', '| change | occurrences |', '|---|---:|', ...KINDS.map((k) => `| ${LABEL[k]} | ${s.changes[k]} |`));
  const changed = r.configs.filter((c) => c.changes.length);
  if (!changed.length) return out.join('\n');
  out.push('', `<details><summary>${changed.length} changed config${changed.length === 1 ? '' : 's'}</summary>`, '', '| config | profile | changes |', '|---|---|---|');
  for (const c of changed.slice(0, MD_ROWS)) {
    const profile = c.profile.before === c.profile.after ? `\`${c.profile.after ?? 'none'}\`` : `\`${c.profile.before ?? 'none'}\` → \`${c.profile.after ?? 'none'}\``;
    out.push(`| \`${cell(shown(c.file))}\` | ${profile} | ${c.changes.map((x) => `${LABEL[x.kind]}: ${cell(x.message)}${where(x)}`).join('<br>')} |`);
  }
  if (changed.length > MD_ROWS) out.push('', `…and ${changed.length - MD_ROWS} more (run with \`--json\` for all).`);
  out.push('', '</details>');
  return out.join('\n');
}
