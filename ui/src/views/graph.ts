/**
 * The dependency graph drawn (`#/graph`, and a service's or job's own part of it on
 * its page): services and jobs as boxes laid out left to right by graph.ts, an arrow
 * from each dependency to what waits for it. A box links to its page and shows its
 * state: a service's healthy (or ready) count against its instances, a job's active
 * runs or its last run's outcome.
 */
import { useMemo, useState } from 'preact/hooks';
import type { Job, Service } from '../../../pkg/api/types.js';
import { ago } from '../format.js';
import { componentOf, connected, graphNodes, layout, type Edge as GraphEdge, type GraphNode, type Placed, type Slot } from '../graph.js';
import { html } from '../html.js';
import { href } from '../router.js';
import { jobs, services } from '../selectors.js';
import type { Store } from '../store.js';

const W = 230;
const H = 50;
const GAP_X = 64;
const GAP_Y = 14;
const PAD = 8;

type Tone = 'good' | 'bad' | 'warn' | 'neutral';

/** A box's second line and its colour. */
export function nodeState(n: GraphNode, now = Date.now()): { text: string; tone: Tone } {
  if (n.missing || !n.object) return { text: 'not found', tone: 'bad' };
  if (n.kind === 'service') {
    const s = n.object as Service;
    const want = s.spec.instances ?? 1;
    const byReady = (s.spec.readinessChecks?.length ?? 0) > 0;
    const have = (byReady ? s.status?.ready : s.status?.healthy) ?? 0;
    const d = s.status?.deployment;
    const text = `${have}/${want} ${byReady ? 'ready' : 'healthy'} · ${s.status?.running ?? 0} running${d?.state === 'progressing' ? ' · rolling out' : ''}`;
    const tone: Tone = d?.state === 'failed' || (want > 0 && have === 0) ? 'bad' : have >= want ? 'good' : 'warn';
    return { text, tone };
  }
  const j = n.object as Job;
  const st = j.status;
  const active = st?.active?.length ?? 0;
  if (active) return { text: `${active} run${active === 1 ? '' : 's'} active`, tone: 'neutral' };
  const last = st?.lastRun;
  if (!last) return { text: j.spec.suspend ? 'suspended · not run yet' : 'not run yet', tone: 'neutral' };
  const tone: Tone = last.state === 'Succeeded' ? 'good' : last.state === 'Failed' ? 'bad' : last.state === 'Missed' || last.state === 'Skipped' ? 'warn' : 'neutral';
  return { text: `last ${last.state} ${ago(last.at, now)}${j.spec.suspend ? ' · suspended' : ''}`, tone };
}

const pageOf = (n: GraphNode): string => href(n.kind === 'service' ? 'services' : 'jobs', n.ns, n.name);
const ident = (n: GraphNode): string => `${n.kind}/${n.name}`;
const cut = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

function Box({ n, focus }: { n: Placed; focus: boolean }) {
  const x = PAD + n.layer * (W + GAP_X);
  const y = PAD + n.row * (H + GAP_Y);
  const { text, tone } = nodeState(n);
  const box = html`<rect x=${x} y=${y} width=${W} height=${H} rx="6" />
    <text x=${x + 10} y=${y + 20} class="g-name"><tspan class="g-kind">${n.kind} </tspan>${cut(n.name, 26)}</text>
    <text x=${x + 10} y=${y + 38} class="g-state">${cut(text, 38)}</text>`;
  const cls = `g-node ${tone}${n.missing ? ' missing' : ''}${focus ? ' focus' : ''}`;
  const label = `${ident(n)}: ${text}`;
  return n.missing
    ? html`<g class=${cls} data-graph-node=${ident(n)} data-tone=${tone} role="img" aria-label=${label}><title>${label}</title>${box}</g>`
    : html`<a href=${pageOf(n)} class=${cls} data-graph-node=${ident(n)} data-tone=${tone} aria-label=${label}><title>${label}</title>${box}</a>`;
}

