// Reading decision events for `suggest`: the proxy's --audit JSONL (decision, policy and error
// lines) and the decision log's JSONL export (decision lines) share the DecisionEvent shape, so
// one reader serves both. Only the fields suggest needs are read; anything else is ignored.

/** What suggest needs from one decision event. */
export interface SeenRequest {
  decision: 'allow' | 'deny';
  reason: string | null;
  /** `would_deny`: let through by learning mode, denied by the allowlist otherwise. */
  flag: string | null;
  protocol: string;
  method: string | null;
  host: string;
  port: number;
  path: string | null;
}

export interface ReadEvents {
  requests: SeenRequest[];
  /** 1-based numbers of lines that were not JSON decision events (blank lines excepted). */
  badLines: number[];
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function requestOf(o: Record<string, unknown>): SeenRequest | null {
  if (o.event !== undefined && o.event !== 'decision') return null;
  const decision = o.decision;
  const host = str(o.host);
  if ((decision !== 'allow' && decision !== 'deny') || !host) return null;
  return {
    decision,
    reason: str(o.reason),
    flag: str(o.flag),
    protocol: str(o.protocol) ?? '',
    method: str(o.method),
    host,
    port: typeof o.port === 'number' ? o.port : 0,
    path: str(o.path),
  };
}

/** Parses JSONL text; `policy`/`error` lines of an audit file are skipped silently. */
export function readDecisionEvents(text: string): ReadEvents {
  const requests: SeenRequest[] = [];
  const badLines: number[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      badLines.push(i + 1);
      return;
    }
    if (!v || typeof v !== 'object' || Array.isArray(v)) return void badLines.push(i + 1);
    const o = v as Record<string, unknown>;
    if (o.event === 'policy' || o.event === 'error' || o.event === 'listening') return;
    const r = requestOf(o);
    if (r) requests.push(r);
    else badLines.push(i + 1);
  });
  return { requests, badLines };
}
