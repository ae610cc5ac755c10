// Decision log webview: a virtualised list (fixed 24 px rows; only visible rows are in the DOM),
// token filters + search, pause/resume, keyboard navigation and a detail pane with quick actions.
import type { DecisionEvent } from '../../logic/events';
import { matchesFilter, parseFilter, rowText, type ParsedFilter } from '../../logic/rows';
import type { FromWebview, ToWebview } from '../protocol';
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
const count = $<HTMLSpanElement>('count');
const status = $<HTMLDivElement>('status');

let all: DecisionEvent[] = [];
let shown: number[] = []; // indexes into `all` that pass the filter
// Decision: Pause freezes this view only; the extension host keeps recording (counts, exports).
let held: DecisionEvent[] = []; // arrived while paused
let paused = false;
let filter: ParsedFilter = parseFilter('');
let selected = -1; // position in `shown`
let detailOpen = false;

const saved = vscode.getState() as { filter?: string; decision?: string } | undefined;
if (saved?.filter) filterInput.value = saved.filter;
if (saved?.decision) decisionSelect.value = saved.decision;

function currentFilter(): ParsedFilter {
  const d = decisionSelect.value;
  return parseFilter(`${filterInput.value}${d ? ` decision:${d}` : ''}`);
}

function refilter(): void {
  const keepId = selected >= 0 ? all[shown[selected]!]?.id : undefined;
  filter = currentFilter();
  shown = [];
  for (let i = 0; i < all.length; i++) if (matchesFilter(all[i]!, filter)) shown.push(i);
  selected = keepId === undefined ? -1 : shown.findIndex((i) => all[i]!.id === keepId);
  vscode.setState({ filter: filterInput.value, decision: decisionSelect.value });
  layout(true);
}

function atBottom(): boolean {
  return list.scrollTop + list.clientHeight >= list.scrollHeight - ROW;
}

function append(events: DecisionEvent[]): void {
  const stick = atBottom();
  for (const e of events) {
    all.push(e);
    if (matchesFilter(e, filter)) shown.push(all.length - 1);
  }
  layout(false);
  if (stick) list.scrollTop = list.scrollHeight;
}

function layout(force: boolean): void {
  spacer.style.height = `${shown.length * ROW}px`;
  const unknown = filter.unknownFields.length ? ` — unknown filter field${filter.unknownFields.length > 1 ? 's' : ''}: ${filter.unknownFields.join(', ')}` : '';
  count.textContent = `${shown.length} of ${all.length} shown${paused ? ` (paused, ${held.length} waiting)` : ''}${unknown}`;
  render(force);
}

const cells = ['time', 'decision', 'method', 'host', 'path', 'reason', 'hook'] as const;
let rendered = new Map<number, HTMLDivElement>(); // position -> row element

function render(force: boolean): void {
  const first = Math.max(0, Math.floor(list.scrollTop / ROW) - OVERSCAN);
  const last = Math.min(shown.length, Math.ceil((list.scrollTop + list.clientHeight) / ROW) + OVERSCAN);
  const next = new Map<number, HTMLDivElement>();
  for (const [pos, el] of rendered) {
    if (!force && pos >= first && pos < last) next.set(pos, el);
    else el.remove();
  }
  for (let pos = first; pos < last; pos++) {
    let el = next.get(pos);
    if (!el) {
      el = rowElement(all[shown[pos]!]!, pos);
      spacer.appendChild(el);
      next.set(pos, el);
    }
    el.classList.toggle('selected', pos === selected);
    el.setAttribute('aria-selected', String(pos === selected));
  }
  rendered = next;
}

function rowElement(e: DecisionEvent, pos: number): HTMLDivElement {
  const el = document.createElement('div');
  el.className = `row ${e.decision}`;
  el.dataset.testid = 'row';
  el.dataset.decision = e.decision;
  el.dataset.host = e.host;
  el.dataset.hook = e.hook ?? '';
  el.dataset.method = e.method ?? '';
  el.dataset.pos = String(pos);
  el.setAttribute('role', 'option');
  el.style.top = `${pos * ROW}px`;
  const t = rowText(e);
  for (const c of cells) {
    const span = document.createElement('span');
    span.className = `c-${c}`;
    span.textContent = t[c];
    span.title = t[c];
    el.appendChild(span);
  }
  return el;
}

