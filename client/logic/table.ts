// Decision log table logic: column values for sorting, grouping by host, and the overview numbers
// (allowed/blocked over time, top blocked hosts). Pure and DOM-free, shared with the webview.
import type { DecisionEvent } from './events';

export const SORT_COLUMNS = ['time', 'decision', 'method', 'host', 'path', 'reason', 'hook', 'status', 'duration', 'bytes'] as const;
export type SortColumn = (typeof SORT_COLUMNS)[number];
export interface Sort {
  column: SortColumn;
  descending: boolean;
}

/** Host with port when it is not the scheme default for the protocol. */
export function hostText(e: DecisionEvent): string {
  const def = e.protocol === 'http' ? 80 : 443;
  const h = e.host.includes(':') ? `[${e.host}]` : e.host;
  return e.port && e.port !== def ? `${h}:${e.port}` : h;
}

/** The status a row shows: the upstream's when known, else what the proxy answered (a block, or a failed request's 504). */
export function statusOf(e: DecisionEvent): number | null {
  if (e.upstreamStatus !== undefined) return e.upstreamStatus;
  if (e.failure) return e.failure.status;
  return e.decision === 'deny' ? e.status : null;
}

/** How an allowed request failed, for people: `504 · response timeout`, `client aborted`; '' when it did not fail. */
export function failureText(e: DecisionEvent): string {
  const f = e.failure;
  if (!f) return '';
  const label = f.reason.replace(/_/g, ' ');
  return f.status !== null ? `${f.status} · ${label}` : label;
}

export function bytesText(n: number | undefined): string {
  if (n === undefined) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function durationText(ms: number | undefined): string {
  if (ms === undefined) return '';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function key(e: DecisionEvent, c: SortColumn): string | number {
  switch (c) {
    case 'time': return e.id;
    case 'decision': return e.decision;
    case 'method': return e.method ?? e.protocol;
    case 'host': return hostText(e);
    case 'path': return e.path ?? '';
    case 'reason': return e.reason ?? e.flag ?? failureText(e);
    case 'hook': return e.hook ?? '';
    case 'status': return statusOf(e) ?? -1;
    case 'duration': return e.durationMs ?? -1;
    case 'bytes': return e.bytes ?? -1;
  }
}

/** Sorts indexes into `events` by a column; ties keep arrival order. */
export function sortIndexes(events: readonly DecisionEvent[], indexes: number[], sort: Sort): number[] {
  const dir = sort.descending ? -1 : 1;
  return indexes.sort((a, b) => {
    const ka = key(events[a]!, sort.column), kb = key(events[b]!, sort.column);
    const c = typeof ka === 'number' && typeof kb === 'number' ? ka - kb : String(ka).localeCompare(String(kb));
    return c !== 0 ? c * dir : a - b;
  });
}

export type Item = { kind: 'group'; host: string; allowed: number; blocked: number; collapsed: boolean } | { kind: 'row'; index: number };

/** Rows grouped under one header per host (groups ordered by first appearance in `indexes`). */
export function groupByHost(events: readonly DecisionEvent[], indexes: readonly number[], collapsed: ReadonlySet<string>): Item[] {
  const groups = new Map<string, number[]>();
  for (const i of indexes) {
    const h = hostText(events[i]!);
    let g = groups.get(h);
    if (!g) groups.set(h, (g = []));
    g.push(i);
  }
  const out: Item[] = [];
  for (const [host, rows] of groups) {
    const allowed = rows.filter((i) => events[i]!.decision === 'allow').length;
    const isCollapsed = collapsed.has(host);
    out.push({ kind: 'group', host, allowed, blocked: rows.length - allowed, collapsed: isCollapsed });
    if (!isCollapsed) for (const index of rows) out.push({ kind: 'row', index });
  }
  return out;
}

export interface Overview {
  /** Equal time buckets from the first to the last event. */
  buckets: { start: number; allowed: number; blocked: number }[];
  bucketMs: number;
  topBlocked: { host: string; count: number }[];
  allowed: number;
  blocked: number;
  /** Allowed requests whose outcome was a failure (timeout, client abort…). */
  failed: number;
}

const BUCKET_STEPS = [1_000, 5_000, 10_000, 30_000, 60_000, 300_000, 900_000, 3_600_000];

export function overview(events: readonly DecisionEvent[], maxBuckets = 30, topN = 5): Overview {
  let allowed = 0, failed = 0;
  const blockedBy = new Map<string, number>();
  let first = Infinity, last = -Infinity;
  for (const e of events) {
    const t = Date.parse(e.time);
    if (Number.isFinite(t)) {
      first = Math.min(first, t);
      last = Math.max(last, t);
    }
    if (e.failure) failed++;
    if (e.decision === 'allow') allowed++;
    else blockedBy.set(hostText(e), (blockedBy.get(hostText(e)) ?? 0) + 1);
  }
  const span = Number.isFinite(first) ? last - first : 0;
  const bucketMs = BUCKET_STEPS.find((s) => span / s < maxBuckets) ?? BUCKET_STEPS[BUCKET_STEPS.length - 1]!;
  const start = Number.isFinite(first) ? Math.floor(first / bucketMs) * bucketMs : 0;
  const n = Number.isFinite(first) ? Math.floor((last - start) / bucketMs) + 1 : 0;
  const buckets = Array.from({ length: n }, (_, i) => ({ start: start + i * bucketMs, allowed: 0, blocked: 0 }));
  for (const e of events) {
    const t = Date.parse(e.time);
    if (!Number.isFinite(t)) continue;
    const b = buckets[Math.floor((t - start) / bucketMs)];
    if (!b) continue;
    if (e.decision === 'allow') b.allowed++;
    else b.blocked++;
  }
  const topBlocked = [...blockedBy].map(([host, count]) => ({ host, count })).sort((a, b) => b.count - a.count || a.host.localeCompare(b.host)).slice(0, topN);
  return { buckets, bucketMs, topBlocked, allowed, blocked: events.length - allowed, failed };
}
