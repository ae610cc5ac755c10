// `codex-netpolicy suggest`: the smallest policy edit that would have allowed the denied requests
// in a decision log. Prints a unified diff of config.toml (nothing is written) or --json.
import { readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { readPolicySource } from '../engine/load';
import { suggestPolicy, type SuggestResult } from '../suggest';
import { one, parseArgs, UsageError } from './args';
import type { Io } from './io';
import { formatDiagnostic, policyFiles } from './policyFiles';

export const SUGGEST_HELP = `Usage: codex-netpolicy suggest --from EVENTS.jsonl [--config FILE] [--requirements FILE]
                              [--profile NAME] [--json]

Reads decision events (a proxy --audit file or a JSONL export of the decision log) and prints the
smallest edit of config.toml that would have allowed the denied requests, as a unified diff
(apply it with 'patch -p0' or 'git apply'), or with --json the suggestions, what was left out and
why, and the text edits. Exact hosts; '**.domain' when two or more hosts of one registrable domain
were denied; hooks (method + path prefixes) for requests a hooked host refused. Never suggested:
local/private addresses, denylisted or managed-denied hosts, a global '*'. Exit 0 with a diff,
1 when there is nothing to suggest, 2 when the policy is invalid.`;

export function runSuggest(argv: string[], io: Io): number {
  const args = parseArgs(argv, { flags: ['json', 'help'], options: ['from', 'config', 'requirements', 'profile'] });
  if (args.flags.has('help')) {
    io.out(SUGGEST_HELP);
    return 0;
  }
  if (args.positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[0])}`);
  const from = one(args, 'from');
  if (!from) throw new UsageError('--from EVENTS.jsonl is required');
  let eventsText: string;
  try {
    eventsText = readFileSync(from === '-' ? 0 : resolve(from), 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${from}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const config = one(args, 'config');
  const requirements = one(args, 'requirements');
  const profile = one(args, 'profile');
  const files = policyFiles({ ...(config ? { config: resolve(config) } : {}), ...(requirements ? { requirements: resolve(requirements) } : {}), env: io.env });
  if (!files.config) throw new UsageError('no config.toml found (pass --config FILE)');
  const source = readPolicySource(files.config);
  // The diff names the file relative to the working directory, so `patch -p0` applies it here.
  const rel = relative(process.cwd(), source.file);
  const result = suggestPolicy({
    config: source,
    diffLabel: rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : source.file,
    ...(files.requirements ? { requirements: readPolicySource(files.requirements) } : {}),
    ...(profile ? { profile } : {}),
    eventsText,
  });
  if ('error' in result) {
    for (const d of result.diagnostics) io.err(formatDiagnostic(d));
    io.err(`codex-netpolicy suggest: ${result.error}`);
    return result.diagnostics.length ? 2 : 1;
  }
  if (!result.events && result.badLines.length) throw new UsageError(`${from} holds no decision events (line ${result.badLines[0]} is not one)`);
  if (args.flags.has('json')) {
    io.out(JSON.stringify(jsonOf(result), null, 2));
    return result.suggestions.length ? 0 : 1;
  }
  for (const s of result.skipped) io.err(`# left out: ${s.method ? `${s.method} ` : ''}${s.host}${s.path ?? ''} (${s.requests}x): ${s.reason} — ${s.detail}`);
  if (result.badLines.length) io.err(`# ${result.badLines.length} line(s) were not decision events (first: line ${result.badLines[0]})`);
  if (!result.suggestions.length) {
    io.err(`# nothing to suggest: ${result.events} decision event(s), none a request an allow entry or hook would have let through`);
    return 1;
  }
  io.out(result.diff.replace(/\n$/, ''));
  return 0;
}

function jsonOf(r: SuggestResult): object {
  return {
    config: r.config, profile: r.profile, events: r.events, badLines: r.badLines,
    suggestions: r.suggestions, skipped: r.skipped,
    entries: r.entries.map((e) => ({ id: e.id, label: e.label, detail: e.detail, required: e.required ?? false, edits: e.edits })),
    diff: r.diff,
  };
}