/** From the dependency's right side to the dependent's left, through the waypoints between (a slot's middle, crossed level). */
function Edge({ e, from, to, arrow }: { e: GraphEdge; from: Placed; to: Placed; arrow: string }) {
  const left = (s: Slot) => PAD + s.layer * (W + GAP_X);
  const mid = (s: Slot) => PAD + s.row * (H + GAP_Y) + H / 2;
  const pts: [number, number][] = [[left(from) + W, mid(from)]];
  for (const v of e.via) pts.push([left(v), mid(v)], [left(v) + W, mid(v)]);
  pts.push([left(to) - 2, mid(to)]);
  let d = `M${pts[0]![0]} ${pts[0]![1]}`;
  for (let i = 1; i < pts.length; i++) {
    const [x0, y0] = pts[i - 1]!;
    const [x1, y1] = pts[i]!;
    // between layers a curve; across a waypoint's slot a straight line
    d += y0 === y1 && i % 2 === 0 ? `L${x1} ${y1}` : `C${(x0 + x1) / 2} ${y0} ${(x0 + x1) / 2} ${y1} ${x1} ${y1}`;
  }
  return html`<path class="g-edge" d=${d} marker-end=${`url(#${arrow})`} data-edge=${`${ident(from)}>${ident(to)}`} />`;
}

/** A graph's structure as text: the layout is computed again only when it changes. */
const shape = (nodes: readonly GraphNode[]): string => nodes.map((n) => `${n.key}<${n.deps.join(',')}`).join(';');

let svgs = 0;

export function GraphSvg({ nodes, focus, label }: { nodes: GraphNode[]; focus?: string; label: string }) {
  const arrow = useMemo(() => `g-arrow-${++svgs}`, []);
  const sig = shape(nodes);
  const placed = useMemo(() => layout(nodes), [sig]);
  // the layout keeps the objects of its first computation: draw with today's
  const now = new Map(nodes.map((n) => [n.key, n]));
  const g = { ...placed, nodes: placed.nodes.map((p) => ({ ...p, object: now.get(p.key)?.object })) };
  const at = new Map(g.nodes.map((n) => [n.key, n]));
  const width = PAD * 2 + g.layers * (W + GAP_X) - GAP_X;
  const height = PAD * 2 + g.rows * (H + GAP_Y) - GAP_Y;
  return html`<div class="graph scroll">
    <svg width=${width} height=${height} viewBox=${`0 0 ${width} ${height}`} role="group" aria-label=${label}>
      <defs><marker id=${arrow} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" class="g-arrowhead" /></marker></defs>
      ${g.edges.map((e) => html`<${Edge} key=${`${e.from}>${e.to}`} e=${e} from=${at.get(e.from)!} to=${at.get(e.to)!} arrow=${arrow} />`)}
      ${g.nodes.map((n) => html`<${Box} key=${n.key} n=${n} focus=${n.key === focus} />`)}
    </svg>
    <ul class="sr">${g.edges.map((e) => html`<li key=${`${e.from}>${e.to}`}>${ident(at.get(e.to)!)} depends on ${ident(at.get(e.from)!)}</li>`)}</ul>
  </div>`;
}

/** On a service's or job's page: the part of the graph it belongs to, if it has any edge. */
export function DependenciesOf({ store, kind, ns, name }: { store: Store; kind: 'service' | 'job'; ns: string; name: string }) {
  const key = `${ns}/${kind}/${name}`;
  const part = componentOf(graphNodes(services(store), jobs(store)), key);
  if (part.length < 2) return null;
  return html`<section class="card" aria-labelledby="deps-title">
    <h2 id="deps-title">Dependencies <a class="small" href=${href('graph')}>all</a></h2>
    <${GraphSvg} nodes=${part} focus=${key} label=${`what ${kind} ${name} depends on, and what depends on it`} />
  </section>`;
}

export function GraphView({ store }: { store: Store }) {
  const [all, setAll] = useState(false);
  const every = graphNodes(services(store), jobs(store));
  const shown = all ? every : connected(every);
  const byNs = new Map<string, GraphNode[]>();
  for (const n of shown) byNs.set(n.ns, [...(byNs.get(n.ns) ?? []), n]);
  return html`<h1>Dependencies <span class="count">${shown.length}</span></h1>
    <p class="muted small">A service waits for its <code>spec.dependencies</code>, a job runs after its <code>spec.parents</code>: each arrow points from a dependency to what waits for it.</p>
    <div class="filters"><label><input type="checkbox" checked=${all} onChange=${(e: { currentTarget: HTMLInputElement }) => setAll(e.currentTarget.checked)} /> also services and jobs without dependencies</label></div>
    ${byNs.size
      ? [...byNs.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([ns, list]) => html`<section class="card" key=${ns} data-graph-ns=${ns}>
          <h2>namespace ${ns}</h2>
          <${GraphSvg} nodes=${list} label=${`dependencies in namespace ${ns}`} />
        </section>`)
      : html`<p class="muted">No service or job depends on another.</p>`}`;
}
