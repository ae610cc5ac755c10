// Turns a suggestion plan into text edits on config.toml, one entry per suggested host or hook so
// the editor can offer a checkbox for each; all edits are against the original text (inserts at
// one position land in entry order). The CLI applies them all and prints a unified diff.
import { createTwoFilesPatch } from 'diff';
import {
  addHookEdit, appendAtEnd, applyEdits, eol, PASS_THROUGH_ACTION, passThroughActionEdit, pathText, setDomainEdit, tomlString, type TextEdit,
} from '../edit/policyEdits';
import { indexToml } from '../toml/positions';
import type { SuggestPlan, Suggestion } from './plan';

export interface SuggestionEntry {
  /** Stable within one run: `domain:<pattern>`, `hook:<host> <method>`, `table:domains`, `action:pass_through`. */
  id: string;
  label: string;
  detail: string;
  edits: TextEdit[];
  /** Set on entries other entries need (a new table or action): the editor shows them first. */
  required?: boolean;
  suggestion?: Suggestion;
}

export type SuggestEditResult = { entries: SuggestionEntry[]; text: string; diff: string } | { error: string };

function domainEntries(text: string, profile: string, plan: SuggestPlan): SuggestionEntry[] | { error: string } {
  const domains = plan.suggestions.filter((s) => s.kind === 'domain');
  if (!domains.length) return [];
  const ix = indexToml(text);
  const tablePath = ['permissions', profile, 'network', 'domains'];
  const out: SuggestionEntry[] = [];
  const missing = !ix.get(tablePath) && ix.get(['permissions', profile]);
  if (missing) {
    // Several new keys need one new table: the header is its own entry, the keys follow it at the end.
    out.push({ id: 'table:domains', label: `[${pathText(tablePath)}]`, detail: 'new table for the allowed domains', required: true, edits: [appendAtEnd(text, ix, `[${pathText(tablePath)}]${eol(text)}`)] });
  }
  const end = ix.positionAt(text.length);
  for (const s of domains) {
    const label = `"${s.pattern}" = "allow"`;
    const detail = `${s.requests} request(s) to ${s.hosts.join(', ')}`;
    if (missing) {
      out.push({ id: `domain:${s.pattern}`, label, detail, suggestion: s, edits: [{ range: { start: end, end }, newText: `${tomlString(s.pattern)} = "allow"${eol(text)}` }] });
      continue;
    }
    const r = setDomainEdit(text, profile, s.pattern, 'allow');
    if ('error' in r) return r;
    out.push({ id: `domain:${s.pattern}`, label, detail, suggestion: s, edits: r.edits });
  }
  return out;
}

function hookEntries(text: string, profile: string, plan: SuggestPlan): SuggestionEntry[] | { error: string } {
  const hooks = plan.suggestions.filter((s) => s.kind === 'hook');
  if (!hooks.length) return [];
  const out: SuggestionEntry[] = [];
  // Decision: suggested hooks never reuse an existing action (it may inject a secret into paths the
  // user never chose); they get a pass-through action that changes nothing upstream sees.
  const action = passThroughActionEdit(text, profile);
  if (action) out.push({ id: 'action:pass_through', label: 'action pass_through', detail: 'an action for the new hooks (strips only proxy-authorization)', required: true, edits: [action] });
  for (const s of hooks) {
    const r = addHookEdit(text, profile, { host: s.host, method: s.method, path: s.paths[0] ?? '/', paths: s.paths }, { createAction: false, action: PASS_THROUGH_ACTION });
    if ('error' in r) return r;
    out.push({ id: `hook:${s.host} ${s.method}`, label: `hook ${s.method} ${s.paths.join(', ')} on ${s.host}`, detail: `${s.requests} request(s) refused by the host's hooks`, suggestion: s, edits: r.edits });
  }
  return out;
}

/** Edits for every suggestion, the resulting text, and a unified diff labelled with `file`. */
export function suggestionEdits(file: string, text: string, profile: string | null | undefined, plan: SuggestPlan): SuggestEditResult {
  if (!profile) return { error: 'No permission profile is active; set `default_permissions` or pass --profile.' };
  if (profile.startsWith(':')) return { error: `The built-in profile \`${profile}\` has no network table to edit; select a custom profile.` };
  if (!plan.suggestions.length) return { entries: [], text, diff: '' };
  const ix = indexToml(text);
  if (ix.problems.length) return { error: `${file} has TOML syntax errors; fix them first.` };
  if (!ix.get(['permissions', profile])) return { error: `Profile \`${profile}\` is not defined in ${file}; edit the file that defines it.` };
  const domains = domainEntries(text, profile, plan);
  if ('error' in domains) return domains;
  const hooks = hookEntries(text, profile, plan);
  if ('error' in hooks) return hooks;
  const entries = [...domains, ...hooks];
  const after = applyEdits(text, entries.flatMap((e) => e.edits));
  const check = indexToml(after);
  if (check.problems.length) return { error: `The suggested edit would not be valid TOML (${check.problems[0]!.message}); edit ${file} by hand.` };
  return { entries, text: after, diff: createTwoFilesPatch(file, file, text, after, '', '', { context: 3 }) };
}
