/** Jobs: schedule, last run and its result, next run; a job's page lists its runs. */
import type { Job, JobRun } from '../../../pkg/api/types.js';
import { Action, Actions } from '../actions.js';
import { objectPath, request } from '../api.js';
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
    <thead><tr><th>run</th><th>trigger</th><th>state</th><th>slot</th><th>started</th><th>finished</th><th class="num">attempts</th><th class="num">late (s)</th><th>reason</th><th><span class="sr">actions</span></th></tr></thead>
    <tbody>${runs.length ? runs.map((r) => html`<tr key=${r.metadata.name} data-run=${r.metadata.name}>
      <td>${r.metadata.name}</td><td>${r.spec.trigger}</td><td data-col="state"><${Badge} value=${r.status?.state} /></td>
      <td class="nowrap">${time(r.status?.slot)}</td><td class="nowrap">${time(r.status?.startedAt)}</td><td class="nowrap">${time(r.status?.finishedAt)}</td>
      <td class="num">${r.status?.attempts ?? 0}</td><td class="num">${r.status?.lateness ?? '—'}</td>
      <td class="small">${[r.status?.reason, r.status?.message].filter(Boolean).join(': ')}</td>
      <td>${r.status?.state === 'Failed' ? html`<${Action} id=${`mark-success-${r.metadata.name}`} label="Mark success" title=${`Mark run ${r.metadata.name} succeeded?`} run=${() => request('POST', `${objectPath('jobruns', r.metadata.namespace ?? 'default', r.metadata.name)}/mark-success`, {})}>
        <p>The run counts as succeeded, so the job's dependents go on (<code>stowctl job mark-success</code>).</p>
      </${Action}>` : null}</td>
    </tr>`) : html`<${Empty} cols=${10} text="No runs yet." />`}</tbody>
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
    <${JobActions} j=${j} ns=${ns} name=${name} />
    <${Section} title="Runs" id="runs"><${RunsTable} runs=${runs} /></${Section}>
    <${Section} title="Tasks" id="tasks"><${TasksTable} tasks=${tasks} /></${Section}>
    <${Section} title="Events" id="events"><${EventsTable} list=${eventsFor(store, 'Job', ns, name)} /></${Section}>`;
}

function JobActions({ j, ns, name }: { j: Job; ns: string; name: string }) {
  const path = objectPath('jobs', ns, name);
  const suspend = (form: HTMLFormElement) => {
    const note = (form.elements.namedItem('note') as HTMLInputElement).value.trim();
    return request('POST', `${path}/suspend`, note ? { note } : {});
  };
  return html`<${Actions}>
    <${Action} id="run" label="Run now" title=${`Run job ${name} now?`} run=${() => request('POST', `${path}/run`, {})}>
      <p>Starts a manual run from the job as it is${j.spec.suspend ? ' (it runs although the job is suspended)' : ''} (<code>stowctl job run</code>).</p>
    </${Action}>
    ${j.spec.suspend
      ? html`<${Action} id="resume" label="Resume" title=${`Resume job ${name}?`} run=${() => request('POST', `${path}/resume`, {})}><p>The job timers start its runs again.</p></${Action}>`
      : html`<${Action} id="suspend" label="Suspend" title=${`Suspend job ${name}?`} run=${suspend}>
          <p>The job timers start no new runs; runs already started go on.</p>
          <label>note <input name="note" type="text" size="30" maxlength="1024" placeholder="why (optional)" /></label>
        </${Action}>`}
    <${Action} id="delete" label="Delete" danger title=${`Delete job ${name}?`} run=${async () => { await request('DELETE', path); location.hash = '#/jobs'; }}>
      <p>Deletes the job.</p>
    </${Action}>
  </${Actions}>`;
}
