/** Overview: who leads, nodes with their bars, counts, services, jobs and recent warnings. */
import { Section } from '../components.js';
import { html } from '../html.js';
import { events, jobs, nodes, services, tasksByState } from '../selectors.js';
import type { Store } from '../store.js';
import { EventsTable } from './events.js';
import { JobsTable } from './jobs.js';
import { NodeCard } from './nodes.js';
import { ServersCard } from './servers.js';
import { ServicesTable } from './services.js';

const ORDER = ['Pending', 'Admitted', 'Bound', 'Starting', 'Running', 'Unreachable', 'Succeeded', 'Failed', 'Killed', 'Lost'];

export function OverviewView({ store }: { store: Store }) {
  const ns = nodes(store);
  const svcs = services(store);
  const js = jobs(store);
  const byState = tasksByState(store);
  const ready = ns.filter((n) => n.status?.state === 'Ready').length;
  const warnings = events(store, (e) => e.spec.type === 'Warning', 8);
  const leader = store.ready?.leader;
  return html`<h1>Overview</h1>
    <div class="stats">
      <div class="stat"><span class="muted">leader</span><b data-col="leader">${leader ?? (store.ready ? 'none' : '…')}</b></div>
      <div class="stat"><span class="muted">nodes ready</span><b>${ready} / ${ns.length}</b></div>
      <div class="stat"><span class="muted">services</span><b>${svcs.length}</b></div>
      <div class="stat"><span class="muted">jobs</span><b>${js.length}</b></div>
      <div class="stat wide"><span class="muted">tasks</span><b>${store.get('tasks').items.size}</b>
        <span class="small">${ORDER.filter((s) => byState.get(s)).map((s) => `${s} ${byState.get(s)}`).join(' · ') || 'none'}</span></div>
    </div>
    <${ServersCard} store=${store} />
    <${Section} title="Nodes" id="ov-nodes"><div class="nodes">${ns.length ? ns.map((n) => html`<${NodeCard} key=${n.metadata.name} node=${n} />`) : html`<p class="muted">No nodes have registered.</p>`}</div></${Section}>
    <div class="two">
      <${Section} title="Services" id="ov-services"><${ServicesTable} list=${svcs} compact=${true} /></${Section}>
      <${Section} title="Jobs" id="ov-jobs"><${JobsTable} list=${js} compact=${true} /></${Section}>
    </div>
    <${Section} title="Recent warnings" id="ov-warnings"><${EventsTable} list=${warnings} /></${Section}>`;
}