function select(pos: number, reveal = true): void {
  if (!shown.length) return;
  selected = Math.max(0, Math.min(shown.length - 1, pos));
  if (reveal) {
    const top = selected * ROW;
    if (top < list.scrollTop) list.scrollTop = top;
    else if (top + ROW > list.scrollTop + list.clientHeight) list.scrollTop = top + ROW - list.clientHeight;
  }
  render(false);
  if (detailOpen) showDetail();
}

function button(label: string, testid: string, onClick: () => void, title = label): HTMLButtonElement {
  const b = document.createElement('button');
  b.textContent = label;
  b.dataset.testid = testid;
  b.title = title;
  b.addEventListener('click', onClick);
  return b;
}

function showDetail(): void {
  const e = selected >= 0 ? all[shown[selected]!] : undefined;
  if (!e) return;
  detailOpen = true;
  detail.hidden = false;
  detail.replaceChildren();
  const actions = document.createElement('div');
  actions.className = 'actions';
  if (e.rule) {
    const rule = e.rule;
    actions.appendChild(button('Open rule', 'open-rule', () => vscode.postMessage({ type: 'openRule', file: rule.file, line: rule.line }), `${rule.file}:${rule.line}`));
  }
  actions.appendChild(button('Allow host', 'allow-host', () => vscode.postMessage({ type: 'setHost', host: e.host, value: 'allow' })));
  actions.appendChild(button('Deny host', 'deny-host', () => vscode.postMessage({ type: 'setHost', host: e.host, value: 'deny' })));
  if (e.method && e.method !== 'CONNECT' && e.path !== null) {
    const method = e.method, path = e.path;
    actions.appendChild(button('Add hook for this method and path', 'add-hook', () => vscode.postMessage({ type: 'addHook', host: e.host, method, path })));
  }
  actions.appendChild(button('Save as test case', 'save-test-case', () => vscode.postMessage({ type: 'saveTestCase', id: e.id }), 'Append a [[case]] pinning this decision to the policy test file'));
  actions.appendChild(button('Close', 'close-detail', closeDetail, 'Close (Escape)'));
  detail.appendChild(actions);
  const table = document.createElement('table');
  const add = (k: string, v: unknown) => {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.textContent = k;
    const td = document.createElement('td');
    td.textContent = v === null || v === undefined ? '—' : Array.isArray(v) ? (v.length ? v.join(', ') : '—') : typeof v === 'object' ? JSON.stringify(v) : String(v);
    tr.append(th, td);
    table.appendChild(tr);
  };
  for (const [k, v] of Object.entries(e)) {
    if (k === 'event') continue;
    if (k === 'headers') {
      const h = v as DecisionEvent['headers'];
      add('stripped headers', h.strip);
      add('injected headers (names only)', h.inject);
    } else if (k === 'rule') add('rule', e.rule ? `${e.rule.file}:${e.rule.line}` : null);
    else add(k, v);
  }
  detail.appendChild(table);
}

function closeDetail(): void {
  detailOpen = false;
  detail.hidden = true;
  list.focus();
}

list.addEventListener('scroll', () => render(false), { passive: true });
new ResizeObserver(() => render(false)).observe(list);
list.addEventListener('click', (ev) => {
  const row = (ev.target as HTMLElement).closest<HTMLElement>('.row');
  if (!row) return;
  select(Number(row.dataset.pos), false);
  showDetail();
});
list.addEventListener('keydown', (ev) => {
  const page = Math.max(1, Math.floor(list.clientHeight / ROW) - 1);
  const keys: Record<string, () => void> = {
    ArrowDown: () => select(selected + 1), ArrowUp: () => select(selected < 0 ? shown.length - 1 : selected - 1),
    PageDown: () => select(selected + page), PageUp: () => select(selected - page),
    Home: () => select(0), End: () => select(shown.length - 1),
    Enter: () => { showDetail(); detail.focus(); }, Escape: () => closeDetail(),
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

window.addEventListener('message', (ev: MessageEvent<ToWebview>) => {
  const m = ev.data;
  switch (m.type) {
    case 'init':
      all = [];
      held = [];
      status.textContent = m.status;
      filter = currentFilter();
      shown = [];
      append(m.events);
      return;
    case 'add':
      if (paused) {
        held.push(...m.events);
        layout(false);
      } else append(m.events);
      return;
    case 'clear':
      all = [];
      shown = [];
      held = [];
      selected = -1;
      closeDetail();
      layout(true);
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
vscode.postMessage({ type: 'ready' });
