/** Jobs: schedule, last run and its result, next run; a job's page lists its runs. */
import type { Job, JobRun } from '../../../pkg/api/types.js';
import { Badge, Empty, Link, Section } from '../components.js';
import { ago, time, until } from '../format.js';
import { html } from '../html.js';
import { eventsFor, jobs, runsOf } from '../selectors.js';
import type { Store } from '../store.js';
import { EventsTable } from './events.js';
import { TasksTable } from './tasks.js';
import { tasksOf } from '../selectors.js';

export const scheduleText = (j: Job): string =>
  j.spec.schedule ? `${j.spec.schedule}${j.spec.timeZone ? ` (${j.spec.timeZone})` : ''}` : 'on demand';

export function JobRow({ j, compact = false }: { j: Job; compact?: boolean }) {
  const ns = j.metadata.namespace ?? 'default';
  const st = j.status;
  return html`<tr data-job=${`${ns}/${j.metadata.name}`}>
    <td><${Link} to=${['jobs', ns, j.metadata.name]}>${j.metadata.name}</${Link}>${j.spec.suspend ? html` <span class="badge warn">suspended</span>` : null}</td>
    ${compact ? null : html`<td>${ns}</td>`}
    <td class="mono">${scheduleText(j)}</td>
    <td>${st?.lastRun ? html`${st.lastRun.name} <span class="muted" title=${st.lastRun.at}>${ago(st.lastRun.at)}</span>` : '—'}</td>
    <td data-col="result"><${Badge} value=${st?.lastRun?.state} /></td>
    <td title=${st?.nextRunTimes?.[0] ?? ''}>${until(st?.nextRunTimes?.[0])}</td>
    <td class="num" data-col="active">${st?.active?.length ?? 0}</td>
    ${compact ? null : html`<td class="num">${st?.missed ?? 0} / ${st?.skipped ?? 0}</td>`}
  </tr>`;
}

export function JobsTable({ list, compact = false }: { list: Job[]; compact?: boolean }) {
  return html`<div class="scroll"><table>
    <thead><tr><th>name</th>${compact ? null : html`<th>namespace</th>`}<th>schedule</th><th>last run</th><th>result</th><th>next run</th><th class="num">active</th>${compact ? null : html`<th class="num">missed / skipped</th>`}</tr></thead>
    <tbody>${list.length ? list.map((j) => html`<${JobRow} key=${`${j.metadata.namespace}/${j.metadata.name}`} j=${j} compact=${compact} />`) : html`<${Empty} cols=${compact ? 6 : 8} text="No jobs." />`}</tbody>
  </table></div>`;
}

export function JobsView({ store }: { store: Store }) {
  const list = jobs(store);
  return html`<h1>Jobs <span class="count">${list.length}</span></h1><${JobsTable} list=${list} />`;
}

function RunsTable({ runs }: { runs: JobRun[] }) {
  return html`<div class="scroll"><table>
    <thead><tr><th>run</th><th>trigger</th><th>state</th><th>slot</th><th>started</th><th>finished</th><th class="num">attempts</th><th class="num">late (s)</th><th>reason</th></tr></thead>
    <tbody>${runs.length ? runs.map((r) => html`<tr key=${r.metadata.name} data-run=${r.metadata.name}>
      <td>${r.metadata.name}</td><td>${r.spec.trigger}</td><td data-col="state"><${Badge} value=${r.status?.state} /></td>
      <td class="nowrap">${time(r.status?.slot)}</td><td class="nowrap">${time(r.status?.startedAt)}</td><td class="nowrap">${time(r.status?.finishedAt)}</td>
      <td class="num">${r.status?.attempts ?? 0}</td><td class="num">${r.status?.lateness ?? '—'}</td>
      <td class="small">${[r.status?.reason, r.status?.message].filter(Boolean).join(': ')}</td>
    </tr>`) : html`<${Empty} cols=${9} text="No runs yet." />`}</tbody>
  </table></div>`;
}

export function JobPage({ store, ns, name }: { store: Store; ns: string; name: string }) {
  const j = store.get('jobs').items.get(`${ns}/${name}`) as Job | undefined;
  if (!j) return html`<h1>Job ${ns}/${name}</h1><p class="muted">Not found (yet): waiting for it to appear.</p>`;
  const runs = runsOf(store, ns, name);
  const tasks = runs.flatMap((r) => tasksOf(store, 'jobrun', ns, r.metadata.name));
  return html`<h1>Job ${name} <span class="muted small">${ns}</span></h1>
    <div class="facts">
      <div><span class="muted">schedule</span> <span class="mono">${scheduleText(j)}</span></div>
      <div><span class="muted">next runs</span> ${(j.status?.nextRunTimes ?? []).slice(0, 3).map(time).join(', ') || '—'}</div>
      <div><span class="muted">concurrency</span> ${j.spec.concurrencyPolicy ?? 'Allow'}</div>
      <div><span class="muted">suspended</span> ${j.spec.suspend ? `yes${j.spec.suspendNote ? `: ${j.spec.suspendNote}` : ''}` : 'no'}</div>
    </div>
    <${Section} title="Runs" id="runs"><${RunsTable} runs=${runs} /></${Section}>
    <${Section} title="Tasks" id="tasks"><${TasksTable} tasks=${tasks} /></${Section}>
    <${Section} title="Events" id="events"><${EventsTable} list=${eventsFor(store, 'Job', ns, name)} /></${Section}>`;
}
