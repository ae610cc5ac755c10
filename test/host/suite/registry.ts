// A tiny case registry for the extension-host suites (no mocha: the host loads one bundle and
// calls run()). Cases run in registration order, which is the import order in index.ts.

export interface HostCase {
  name: string;
  fn: () => Promise<void>;
  timeoutMs: number;
}

interface CaseResult {
  name: string;
  ok: boolean;
  error?: string;
  ms: number;
}

export interface SuiteResult {
  passed: number;
  failed: number;
  cases: CaseResult[];
}

const cases: HostCase[] = [];

/** Registers a case; the default timeout is 30 s. */
export function hostCase(name: string, fn: () => Promise<void>, timeoutMs = 30_000): void {
  if (cases.some((c) => c.name === name)) throw new Error(`duplicate host case: ${name}`);
  cases.push({ name, fn, timeoutMs });
}

export function registeredCases(): readonly HostCase[] {
  return cases;
}

function withTimeout(c: HostCase): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${c.timeoutMs} ms`)), c.timeoutMs);
  });
  return Promise.race([c.fn(), timeout]).finally(() => clearTimeout(timer));
}

/** Runs the cases one after another; a failing case does not stop the others. */
export async function runCases(list: readonly HostCase[], log: (line: string) => void): Promise<SuiteResult> {
  const results: CaseResult[] = [];
  for (const c of list) {
    const t0 = performance.now();
    try {
      await withTimeout(c);
      const ms = Math.round(performance.now() - t0);
      results.push({ name: c.name, ok: true, ms });
      log(`  ok   ${c.name} (${ms} ms)`);
    } catch (e) {
      const ms = Math.round(performance.now() - t0);
      const error = e instanceof Error ? (e.stack ?? e.message) : String(e);
      results.push({ name: c.name, ok: false, error, ms });
      log(`  FAIL ${c.name} (${ms} ms)\n${error}`);
    }
  }
  const failed = results.filter((r) => !r.ok).length;
  return { passed: results.length - failed, failed, cases: results };
}
