// Decision log webview: a virtualised list (fixed 24 px rows; only visible rows are in the DOM),
// sortable columns, grouping by host, an overview strip, token filters + search, pause/resume,
// keyboard navigation and a detail pane (detail.ts) with quick actions.
import type { DecisionEvent } from '../../logic/events';
import { matchesFilter, parseFilter, rowText, type ParsedFilter } from '../../logic/rows';
import { groupByHost, SORT_COLUMNS, sortIndexes, type Item, type Sort, type SortColumn } from '../../logic/table';
import type { FromWebview, ToWebview } from '../protocol';
import { renderDetail } from './detail';
import { renderOverview } from './overview';
import './panel.css';

declare function acquireVsCodeApi(): { postMessage(m: FromWebview): void; getState(): unknown; setState(s: unknown): void };
const vscode = acquireVsCodeApi();

const ROW = 24;
const OVERSCAN = 8;
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const list = $<HTMLDivElement>('list');
const spacer = $<HTMLDivElement>('spacer');
const detail = $<HTMLDivElement>('detail');
const filterInput = $<HTMLInputElement>('filter');
const decisionSelect = $<HTMLSelectElement>('decision');
const pauseBtn = $<HTMLButtonElement>('pause');
const groupBtn = $<HTMLButtonElement>('group');
const overviewBtn = $<HTMLButtonElement>('overview-toggle');
const overviewEl = $<HTMLDivElement>('overview');
const header = $<HTMLDivElement>('header');
const count = $<HTMLSpanElement>('count');
const status = $<HTMLDivElement>('status');

let all: DecisionEvent[] = [];
const indexById = new Map<number, number>();
let items: Item[] = [];
// Decision: Pause freezes this view only; the extension host keeps recording (counts, exports).
let held: DecisionEvent[] = []; // arrived while paused
let paused = false;
let filter: ParsedFilter = parseFilter('');
let selected = -1; // position in `items`
let detailOpen = false;
let sort: Sort = { column: 'time', descending: false };
let grouped = false;
const collapsed = new Set<string>();

interface Saved { filter?: string; decision?: string; sort?: Sort; grouped?: boolean; overview?: boolean }
const saved = (vscode.getState() ?? {}) as Saved;
if (saved.filter) filterInput.value = saved.filter;
if (saved.decision) decisionSelect.value = saved.decision;
if (saved.sort && (SORT_COLUMNS as readonly string[]).includes(saved.sort.column)) sort = saved.sort;
grouped = saved.grouped === true;
overviewEl.hidden = saved.overview === false;

function save(): void {
  vscode.setState({ filter: filterInput.value, decision: decisionSelect.value, sort, grouped, overview: !overviewEl.hidden } satisfies Saved);
}

function currentFilter(): ParsedFilter {
  const d = decisionSelect.value;
  return parseFilter(`${filterInput.value}${d === 'failed' ? ' outcome:failed' : d ? ` decision:${d}` : ''}`);
}

function selectedKey(): string | undefined {
  const it = items[selected];
  return it ? (it.kind === 'row' ? `r${all[it.index]!.id}` : `g${it.host}`) : undefined;
}

/** Rebuilds the visible items from `all`: filter, sort, group. */
function rebuild(): void {
  const keep = selectedKey();
  const shown: number[] = [];
  for (let i = 0; i < all.length; i++) if (matchesFilter(all[i]!, filter)) shown.push(i);
  const sorted = sort.column === 'time' && !sort.descending ? shown : sortIndexes(all, shown, sort);
  items = grouped ? groupByHost(all, sorted, collapsed) : sorted.map((index) => ({ kind: 'row' as const, index }));
  selected = keep === undefined ? -1 : items.findIndex((it) => (it.kind === 'row' ? `r${all[it.index]!.id}` : `g${it.host}`) === keep);
  paintHeader();
  layout(true);
  if (!overviewEl.hidden) renderOverview(overviewEl, all, showHost);
}

function refilter(): void {
  filter = currentFilter();
  save();
  rebuild();
}

function atBottom(): boolean {
  return list.scrollTop + list.clientHeight >= list.scrollHeight - ROW;
}

function append(events: DecisionEvent[]): void {
  const stick = atBottom() && sort.column === 'time' && !sort.descending;
  for (const e of events) {
    indexById.set(e.id, all.length);
    all.push(e);
  }
  rebuild();
  if (stick) list.scrollTop = list.scrollHeight;
}

function update(events: DecisionEvent[]): void {
  for (const e of events) {
    const i = indexById.get(e.id);
    if (i !== undefined) all[i] = e;
    else held = held.map((h) => (h.id === e.id ? e : h));
  }
  if (sort.column === 'status' || sort.column === 'duration' || sort.column === 'bytes') rebuild();
  else render(true);
  if (detailOpen) showDetail();
}

