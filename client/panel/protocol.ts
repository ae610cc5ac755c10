// Messages between the decision log webview and the extension host.
import type { DecisionEvent } from '../logic/events';

export type ToWebview =
  | { type: 'init'; events: DecisionEvent[]; status: string }
  | { type: 'add'; events: DecisionEvent[] }
  /** Decisions already sent, now with upstream status, bytes and duration. */
  | { type: 'update'; events: DecisionEvent[] }
  | { type: 'clear' }
  | { type: 'status'; status: string }
  | { type: 'focusFilter' };

export type FromWebview =
  | { type: 'ready' }
  | { type: 'openRule'; file: string; line: number }
  | { type: 'setHost'; host: string; value: 'allow' | 'deny' }
  | { type: 'addHook'; host: string; method: string; path: string }
  | { type: 'saveTestCase'; id: number }
  | { type: 'clear' }
  | { type: 'export'; format: 'jsonl' | 'har' };

export function isFromWebview(m: unknown): m is FromWebview {
  if (!m || typeof m !== 'object') return false;
  const o = m as Record<string, unknown>;
  switch (o.type) {
    case 'ready': case 'clear': return true;
    case 'openRule': return typeof o.file === 'string' && typeof o.line === 'number';
    case 'setHost': return typeof o.host === 'string' && (o.value === 'allow' || o.value === 'deny');
    case 'addHook': return typeof o.host === 'string' && typeof o.method === 'string' && typeof o.path === 'string';
    case 'saveTestCase': return typeof o.id === 'number';
    case 'export': return o.format === 'jsonl' || o.format === 'har';
    default: return false;
  }
}
