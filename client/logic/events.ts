// The proxy child's stdout protocol (`codex-netpolicy proxy --json`): one JSON event per line.
// The schema and the parser live once in core/proxy/protocol.ts (zod), shared with the proxy; it
// is loaded on first use so activation never evaluates zod. Parsing is total: a line that is not a
// known event becomes an `error` event, never a throw.
import type { ProxyLine } from '../../core/proxy/protocol';

export type { DecisionEvent, ListeningEvent, OutcomeEvent, PolicyEvent } from '../../core/proxy/protocol';
/** What the extension reads from the proxy: the listening line or an event (core/proxy/protocol). */
export type ProxyEvent = ProxyLine;

type Parse = (line: string) => ProxyLine;
let parse: Parse | undefined;
let loading: Promise<Parse> | undefined;

/** Loads the shared protocol schema once; resolves to its line parser. */
export function lineParser(): Promise<Parse> {
  return (loading ??= import('../../core/proxy/protocol').then((m) => (parse = m.parseProxyLine)));
}

/** Longest line we accept; a runaway line is cut and reported (the proxy never writes one). */
const MAX_LINE = 1 << 20;

/** Splits a byte stream into lines across chunk boundaries; `\r\n` tolerated. */
export class LineSplitter {
  private buf = '';
  /** After an overflow, the rest of that line (up to the next newline) is discarded too. */
  private skipping = false;
  constructor(private readonly onLine: (line: string) => void, private readonly onOverflow: () => void = () => {}) {}

  push(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).replace(/\r$/, '');
      this.buf = this.buf.slice(nl + 1);
      if (this.skipping) this.skipping = false;
      else if (line.trim()) this.onLine(line);
    }
    if (this.buf.length > MAX_LINE) {
      this.buf = '';
      if (!this.skipping) this.onOverflow();
      this.skipping = true;
    }
  }

  /** Flushes a final unterminated line (the child exited mid-line). */
  end(): void {
    const rest = this.skipping ? '' : this.buf.replace(/\r$/, '');
    this.buf = '';
    this.skipping = false;
    if (rest.trim()) this.onLine(rest);
  }
}

/** Event stream parser: feed stdout chunks, receive typed events in order (lines that arrive before the schema has loaded wait for it). */
export function eventStream(onEvent: (e: ProxyEvent) => void): LineSplitter {
  const pending: ((p: Parse) => ProxyEvent)[] = [];
  const deliver = (item: (p: Parse) => ProxyEvent): void => {
    if (parse && !pending.length) return onEvent(item(parse));
    pending.push(item);
    void lineParser().then((p) => {
      for (let next = pending.shift(); next; next = pending.shift()) onEvent(next(p));
    });
  };
  void lineParser();
  return new LineSplitter(
    (line) => deliver((p) => p(line)),
    () => deliver(() => ({ event: 'error', time: new Date().toISOString(), message: `proxy wrote a line longer than ${MAX_LINE} bytes; dropped` })),
  );
}
