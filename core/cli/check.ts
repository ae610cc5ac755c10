// `codex-netpolicy check [--json] [--requirements F] [--strict] FILE...`: the language server's
// diagnostics in a terminal or CI. Kind from the file name; a config and a requirements file
// given together (or via --requirements) are checked against each other.
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { Io } from './io';
import { one, parseArgs, UsageError } from './args';
import { documentKindOf, loadDocument, rangeOf, type DocumentKind, type LoadedDocument } from '../toml/load';
import { validateDocuments, type DocumentDiagnostic } from '../validate/documents';
import type { Range } from '../toml/positions';

const HELP = `Usage: codex-netpolicy check [--json] [--requirements FILE] [--strict] FILE...

Checks Codex config.toml / requirements.toml files with the language server's rules.
A file whose name ends in requirements.toml is a requirements file; any other is a config.

  --json               One JSON array of {file, range, severity, code, message} (0-based positions)
  --requirements FILE  requirements.toml to check the config files against
  --strict             Unknown keys Codex ignores are errors (Codex's strict-config mode)

Exit status: 1 if any error was found, else 0.`;

export interface CheckedDiagnostic {
  file: string;
  range: Range;
  severity: DocumentDiagnostic['severity'];
  code: DocumentDiagnostic['code'];
  message: string;
}

/** A policy file as a document; a missing or unreadable file is a one-line error naming it. */
export function readDocument(file: string, kind: DocumentKind = documentKindOf(file)): LoadedDocument {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read (${code ?? String(e)})`, { cause: e });
  }
  return loadDocument(text, file, kind);
}

/** Diagnostics of every file, with cross-file rules between each config and the requirements. */
export function checkFiles(files: readonly string[], opts: { requirements?: string; strict?: boolean; env: Record<string, string | undefined> }): CheckedDiagnostic[] {
  const docs = files.map((f) => readDocument(f));
  const reqFile = opts.requirements;
  const reqDocs = docs.filter((d) => d.kind === 'requirements');
  const extra = reqFile && !docs.some((d) => d.file === reqFile) ? readDocument(reqFile) : undefined;
  const requirements = extra ?? reqDocs[0];
  const configs = docs.filter((d) => d.kind === 'config');
  const vopts = { strict: opts.strict === true, envHas: (n: string) => !!opts.env[n], fileExists: existsSync };
  const out: CheckedDiagnostic[] = [];
  const seen = new Set<string>();
  const push = (doc: LoadedDocument, d: DocumentDiagnostic) => {
    const range = d.range ?? rangeOf(doc.index, d.path, d.target);
    const key = `${doc.file}|${range.start.line}|${range.start.character}|${d.code}|${d.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ file: doc.file, range, severity: d.severity, code: d.code, message: d.message });
  };
  for (const config of configs) {
    for (const d of validateDocuments(config, requirements, vopts)) {
      // Findings in a requirements file that was not named on the command line stay unreported.
      if (d.file === 'config') push(config, d);
      else if (requirements && requirements !== extra) push(requirements, d);
    }
  }
  for (const req of reqDocs) {
    if (configs.length && req === requirements) continue; // already checked with the configs
    for (const d of validateDocuments(undefined, req, vopts)) if (d.file === 'requirements') push(req, d);
  }
  const order = new Map(files.map((f, i) => [f, i]));
  return out.sort((a, b) => (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0) || a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
}

export function runCheck(argv: string[], io: Io): number {
  const args = parseArgs(argv, { flags: ['json', 'strict', 'help'], options: ['requirements'] });
  if (args.flags.has('help')) {
    io.out(HELP);
    return 0;
  }
  const files = args.positionals;
  if (!files.length) throw new UsageError('no files given');
  const requirements = one(args, 'requirements');
  const found = checkFiles(files, { ...(requirements ? { requirements } : {}), strict: args.flags.has('strict'), env: io.env });
  if (args.flags.has('json')) io.out(JSON.stringify(found, null, 2));
  else {
    for (const d of found) {
      const shown = relative(process.cwd(), d.file);
      const name = !shown || shown.startsWith('..') ? d.file : shown;
      io.out(`${name}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.severity} ${d.code}: ${d.message}`);
    }
  }
  return found.some((d) => d.severity === 'error') ? 1 : 0;
}
