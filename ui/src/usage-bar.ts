/**
 * Bars of allocated AND used beside capacity: the track is the capacity, the lighter fill
 * what is allocated (its colour says how full: ok / warm / hot), the dark fill inside it what
 * the tasks use (where the agent measures it). Full bars with figures for the cluster's
 * totals; small ones for rows of nodes.
 */
import { type Figures, type Resource, UNITS, pct, share } from './capacity.js';
import { html } from './html.js';

const level = (x: number) => (x >= 0.9 ? 'hot' : x >= 0.7 ? 'warm' : 'ok');
const width = (x: number) => `width:${(Math.min(1, x) * 100).toFixed(1)}%`;

/** In words, for the title and screen readers. */
export function describe(r: Resource, f: Figures): string {
  const u = UNITS[r];
  const unit = u.unit ? ` ${u.unit}` : '';
  const used = f.used === undefined ? (r === 'ports' ? '' : '; use not measured') : `; ${u.fmt(f.used)}${unit} used (${pct(share(f.used, f))})`;
  return `${r}: ${u.fmt(f.allocated)} of ${u.fmt(f.capacity)}${unit} allocated (${pct(share(f.allocated, f))})${used}`;
}

function Track({ r, f }: { r: Resource; f: Figures }) {
  const a = share(f.allocated, f);
  return html`<span class="ubar-track" role="meter" aria-label=${`${r} allocated`} aria-valuemin="0" aria-valuemax=${f.capacity} aria-valuenow=${f.allocated} aria-valuetext=${describe(r, f)}>
    <span class=${`ubar-alloc ${level(a)}`} style=${width(a)}></span>
    ${f.used !== undefined ? html`<span class="ubar-used" style=${width(share(f.used, f))}></span>` : null}
  </span>`;
}

/** A resource of the whole cluster: label, bar, and its figures. */
export function UsageBar({ r, f }: { r: Resource; f: Figures }) {
  const u = UNITS[r];
  return html`<div class="ubar" data-res=${r} title=${describe(r, f)}>
    <span class="ubar-label">${r}</span>
    <${Track} r=${r} f=${f} />
    <span class="ubar-figure">
      <span data-col="allocated">${u.fmt(f.allocated)}</span> / <span data-col="capacity">${u.fmt(f.capacity)}</span>${u.unit ? ` ${u.unit}` : ''} allocated (${pct(share(f.allocated, f))})${f.used !== undefined ? html`, <span data-col="used">${u.fmt(f.used)}</span> used (${pct(share(f.used, f))})` : null}
    </span>
  </div>`;
}

/** A resource of one node, small: the bar, then allocated % and used %. */
export function MiniBar({ r, f }: { r: Resource; f: Figures }) {
  return html`<span class="mbar" data-res=${r} title=${describe(r, f)}>
    <${Track} r=${r} f=${f} />
    <span class="mbar-figure">${pct(share(f.allocated, f))}${f.used !== undefined ? html`<span class="muted"> · ${pct(share(f.used, f))}</span>` : null}</span>
  </span>`;
}

/** What the fills mean. */
export const Legend = () =>
  html`<span class="legend small muted"><span class="swatch ubar-alloc ok"></span> allocated <span class="swatch ubar-used"></span> used (cpu and mem, as the agents measure it) · rows: allocated % · used %</span>`;
