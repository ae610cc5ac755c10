// Hot reload: watch the policy files' directories (editors often replace files by rename, which
// a file watch would lose), debounce, reload; a valid edit swaps the policy atomically (secrets
// re-read), an invalid one keeps the last good policy. Never fail open.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { CompiledPolicy } from '../policy/compile';
import type { LocatedDiagnostic } from '../policy/load';

export const DEBOUNCE_MS = 150;

export interface LoadOutcome {
  policy?: CompiledPolicy;
  diagnostics: LocatedDiagnostic[];
  files: string[];
}

export interface ReloadListener {
  loaded(policy: CompiledPolicy, outcome: LoadOutcome): void;
  invalid(outcome: LoadOutcome): void;
}

export class PolicyWatcher {
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly files: readonly string[], private readonly load: () => LoadOutcome, private readonly listener: ReloadListener, private readonly debounceMs = DEBOUNCE_MS) {}

  start(): void {
    const byDir = new Map<string, Set<string>>();
    for (const f of this.files) {
      const abs = resolve(f);
      const set = byDir.get(dirname(abs)) ?? new Set();
      set.add(basename(abs));
      byDir.set(dirname(abs), set);
    }
    for (const [dir, names] of byDir) {
      const w = watch(dir, { persistent: false }, (_ev, name) => {
        if (name === null || names.has(name.toString())) this.schedule();
      });
      w.on('error', () => undefined);
      this.watchers.push(w);
    }
  }

  schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.reloadNow();
    }, this.debounceMs);
  }

  reloadNow(): void {
    let outcome: LoadOutcome;
    try {
      outcome = this.load();
    } catch (e) {
      // A file mid-replace (ENOENT) or unreadable: keep the last good policy.
      const message = e instanceof Error ? e.message : String(e);
      outcome = { diagnostics: [{ file: this.files[0] ?? '', range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, severity: 'error', code: 'read-failed', message }], files: [...this.files] };
    }
    const errors = outcome.diagnostics.filter((d) => d.severity === 'error');
    if (outcome.policy && !errors.length) this.listener.loaded(outcome.policy, outcome);
    else this.listener.invalid(outcome);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }
}
