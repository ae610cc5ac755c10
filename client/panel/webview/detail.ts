// The detail pane: the sentence that says why and the rule first, then the request line, the
// matched hook and the header names, then every raw field folded away. The primary button fits
// the row: Allow host on a block, Deny host on an allow.
import type { DecisionEvent } from '../../logic/events';
import { bytesText, durationText, failureText, hostText, statusOf } from '../../logic/table';
import type { FromWebview } from '../protocol';

type Post = (m: FromWebview) => void;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function button(label: string, testid: string, onClick: () => void, opts: { title?: string; primary?: boolean } = {}): HTMLButtonElement {
  const b = el('button', label);
  b.dataset.testid = testid;
  b.title = opts.title ?? label;
  if (opts.primary) b.classList.add('primary');
  b.addEventListener('click', onClick);
  return b;
}

/** `config.toml:26` */
function ruleName(rule: { file: string; line: number }): string {
  return `${rule.file.split(/[\\/]/).pop() ?? rule.file}:${rule.line}`;
}

/** The fallback sentence for events from a proxy that sends no explanation. */
function sentence(e: DecisionEvent): string {
  if (e.explanation) return e.explanation;
  return e.decision === 'allow' ? `${e.host} is allowed` : `${e.host} is blocked (${e.reason ?? e.status})`;
}

function requestLine(e: DecisionEvent): string {
  const scheme = e.protocol === 'http' ? 'http' : 'https';
  if (e.protocol === 'https_connect') return `CONNECT ${e.host}:${e.port}`;
  if (e.protocol.startsWith('socks5')) return `${e.protocol.toUpperCase()} ${e.host}:${e.port}`;
  return `${e.method ?? ''} ${scheme}://${hostText(e)}${e.path ?? ''}`;
}

function facts(e: DecisionEvent): [string, string][] {
  const out: [string, string][] = [];
  const status = statusOf(e);
  const outcome = [status !== null ? `status ${status}` : '', durationText(e.durationMs), bytesText(e.bytes)].filter(Boolean).join(' · ');
  out.push(['Request', `${requestLine(e)}${outcome ? `  →  ${outcome}` : ''}`]);
  // The proxy scrubs the message of secrets; header values are never part of it.
  if (e.failure) out.push(['Failure', `${e.failure.reason}${e.failure.status === null ? ' (nothing answered)' : ` (the proxy answered ${e.failure.status})`}`], ['Message', e.failure.message || '—']);
  if (e.hook) out.push(['Hook', `${e.hook}${e.actions.length ? ` (actions: ${e.actions.join(', ')})` : ''}`]);
  if (e.headers.strip.length) out.push(['Stripped headers', e.headers.strip.join(', ')]);
  if (e.headers.inject.length) out.push(['Injected headers', `${e.headers.inject.join(', ')} (names only)`]);
  if (e.dns) out.push(['DNS', 'error' in e.dns ? `lookup failed: ${e.dns.error}` : `resolved to ${e.dns.nonPublic}`]);
  out.push(['Profile', `${e.profile} (${e.mode} mode)`]);
  return out;
}

function table(rows: [string, string][]): HTMLTableElement {
  const t = el('table');
  for (const [k, v] of rows) {
    const tr = el('tr');
    tr.append(el('th', k), el('td', v));
    t.appendChild(tr);
  }
  return t;
}

function rawRows(e: DecisionEvent): [string, string][] {
  return Object.entries(e).filter(([k]) => k !== 'event').map(([k, v]) => [k, v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v)]);
}

export function renderDetail(detail: HTMLElement, e: DecisionEvent, post: Post, close: () => void): void {
  detail.replaceChildren();
  detail.setAttribute('aria-label', `Decision details: ${e.decision === 'allow' ? 'allowed' : 'blocked'} ${requestLine(e)}${e.failure ? `, failed: ${failureText(e)}` : ''}`);
  const head = el('div', undefined, 'why');
  const verdict = el('span', e.decision === 'allow' ? 'Allowed' : 'Blocked', `verdict ${e.decision}`);
  const text = el('span', ` ${sentence(e)}.`);
  text.dataset.testid = 'explanation';
  head.append(verdict, text);
  detail.appendChild(head);
  if (e.failure) {
    const failed = el('div', undefined, 'failure');
    failed.dataset.testid = 'failure';
    failed.append(el('span', 'Failed', 'verdict'), el('span', ` ${failureText(e)}${e.failure.message ? `: ${e.failure.message}` : ''}`));
    detail.appendChild(failed);
  }
  if (e.rule) {
    const rule = e.rule;
    const link = el('a', `Rule: ${ruleName(rule)}`, 'rule-link');
    link.href = '#';
    link.dataset.testid = 'rule-link';
    link.title = `Open ${rule.file}:${rule.line}`;
    link.addEventListener('click', (ev) => {
      ev.preventDefault();
      post({ type: 'openRule', file: rule.file, line: rule.line });
    });
    detail.appendChild(link);
  } else detail.appendChild(el('div', 'Rule: none matched', 'rule-link none'));

  const actions = el('div', undefined, 'actions');
  actions.setAttribute('role', 'group');
  actions.setAttribute('aria-label', 'Actions');
  const allow = button('Allow host', 'allow-host', () => post({ type: 'setHost', host: e.host, value: 'allow' }), { title: `Allow ${e.host} in the policy`, primary: e.decision === 'deny' });
  const deny = button('Deny host', 'deny-host', () => post({ type: 'setHost', host: e.host, value: 'deny' }), { title: `Deny ${e.host} in the policy`, primary: e.decision === 'allow' });
  actions.append(...(e.decision === 'deny' ? [allow, deny] : [deny, allow]));
  if (e.method && e.method !== 'CONNECT' && e.path !== null) {
    const method = e.method, path = e.path;
    actions.appendChild(button('Add hook for this method and path', 'add-hook', () => post({ type: 'addHook', host: e.host, method, path })));
  }
  actions.appendChild(button('Save as test case', 'save-test-case', () => post({ type: 'saveTestCase', id: e.id }), { title: 'Append a [[case]] pinning this decision to the policy test file' }));
  actions.appendChild(button('Close', 'close-detail', close, { title: 'Close (Escape)' }));
  detail.appendChild(actions);
  detail.appendChild(table(facts(e)));
  const raw = el('details');
  raw.dataset.testid = 'raw-fields';
  raw.append(el('summary', 'All fields'), table(rawRows(e)));
  detail.appendChild(raw);
}
