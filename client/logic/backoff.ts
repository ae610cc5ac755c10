// Restart schedule for a proxy that dies unexpectedly: 1 s, 2 s, 4 s … capped at 30 s; the count
// resets once a run has stayed healthy for 60 s. Exit 2 (invalid policy) and 64 (usage) never auto-restart.

const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 30_000;
const HEALTHY_AFTER_MS = 60_000;

export function backoffDelay(attempt: number): number {
  if (attempt < 0) return BACKOFF_MIN_MS;
  return Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(attempt, 30));
}

export type ExitVerdict = { kind: 'stopped' } | { kind: 'invalid-policy' } | { kind: 'usage-error' } | { kind: 'restart'; delayMs: number };

/** Tracks consecutive failures and decides what an exit means. Clock injected for tests. */
export class RestartPolicy {
  private attempts = 0;
  private startedAt = 0;
  constructor(private readonly now: () => number = Date.now) {}

  started(): void {
    this.startedAt = this.now();
  }

  /** `requested`: we asked it to stop. Code 2 = invalid policy (wait for a save, no loop). */
  onExit(code: number | null, requested: boolean): ExitVerdict {
    if (requested) {
      this.attempts = 0;
      return { kind: 'stopped' };
    }
    if (code === 2) return { kind: 'invalid-policy' };
    // 64 = bad arguments (e.g. no config.toml): restarting cannot help either.
    if (code === 64) return { kind: 'usage-error' };
    if (this.now() - this.startedAt >= HEALTHY_AFTER_MS) this.attempts = 0;
    const delayMs = backoffDelay(this.attempts);
    this.attempts++;
    return { kind: 'restart', delayMs };
  }

  reset(): void {
    this.attempts = 0;
  }
}