function layout(force: boolean): void {
  spacer.style.height = `${items.length * ROW}px`;
  const rows = items.filter((it) => it.kind === 'row').length;
  const unknown = filter.unknownFields.length ? ` — unknown filter field${filter.unknownFields.length > 1 ? 's' : ''}: ${filter.unknownFields.join(', ')}` : '';
  count.textContent = `${rows} of ${all.length} shown${paused ? ` (paused, ${held.length} waiting)` : ''}${unknown}`;
  render(force);
}

const cells = ['time', 'decision', 'method', 'host', 'path', 'reason', 'hook', 'status', 'duration', 'bytes'] as const;
let rendered = new Map<number, HTMLDivElement>(); // position -> row element

function render(force: boolean): void {
  const first = Math.max(0, Math.floor(list.scrollTop / ROW) - OVERSCAN);
  const last = Math.min(items.length, Math.ceil((list.scrollTop + list.clientHeight) / ROW) + OVERSCAN);
  const next = new Map<number, HTMLDivElement>();
  for (const [pos, el] of rendered) {
    if (!force && pos >= first && pos < last) next.set(pos, el);
    else el.remove();
  }
  for (let pos = first; pos < last; pos++) {
    let el = next.get(pos);
    if (!el) {
      const it = items[pos]!;
      el = it.kind === 'row' ? rowElement(all[it.index]!, pos) : groupElement(it, pos);
      spacer.appendChild(el);
      next.set(pos, el);
    }
    el.classList.toggle('selected', pos === selected);
    el.setAttribute('aria-selected', String(pos === selected));
  }
  rendered = next;
  const sel = rendered.get(selected);
  if (sel) list.setAttribute('aria-activedescendant', sel.id);
  else list.removeAttribute('aria-activedescendant');
}

function rowElement(e: DecisionEvent, pos: number): HTMLDivElement {
  const el = document.createElement('div');
  el.className = `row ${e.decision}${e.failure ? ' failed' : ''}${grouped ? ' nested' : ''}`;
  el.id = `item-${pos}`;
  el.dataset.testid = 'row';
  el.dataset.decision = e.decision;
  el.dataset.host = e.host;
  el.dataset.hook = e.hook ?? '';
  el.dataset.method = e.method ?? '';
  if (e.failure) el.dataset.failure = e.failure.reason;
  el.dataset.pos = String(pos);
  el.setAttribute('role', 'option');
  el.style.top = `${pos * ROW}px`;
  const t = rowText(e);
  const failed = e.failure ? ` Failed: ${e.failure.reason.replace(/_/g, ' ')}.` : '';
  el.setAttribute('aria-label', `${e.decision === 'allow' ? 'Allowed' : 'Blocked'} ${t.method} ${t.host}${t.path}${t.status ? `, status ${t.status}` : ''}.${failed} ${e.explanation ?? t.reason}`);
  for (const c of cells) {
    const span = document.createElement('span');
    span.className = `c-${c}`;
    span.textContent = t[c];
    span.title = c === 'reason' && e.failure ? `Failed: ${e.failure.message || t[c]}` : c === 'reason' && e.explanation ? e.explanation : t[c];
    el.appendChild(span);
  }
  return el;
}

function groupElement(g: Extract<Item, { kind: 'group' }>, pos: number): HTMLDivElement {
  const el = document.createElement('div');
  el.className = 'row group';
  el.id = `item-${pos}`;
  el.dataset.testid = 'group';
  el.dataset.host = g.host;
  el.dataset.pos = String(pos);
  el.setAttribute('role', 'option');
  el.setAttribute('aria-expanded', String(!g.collapsed));
  el.style.top = `${pos * ROW}px`;
  const total = g.allowed + g.blocked;
  el.textContent = `${g.collapsed ? '▸' : '▾'} ${g.host}  —  ${total} request${total === 1 ? '' : 's'}: ${g.allowed} allowed, ${g.blocked} blocked`;
  el.setAttribute('aria-label', `${g.host}: ${total} requests, ${g.allowed} allowed, ${g.blocked} blocked, ${g.collapsed ? 'collapsed' : 'expanded'}`);
  return el;
}

function select(pos: number, reveal = true): void {
  if (!items.length) return;
  selected = Math.max(0, Math.min(items.length - 1, pos));
  if (reveal) {
    const top = selected * ROW;
    if (top < list.scrollTop) list.scrollTop = top;
    else if (top + ROW > list.scrollTop + list.clientHeight) list.scrollTop = top + ROW - list.clientHeight;
  }
  render(false);
  if (detailOpen) showDetail();
}

function toggleGroup(host: string): void {
  if (collapsed.has(host)) collapsed.delete(host);
  else collapsed.add(host);
  rebuild();
}

function showDetail(): void {
  const it = items[selected];
  if (!it || it.kind !== 'row') return;
  detailOpen = true;
  detail.hidden = false;
  renderDetail(detail, all[it.index]!, (m) => vscode.postMessage(m), closeDetail);
}

function closeDetail(): void {
  detailOpen = false;
  detail.hidden = true;
  list.focus();
}

function showHost(host: string): void {
  filterInput.value = `host:${host}`;
  refilter();
}

