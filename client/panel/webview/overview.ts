// The overview strip: allowed/blocked over time as a stacked bar chart and the top blocked hosts,
// drawn as inline SVG/HTML in the theme's chart colours (CSS classes, no inline colours: CSP).
import type { DecisionEvent } from '../../logic/events';
import { overview } from '../../logic/table';

const SVG = 'http://www.w3.org/2000/svg';
const W = 300, H = 60;

function svgEl(tag: string, attrs: Record<string, string | number>): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

function span(ms: number): string {
  return ms < 60_000 ? `${ms / 1000} s` : ms < 3_600_000 ? `${ms / 60_000} min` : `${ms / 3_600_000} h`;
}

export function renderOverview(root: HTMLElement, events: readonly DecisionEvent[], onHost: (host: string) => void): void {
  const o = overview(events);
  root.replaceChildren();
  const chart = document.createElement('figure');
  chart.className = 'chart';
  const caption = document.createElement('figcaption');
  caption.textContent = `${o.allowed} allowed, ${o.blocked} blocked${o.failed ? `, ${o.failed} failed` : ''}${o.buckets.length ? ` · per ${span(o.bucketMs)}` : ''}`;
  const svg = svgEl('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': `Allowed and blocked decisions over time: ${caption.textContent}` });
  svg.dataset.testid = 'overview-chart';
  const max = Math.max(1, ...o.buckets.map((b) => b.allowed + b.blocked));
  const bw = o.buckets.length ? W / o.buckets.length : W;
  o.buckets.forEach((b, i) => {
    const ha = (b.allowed / max) * (H - 2), hb = (b.blocked / max) * (H - 2);
    const x = i * bw + 1, w = Math.max(1, bw - 2);
    const title = `${new Date(b.start).toLocaleTimeString()}: ${b.allowed} allowed, ${b.blocked} blocked`;
    for (const [cls, y, h] of [['bar-allow', H - ha, ha], ['bar-deny', H - ha - hb, hb]] as const) {
      if (h <= 0) continue;
      const r = svgEl('rect', { x, y, width: w, height: h, class: cls });
      r.appendChild(svgEl('title', {})).textContent = title;
      svg.appendChild(r);
    }
  });
  chart.append(caption, svg);

  const top = document.createElement('figure');
  top.className = 'top-blocked';
  const topCaption = document.createElement('figcaption');
  topCaption.textContent = o.topBlocked.length ? 'Top blocked hosts' : 'No blocked hosts';
  const list = document.createElement('ol');
  list.dataset.testid = 'top-blocked';
  const most = o.topBlocked[0]?.count ?? 1;
  for (const t of o.topBlocked) {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.className = 'link';
    b.textContent = `${t.host} (${t.count})`;
    b.title = `Show only ${t.host}`;
    b.addEventListener('click', () => onHost(t.host));
    const bar = document.createElement('span');
    bar.className = 'hbar';
    bar.style.width = `${Math.max(4, (t.count / most) * 80)}px`; // CSSOM, allowed by the CSP
    bar.setAttribute('aria-hidden', 'true');
    li.append(bar, b);
    list.appendChild(li);
  }
  top.append(topCaption, list);
  root.append(chart, top);
}
