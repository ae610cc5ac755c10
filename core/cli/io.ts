// The streams and environment a CLI command runs with (main.ts passes them; tests pass their own).
export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  env: Record<string, string | undefined>;
  /** Bytes written to `out` but not yet taken by its reader (the proxy drops events above a bound). */
  outBacklog?: () => number;
}
