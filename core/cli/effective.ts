// `codex-netpolicy effective`: the policy the proxy would enforce after profiles, `extends` and
// managed requirements are merged, each entry with its source, and the inert entries with why.
import type { Io } from './io';
import { one, parseArgs } from './args';
import { formatDiagnostic, loadPolicyFiles, shownPath } from './policyFiles';
import { effectiveReport, type EffectiveEntry, type EffectiveReport, type EntryKind } from '../policy/provenance';

const HELP = `Usage: codex-netpolicy effective [--json] [--config FILE] [--requirements FILE] [--profile NAME]

Prints the policy the proxy would enforce: network state, mode, every flag with its winning value,
every domain entry, hook and action, each with its source (file:line and layer: built-in, parent
profile, user, managed), and every written entry that has no effect, with why. No secret is read.

Exit status: 0, or 2 when the policy is invalid or no profile resolves.`;

const SECTIONS: [EntryKind, string][] = [
  ['setting', 'Settings'], ['domain', 'Domains'], ['hook', 'MITM hooks'], ['action', 'MITM actions'],
  ['header_injection', 'Managed header injections'], ['unix_socket', 'Unix sockets'],
];

export function runEffective(argv: string[], io: Io): number {
  const args = parseArgs(argv, { flags: ['json', 'help'], options: ['config', 'requirements', 'profile'] });
  if (args.flags.has('help')) {
    io.out(HELP);
    return 0;
  }
  const config = one(args, 'config');
  const requirements = one(args, 'requirements');
  const profile = one(args, 'profile');
  const loaded = loadPolicyFiles({ ...(config ? { config } : {}), ...(requirements ? { requirements } : {}), ...(profile ? { profile } : {}), env: io.env, secrets: 'optional' });
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  const report = errors.length ? undefined : effectiveReport(loaded.documents, profile);
  if (!report) {
    for (const d of errors.length ? errors : loaded.diagnostics) io.err(formatDiagnostic(d));
    if (!loaded.files.config && !loaded.files.requirements) io.err('no policy: no config.toml found (pass --config FILE)');
    return 2;
  }
  for (const d of loaded.diagnostics) io.err(formatDiagnostic({ ...d, message: `${d.severity === 'information' ? 'note' : d.severity}: ${d.message}` }));
  if (args.flags.has('json')) io.out(JSON.stringify(report, null, 2));
  else io.out(formatReport(report));
  return 0;
}



export function sourceText(e: EffectiveEntry): string {
  const s = e.source;
  const where = s.file ? ` ${shownPath(s.file)}:${s.line}` : '';
  return `${s.layer}${s.layer === 'parent profile' && s.profile ? ` ${s.profile}` : ''}${where}`;
}

export function formatReport(r: EffectiveReport): string {
  const state = r.state === 'enabled' ? `proxy enabled, ${r.mode} mode` : r.state === 'disabled' ? 'network disabled' : 'unrestricted (no proxy)';
  const at = /^(.*):(\d+)$/.exec(r.selectedBy);
  const lines = [`Profile ${r.profile} (selected by ${at ? `${shownPath(at[1]!)}:${at[2]}` : r.selectedBy}): ${state}`];
  const row = (e: EffectiveEntry) => {
    const what = e.kind === 'setting' ? `${e.key} = ${e.value}` : e.kind === 'domain' || e.kind === 'unix_socket' ? `${e.value.padEnd(5)} ${e.key}` : `${e.key}: ${e.value}`;
    return `  ${what.padEnd(56)} ${sourceText(e)}`;
  };
  for (const [kind, title] of SECTIONS) {
    const live = r.entries.filter((e) => e.kind === kind && !e.inert);
    if (!live.length) continue;
    lines.push('', title, ...live.map(row));
  }
  const inert = r.entries.filter((e) => e.inert);
  if (inert.length) {
    lines.push('', 'Inert (written, but no effect)');
    for (const e of inert) lines.push(`${row(e)}\n      ↳ ${e.inert}`);
  }
  return lines.join('\n');
}