function paintHeader(): void {
  for (const b of Array.from(header.querySelectorAll<HTMLButtonElement>('button[data-sort]'))) {
    const active = b.dataset.sort === sort.column;
    b.parentElement!.setAttribute('aria-sort', active ? (sort.descending ? 'descending' : 'ascending') : 'none');
    b.dataset.arrow = active ? (sort.descending ? '▼' : '▲') : '';
  }
  groupBtn.setAttribute('aria-pressed', String(grouped));
  overviewBtn.setAttribute('aria-pressed', String(!overviewEl.hidden));
}

header.addEventListener('click', (ev) => {
  const b = (ev.target as HTMLElement).closest<HTMLButtonElement>('button[data-sort]');
  if (!b) return;
  const column = b.dataset.sort as SortColumn;
  sort = { column, descending: sort.column === column ? !sort.descending : column !== 'time' && column !== 'host' && column !== 'path' ? true : false };
  save();
  rebuild();
});
groupBtn.addEventListener('click', () => {
  grouped = !grouped;
  save();
  rebuild();
});
overviewBtn.addEventListener('click', () => {
  overviewEl.hidden = !overviewEl.hidden;
  save();
  rebuild();
});
list.addEventListener('scroll', () => render(false), { passive: true });
new ResizeObserver(() => render(false)).observe(list);
list.addEventListener('click', (ev) => {
  const row = (ev.target as HTMLElement).closest<HTMLElement>('.row');
  if (!row) return;
  select(Number(row.dataset.pos), false);
  const it = items[selected];
  if (it?.kind === 'group') toggleGroup(it.host);
  else showDetail();
});
list.addEventListener('keydown', (ev) => {
  const page = Math.max(1, Math.floor(list.clientHeight / ROW) - 1);
  const it = items[selected];
  const keys: Record<string, () => void> = {
    ArrowDown: () => select(selected + 1), ArrowUp: () => select(selected < 0 ? items.length - 1 : selected - 1),
    PageDown: () => select(selected + page), PageUp: () => select(selected - page),
    Home: () => select(0), End: () => select(items.length - 1),
    ArrowLeft: () => { if (it?.kind === 'group' && !it.collapsed) toggleGroup(it.host); },
    ArrowRight: () => { if (it?.kind === 'group' && it.collapsed) toggleGroup(it.host); },
    Enter: () => {
      if (it?.kind === 'group') return toggleGroup(it.host);
      showDetail();
      detail.focus();
    },
    Escape: () => closeDetail(),
  };
  const f = keys[ev.key];
  if (f) {
    ev.preventDefault();
    f();
  }
});
detail.addEventListener('keydown', (ev) => {
  if (ev.key === 'Escape') closeDetail();
});
document.addEventListener('keydown', (ev) => {
  const inInput = ev.target instanceof HTMLInputElement || ev.target instanceof HTMLSelectElement;
  if (ev.key === '/' && !inInput) {
    ev.preventDefault();
    filterInput.focus();
    filterInput.select();
  }
});
filterInput.addEventListener('keydown', (ev) => {
  if (ev.key === 'Escape' || ev.key === 'ArrowDown' || ev.key === 'Enter') {
    ev.preventDefault();
    list.focus();
    if (selected < 0) select(0);
  }
});
let filterTimer: ReturnType<typeof setTimeout> | undefined;
filterInput.addEventListener('input', () => {
  clearTimeout(filterTimer);
  filterTimer = setTimeout(refilter, 80);
});
decisionSelect.addEventListener('change', refilter);
pauseBtn.addEventListener('click', () => {
  paused = !paused;
  pauseBtn.textContent = paused ? 'Resume' : 'Pause';
  pauseBtn.setAttribute('aria-pressed', String(paused));
  if (!paused && held.length) {
    const h = held;
    held = [];
    append(h);
  } else layout(false);
});
$('clear').addEventListener('click', () => vscode.postMessage({ type: 'clear' }));
$('export-jsonl').addEventListener('click', () => vscode.postMessage({ type: 'export', format: 'jsonl' }));
$('export-har').addEventListener('click', () => vscode.postMessage({ type: 'export', format: 'har' }));

function reset(): void {
  all = [];
  held = [];
  indexById.clear();
  items = [];
  selected = -1;
}

window.addEventListener('message', (ev: MessageEvent<ToWebview>) => {
  const m = ev.data;
  switch (m.type) {
    case 'init':
      reset();
      status.textContent = m.status;
      filter = currentFilter();
      append(m.events);
      return;
    case 'add':
      if (paused) {
        held.push(...m.events);
        layout(false);
      } else append(m.events);
      return;
    case 'update':
      update(m.events);
      return;
    case 'clear':
      reset();
      closeDetail();
      rebuild();
      return;
    case 'status':
      status.textContent = m.status;
      return;
    case 'focusFilter':
      filterInput.focus();
      return;
  }
});
filter = currentFilter();
paintHeader();
vscode.postMessage({ type: 'ready' });
