/**
 * Overview, built to stay readable at 1,000 nodes and 10,000 tasks: who leads, counts, tasks
 * by state; the cluster's cpu / mem / disk / ports allocated and used against capacity; every
 * node in a list sorted busiest first (only the rows in view drawn); the services and jobs
 * that need a look (at most a few, the rest a link away); recent warnings.
 */
import { useMemo } from 'preact/hooks';
import type { Job, Service } from '../../../pkg/api/types.js';
import { RESOURCES } from '../capacity.js';
import { Section } from '../components.js';
import { html } from '../html.js';
import { href } from '../router.js';
import { jobs, nodeSummary, services, tasksByState, warnings } from '../selectors.js';
import type { Store } from '../store.js';
import { Legend, UsageBar } from '../usage-bar.js';
import { EventsTable } from './events.js';
import { JobsTable } from './jobs.js';
import { NodeList } from './nodes.js';
import { ServersCard } from './servers.js';
import { ServicesTable } from './services.js';
import { STATES } from './tasks-list.js';

/** Services and jobs shown on the overview; the pages list them all. */
const FEW = 8;

/** Services not as asked first (failed, progressing, fewer healthy than instances), then by name. */
function needingLook(list: Service[]): Service[] {
  const rank = (s: Service) => (s.status?.deployment?.state === 'failed' ? 0 : (s.status?.healthy ?? 0) < (s.spec.instances ?? 1) ? 1 : s.status?.deployment?.state === 'progressing' ? 2 : 3);
  return list.length <= FEW ? list : [...list].sort((a, b) => rank(a) - rank(b)).slice(0, FEW);
}

/** Jobs with an active or failed last run first. */
function jobsToShow(list: Job[]): Job[] {
  const rank = (j: Job) => (j.status?.lastRun?.state === 'Failed' ? 0 : j.status?.active?.length ? 1 : 2);
  return list.length <= FEW ? list : [...list].sort((a, b) => rank(a) - rank(b)).slice(0, FEW);
}

const More = ({ shown, all, to, what }: { shown: number; all: number; to: string; what: string }) =>
  shown < all ? html`<p class="small"><a href=${href(to)}>All ${all} ${what} →</a></p>` : null;

export function OverviewView({ store }: { store: Store }) {
  const sum = nodeSummary(store);
  const svcs = services(store);
  const js = jobs(store);
  const byState = tasksByState(store);
  const total = store.get('tasks').items.size; // a count: no need to sort 10,000 tasks
  const leader = store.ready?.leader;
  const loading = !store.synced;
  const n = (x: number) => (loading ? '…' : String(x));
  const fewSvcs = useMemo(() => needingLook(svcs), [svcs]);
  const fewJobs = useMemo(() => jobsToShow(js), [js]);
  return html`<h1>Overview</h1>
    <div class="stats" data-synced=${store.synced ? '1' : '0'}>
      <div class="stat"><span class="muted">leader</span><b data-col="leader">${leader ?? (store.ready ? 'none' : '…')}</b></div>
      <div class="stat"><span class="muted">nodes ready</span><b data-col="nodes-ready">${loading ? '…' : `${sum.ready} / ${sum.rows.length}`}</b>
        <span class="small">${sum.notReady ? html`<span class="badge bad">${sum.notReady} NotReady</span> ` : null}${sum.cordoned ? html`<span class="badge warn">${sum.cordoned} cordoned</span>` : null}</span></div>
      <div class="stat"><span class="muted">services</span><b data-col="services">${n(svcs.length)}</b></div>
      <div class="stat"><span class="muted">jobs</span><b data-col="jobs">${n(js.length)}</b></div>
      <div class="stat wide"><span class="muted">tasks</span><b data-col="tasks">${n(total)}</b>
        <span class="small" data-col="tasks-by-state">${STATES.filter((s) => byState.get(s)).map((s) => `${s} ${byState.get(s)}`).join(' · ') || (loading ? '' : 'none')}</span></div>
    </div>
    <${ServersCard} store=${store} />
    <${Section} title=${`Capacity of ${sum.rows.length} node${sum.rows.length === 1 ? '' : 's'}`} id="ov-capacity">
      <div class="ubars">${RESOURCES.map((r) => html`<${UsageBar} r=${r} f=${sum.total[r]} />`)}</div>
      <${Legend} />
    </${Section}>
    <${Section} title="Nodes" id="ov-nodes">
      <${NodeList} store=${store} actions=${false} maxHeight="min(60vh, 420px)" />
    </${Section}>
    <div class="two">
      <${Section} title="Services" id="ov-services"><${ServicesTable} list=${fewSvcs} compact=${true} /><${More} shown=${fewSvcs.length} all=${svcs.length} to="services" what="services" /></${Section}>
      <${Section} title="Jobs" id="ov-jobs"><${JobsTable} list=${fewJobs} compact=${true} /><${More} shown=${fewJobs.length} all=${js.length} to="jobs" what="jobs" /></${Section}>
    </div>
    <${Section} title="Recent warnings" id="ov-warnings"><${EventsTable} list=${warnings(store)} maxHeight="none" /></${Section}>`;
}
