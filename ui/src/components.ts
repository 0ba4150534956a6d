/** Small pieces shared by the views: bars, state badges, links, empty rows. */
import type { ComponentChildren } from 'preact';
import { html } from './html.js';
import { href } from './router.js';

/** Allocated against capacity, as a bar with the figures beside it. */
export function Bar({ label, used, total, unit = '' }: { label: string; used: number; total: number; unit?: string }) {
  const pct = total > 0 ? Math.min(100, (used / total) * 100) : 0;
  const level = pct >= 90 ? 'hot' : pct >= 70 ? 'warm' : 'ok';
  const fig = (n: number) => String(Math.round(n * 100) / 100);
  return html`<div class="bar" title=${`${label}: ${fig(used)} of ${fig(total)}${unit} allocated`}>
    <span class="bar-label">${label}</span>
    <span class="bar-track" role="meter" aria-label=${label} aria-valuemin="0" aria-valuemax=${total} aria-valuenow=${used}>
      <span class=${`bar-fill ${level}`} style=${`width:${pct.toFixed(1)}%`}></span>
    </span>
    <span class="bar-figure">${fig(used)} / ${fig(total)}${unit}</span>
  </div>`;
}

const GOOD = new Set(['Ready', 'Running', 'Healthy', 'Succeeded', 'complete', 'True', 'Normal', 'live']);
const BAD = new Set(['NotReady', 'Failed', 'Lost', 'Unhealthy', 'failed', 'Warning', 'Missed', 'Unreachable']);

export function Badge({ value }: { value: string | undefined }) {
  const v = value ?? '—';
  const tone = GOOD.has(v) ? 'good' : BAD.has(v) ? 'bad' : 'neutral';
  return html`<span class=${`badge ${tone}`}>${v}</span>`;
}

export function Link({ to, children }: { to: string[]; children: ComponentChildren }) {
  return html`<a href=${href(...to)}>${children}</a>`;
}

export function Empty({ cols, text }: { cols: number; text: string }) {
  return html`<tr><td colspan=${cols} class="empty">${text}</td></tr>`;
}

export function Section({ title, children, id }: { title: string; children: ComponentChildren; id?: string }) {
  return html`<section class="card" aria-labelledby=${id}><h2 id=${id}>${title}</h2>${children}</section>`;
}
