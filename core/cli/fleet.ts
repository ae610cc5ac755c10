// `codex-netpolicy fleet --requirements FILE CONFIG|DIR...`: one managed requirements.toml against
// many user configs — per config, what the managed layer changes (core/policy/managedDiff.ts).
// Decision: its own subcommand rather than `check --requirements` with many configs, because
// `check` reports diagnostics per file (and its --json is a flat diagnostic list that CI already
// parses); a rollout review needs a per-config diff and a summary, a different output contract.
import { readdirSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, relative, resolve } from 'node:path';
import type { Io } from './io';
import { one, parseArgs, UsageError } from './args';
import { rangeOf } from '../toml/load';
import { readDocument } from './check';
import { validateDocuments } from '../validate/documents';
import { diffManagedLayer, type ConfigDiff } from '../engine/managedDiff';
import { fleetMarkdown, fleetText, summarize, type FleetReport } from './fleetReport';

const HELP = `Usage: codex-netpolicy fleet --requirements FILE [--json | --markdown] CONFIG|DIR...

Checks one managed requirements.toml against many user config.toml files before rollout and
reports, per config, what the managed layer changes: configs that stop loading (errors), profile
fallbacks, profiles the config defines that become forbidden, allow entries made inert, user
denies no longer in force, overwritten network settings and forbidden values.
A DIR is searched recursively for *.toml files (requirements.toml files excepted).

  --json       One JSON report: {requirements, sha256, summary, configs: [{file, profile, changes}]}
  --markdown   A summary for a pull-request comment (changed configs listed, capped at 100)

Exit status: 2 if the requirements file itself has errors, 1 if any config fails to load with
it (Codex and the proxy refuse such a config), else 0.`;

/** Files named on the command line, and *.toml files under named directories, sorted per directory. */
export function expandConfigArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.toml') && !name.endsWith('requirements.toml')) out.push(p);
    }
  };
  for (const a of args) {
    const p = resolve(a);
    let isDir = false;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      // a missing file is reported when it is read
    }
    if (isDir) walk(p);
    else out.push(p);
  }
  return out;
}

export function fleetReport(requirementsFile: string, configFiles: readonly string[]): FleetReport {
  const requirements = readDocument(resolve(requirementsFile), 'requirements');
  const own = validateDocuments(undefined, requirements).filter((d) => d.severity === 'error' && d.file === 'requirements');
  const base = { requirements: requirements.file, sha256: createHash('sha256').update(requirements.text).digest('hex') };
  const at = (d: (typeof own)[number]): string => `${requirements.file}:${(d.range ?? rangeOf(requirements.index, d.path, d.target)).start.line + 1}: ${d.message}`;
  if (own.length) return { ...base, requirementsErrors: own.map(at), summary: summarize([]), configs: [] };
  const configs: ConfigDiff[] = configFiles.map((f) => diffManagedLayer(readDocument(f, 'config'), requirements));
  return { ...base, requirementsErrors: [], summary: summarize(configs), configs };
}

export function runFleet(argv: string[], io: Io): number {
  const args = parseArgs(argv, { flags: ['json', 'markdown', 'help'], options: ['requirements'] });
  if (args.flags.has('help')) {
    io.out(HELP);
    return 0;
  }
  const requirements = one(args, 'requirements');
  if (!requirements) throw new UsageError('--requirements FILE is required');
  if (args.flags.has('json') && args.flags.has('markdown')) throw new UsageError('--json and --markdown exclude each other');
  if (!args.positionals.length) throw new UsageError('no config files given');
  const files = expandConfigArgs(args.positionals);
  if (!files.length) throw new UsageError('no *.toml config files found');
  const report = fleetReport(requirements, files);
  const shown = (f: string): string => {
    const r = relative(process.cwd(), f);
    return !r || r.startsWith('..') ? f : r;
  };
  if (args.flags.has('json')) io.out(JSON.stringify(report, null, 2));
  else if (args.flags.has('markdown')) io.out(fleetMarkdown(report, shown));
  else io.out(fleetText(report, shown));
  if (report.requirementsErrors.length) return 2;
  return report.summary.failing > 0 ? 1 : 0;
}
