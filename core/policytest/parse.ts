// Reads a `*.policytest.toml`: the zod model's checks plus what a schema cannot say (request
// syntax, resolve addresses, required keys). Cases that are well-formed come back ready to judge.
import type { PolicyDiagnostic } from '../diagnostics';
import { parseIp } from '../match/address';
import { normalizeHost } from '../match/host';
import { policyTestSchema, type PolicyTestCase } from '../model/policyTest';
import { parseAbsoluteUrl } from '../net/target';
import { loadDocument, type LoadedDocument } from '../toml/load';
import type { Range } from '../toml/positions';
import { checkSchema } from '../validate/schema';
import { table } from '../toml/values';

export interface ParsedCase {
  index: number;
  /** The case's `name`, else its request. */
  label: string;
  spec: PolicyTestCase;
  method: string;
  url: string;
  headers: [string, string][];
  resolve: Map<string, string[]>;
  /** The `[[case]]` header: where a failure is reported. */
  range: Range;
}

export interface ParsedTestFile {
  doc: LoadedDocument;
  config?: string;
  requirements?: string;
  profile?: string;
  cases: ParsedCase[];
  diagnostics: PolicyDiagnostic[];
}

const METHOD = /^[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*$/;
const SCHEMES = new Set(['http', 'https', 'ws', 'wss']);


/** `"METHOD URL"` → its parts, or why not. */
function parseRequestLine(text: string): { method: string; url: string } | { error: string } {
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 2 || !parts[0] || !parts[1]) return { error: `request must be "METHOD URL", got ${JSON.stringify(text)}` };
  const [method, url] = parts as [string, string];
  if (!METHOD.test(method)) return { error: `invalid method \`${method}\`` };
  const target = parseAbsoluteUrl(url);
  if ('error' in target) return { error: target.error };
  if (!SCHEMES.has(target.scheme)) return { error: `unsupported scheme \`${target.scheme}\`: use http, https, ws or wss` };
  if (!target.host) return { error: `no host in ${url}` };
  return { method: method.toUpperCase(), url };
}

export function parsePolicyTest(text: string, file: string): ParsedTestFile {
  const doc = loadDocument(text, file, 'config');
  const diagnostics: PolicyDiagnostic[] = [];
  const out: ParsedTestFile = { doc, cases: [], diagnostics };
  if (doc.syntaxError) {
    diagnostics.push({ path: [], target: 'key', severity: 'error', code: 'toml-syntax', message: doc.syntaxError.message, range: doc.syntaxError.range });
    return out;
  }
  const value = doc.value ?? {};
  diagnostics.push(...checkSchema(policyTestSchema, value));
  const bad = (path: PolicyDiagnostic['path'], message: string, target: 'key' | 'value' = 'value') =>
    diagnostics.push({ path, target, severity: 'error', code: 'policytest-invalid', message });
  if (typeof value.config === 'string') out.config = value.config;
  else if (value.config === undefined) diagnostics.push({ path: [], target: 'key', severity: 'error', code: 'policytest-invalid', message: 'missing `config`: the config.toml under test, relative to this file', range: firstLine(doc) });
  if (typeof value.requirements === 'string') out.requirements = value.requirements;
  if (typeof value.profile === 'string') out.profile = value.profile;
  const cases = Array.isArray(value.case) ? value.case : [];
  cases.forEach((raw, index) => {
    const c = table(raw);
    if (!c) return;
    const at = (k: string): PolicyDiagnostic['path'] => ['case', index, k];
    const before = diagnostics.filter((d) => d.severity === 'error').length;
    const node = doc.index.get(['case', index]);
    const range = node?.headerRange ?? node?.range ?? firstLine(doc);
    if (c.request === undefined) diagnostics.push({ path: ['case', index], target: 'key', severity: 'error', code: 'policytest-invalid', message: 'missing `request`: "METHOD URL"', range });
    if (c.expect === undefined) diagnostics.push({ path: ['case', index], target: 'key', severity: 'error', code: 'policytest-invalid', message: 'missing `expect`: "allow" or "deny"', range });
    const req = typeof c.request === 'string' ? parseRequestLine(c.request) : undefined;
    if (req && 'error' in req) bad(at('request'), req.error);
    const resolve = new Map<string, string[]>();
    for (const [host, addr] of Object.entries(table(c.resolve) ?? {})) {
      if (typeof addr !== 'string') continue;
      const a = addr.trim().replace(/^\[(.*)\]$/, '$1');
      if (a && !parseIp(a)) bad([...at('resolve'), host], `\`${addr}\` is not an IP address (use "" for a name that does not resolve)`);
      resolve.set(normalizeHost(host), a ? [a] : []);
    }
    const schemaErrors = diagnostics.filter((d) => d.severity === 'error' && d.path[0] === 'case' && d.path[1] === index).length;
    if (!req || 'error' in req || diagnostics.filter((d) => d.severity === 'error').length > before || schemaErrors) return;
    const headers = Object.entries(table(c.headers) ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string');
    const spec = c as PolicyTestCase;
    out.cases.push({ index, label: spec.name ?? spec.request ?? `case ${index + 1}`, spec, method: req.method, url: req.url, headers, resolve, range });
  });
  return out;
}

function firstLine(doc: LoadedDocument): Range {
  const len = doc.text.split(/\r?\n/, 1)[0]?.length ?? 0;
  return { start: { line: 0, character: 0 }, end: { line: 0, character: len } };
}
