// `suggest` end to end, shared by the CLI and the extension: policy texts + decision events in,
// suggestions, per-entry edits and a unified diff out. Reads no secrets: injected-header sources
// are replaced by a placeholder while compiling, since suggest never sends a request.
import { loadPolicy, type LocatedDiagnostic, type PolicySource } from '../engine/load';
import { suggestionEdits, type SuggestionEntry } from './edits';
import { readDecisionEvents } from './events';
import { planSuggestions, type Skipped, type Suggestion } from './plan';

;
;

export interface SuggestInput {
  config: PolicySource;
  requirements?: PolicySource;
  profile?: string;
  /** JSONL: the proxy's --audit file or the decision log's export. */
  eventsText: string;
  /** File name shown in the diff (default: the config's path). */
  diffLabel?: string;
}

export interface SuggestResult {
  config: string;
  profile: string;
  /** Decision events read and lines that were not decision events. */
  events: number;
  badLines: number[];
  suggestions: Suggestion[];
  skipped: Skipped[];
  entries: SuggestionEntry[];
  diff: string;
}

export type SuggestOutcome = SuggestResult | { error: string; diagnostics: LocatedDiagnostic[] };

const PLACEHOLDER = 'suggest-placeholder';
/** Every env lookup answers a placeholder, so a policy that injects secrets compiles without them. */
const placeholderEnv = new Proxy({} as Record<string, string | undefined>, { get: () => PLACEHOLDER });

export function suggestPolicy(input: SuggestInput): SuggestOutcome {
  const loaded = loadPolicy({
    config: input.config,
    ...(input.requirements ? { requirements: input.requirements } : {}),
    ...(input.profile ? { profile: input.profile } : {}),
    env: placeholderEnv,
    readFile: () => PLACEHOLDER,
  });
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (!loaded.policy || errors.length) return { error: 'the policy is invalid; fix it first', diagnostics: errors.length ? errors : loaded.diagnostics };
  const { requests, badLines } = readDecisionEvents(input.eventsText);
  const plan = planSuggestions(loaded.policy, requests);
  const profile = loaded.policy.effective.profile;
  const edits = suggestionEdits(input.diffLabel ?? input.config.file, input.config.text, profile, plan);
  if ('error' in edits) return { error: edits.error, diagnostics: [] };
  return {
    config: input.config.file, profile, events: requests.length, badLines,
    suggestions: plan.suggestions, skipped: plan.skipped, entries: edits.entries, diff: edits.diff,
  };
}
