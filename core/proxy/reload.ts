// Hot reload: watch the policy files' directories (editors often replace files by rename, which
// a file watch would lose), wait until the files have been stable briefly, reload; a valid edit
// swaps the policy atomically (secrets re-read), an invalid one keeps the last good policy. Never
// fail open. A slow poll backs the watchers up: a directory that is deleted and recreated, or a
// watcher that fails, is re-armed, and every such problem is reported, never swallowed.
import { statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { CompiledPolicy } from '../policy/compile';
import type { LocatedDiagnostic } from '../engine/load';

const DEBOUNCE_MS = 150;
/** How often directories are re-checked (a lost watcher, a recreated directory, a missed change). */
const POLL_MS = 1000;
/** A file still changing after this many debounce periods is loaded anyway. */
const MAX_SETTLE_ROUNDS = 20;

export interface LoadOutcome {
  policy?: CompiledPolicy;
  diagnostics: LocatedDiagnostic[];
  files: string[];
}

export interface ReloadListener {
  loaded(policy: CompiledPolicy, outcome: LoadOutcome): void;
  invalid(outcome: LoadOutcome): void;
  /** The watcher cannot watch (or watches again): said once per change of state. */
  problem?(message: string): void;
}

interface DirWatch {
  names: Set<string>;
  watcher: FSWatcher | null;
  ino: number;
  /** Last reported state, so a missing directory is reported once, not every poll. */
  missing: boolean;
}

export class PolicyWatcher {
  private readonly dirs = new Map<string, DirWatch>();
  private timer: NodeJS.Timeout | null = null;
  private poll: NodeJS.Timeout | null = null;
  private lastLoaded = '';
  private closed = false;

  constructor(private readonly files: readonly string[], private readonly load: () => LoadOutcome, private readonly listener: ReloadListener, private readonly debounceMs = DEBOUNCE_MS, private readonly pollMs = POLL_MS) {}

  start(): void {
    for (const f of this.files) {
      const abs = resolve(f);
      const d = this.dirs.get(dirname(abs)) ?? { names: new Set<string>(), watcher: null, ino: -1, missing: false };
      d.names.add(basename(abs));
      this.dirs.set(dirname(abs), d);
    }
    if (!this.dirs.size) return;
    this.lastLoaded = this.signature();
    for (const [dir, d] of this.dirs) this.arm(dir, d);
    this.poll = setInterval(() => this.check(), this.pollMs);
    this.poll.unref();
  }

  private arm(dir: string, d: DirWatch): void {
    d.watcher?.close();
    d.watcher = null;
    try {
      d.ino = statSync(dir).ino;
      const w = watch(dir, { persistent: false }, (_ev, name) => {
        if (name === null || d.names.has(name.toString())) this.schedule();
      });
      w.on('error', (e) => {
        // The directory went away (or the OS watch failed): the poll re-arms it.
        this.report(`cannot watch ${dir} for policy changes: ${e.message}; checking every ${this.pollMs} ms`);
        w.close();
        if (d.watcher === w) d.watcher = null;
      });
      d.watcher = w;
      if (d.missing) this.report(`watching ${dir} for policy changes again`);
      d.missing = false;
    } catch (e) {
      if (!d.missing) this.report(`cannot watch ${dir} for policy changes: ${e instanceof Error ? e.message : String(e)}; checking every ${this.pollMs} ms`);
      d.missing = true;
      d.ino = -1;
    }
  }

  /** The poll: re-arm lost or replaced directory watches, and catch changes a watcher missed. */
  private check(): void {
    if (this.closed) return;
    for (const [dir, d] of this.dirs) {
      let ino = -1;
      try {
        ino = statSync(dir).ino;
      } catch {
        // missing: arm() below reports it once
      }
      if (ino < 0) {
        if (!d.missing) {
          d.watcher?.close();
          d.watcher = null;
          this.arm(dir, d);
        }
      } else if (!d.watcher || ino !== d.ino) this.arm(dir, d);
    }
    if (!this.timer && this.signature() !== this.lastLoaded) this.schedule();
  }

  private report(message: string): void {
    this.listener.problem?.(message);
  }

  /** Size, mtime and inode of every watched file ("-" when missing). */
  private signature(): string {
    return this.files.map((f) => {
      try {
        const s = statSync(f);
        return `${s.size}:${s.mtimeMs}:${s.ino}`;
      } catch {
        return '-';
      }
    }).join('|');
  }

  schedule(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    let rounds = 0;
    let seen = this.signature();
    const settle = (): void => {
      const now = this.signature();
      // Still being written (an editor's save in progress): wait one more period.
      if (now !== seen && ++rounds < MAX_SETTLE_ROUNDS) {
        seen = now;
        this.timer = setTimeout(settle, this.debounceMs);
        return;
      }
      this.timer = null;
      this.reloadNow();
    };
    this.timer = setTimeout(settle, this.debounceMs);
  }

  reloadNow(): void {
    this.lastLoaded = this.signature();
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
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.poll) clearInterval(this.poll);
    for (const d of this.dirs.values()) d.watcher?.close();
    this.dirs.clear();
  }
}
