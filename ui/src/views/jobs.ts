/**
 * Jobs: the schedule in words, last run and its result, next run; a job's page has its
 * next runs, its history (lateness, Missed and Skipped records among the runs), each
 * run's log, and its part of the dependency graph.
 */
import { describeSchedule } from '../../../pkg/api/describe-schedule.js';
import type { Job, JobRun } from '../../../pkg/api/types.js';
import { Action, Actions } from '../actions.js';
import { objectPath, request } from '../api.js';
import { Badge, Empty, Link, Section } from '../components.js';
import { ago, time, until } from '../format.js';
import { html } from '../html.js';
import { href } from '../router.js';
import { eventsFor, jobs, runsOf, tasksOf } from '../selectors.js';
import type { Store } from '../store.js';
import { EventsTable } from './events.js';
import { DependenciesOf } from './graph.js';
import { TasksTable } from './tasks.js';

/** The schedule as written: cron or ISO 8601, with its time zone. */
export const scheduleText = (j: Job): string => {
  const s = j.spec.schedule;
  if (s === undefined || (Array.isArray(s) && !s.length)) return j.spec.parents?.length ? `after ${j.spec.parents.join(', ')}` : 'on demand';
  return `${Array.isArray(s) ? s.join('; ') : s}${j.spec.timeZone ? ` (${j.spec.timeZone})` : ''}`;
};

const join = (xs: string[]): string => (xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}`);

/** "after extract succeeded and service/db is ready" (a service parent counts once ready). */
function parentWords(parents: string[], rule: string): string {
  const svcs = parents.filter((p) => p.startsWith('service/'));
  const js = parents.filter((p) => !p.startsWith('service/'));
  const jobPart = !js.length
    ? ''
    : rule === 'allDone'
      ? `${join(js)} ended, however`
      : rule === 'oneFailed'
        ? js.length === 1 ? `${js[0]} failed` : `one of ${join(js)} failed`
        : `${join(js)} succeeded`;
  const svcPart = svcs.length ? `${join(svcs)} ${svcs.length === 1 ? 'is' : 'are'} ready` : '';
  return `after ${[jobPart, svcPart].filter(Boolean).join(' and ')}`;
}

/** When it runs, in words: "every 2 seconds", "after job/extract succeeded", "once when created, then on demand". */
export function scheduleWords(j: Job): string {
  const s = j.spec.schedule;
  if (s !== undefined && !(Array.isArray(s) && !s.length)) {
    const created = j.metadata.creationTimestamp ? new Date(j.metadata.creationTimestamp) : undefined;
    try {
      return describeSchedule({ schedule: s, ...(j.spec.timeZone ? { timeZone: j.spec.timeZone } : {}), ...(created && !Number.isNaN(created.getTime()) ? { createdAt: created } : {}) });
    } catch {
      return scheduleText(j);
    }
  }
  if (j.spec.parents?.length) return parentWords(j.spec.parents, j.spec.triggerRule ?? 'allSucceeded');
  return 'once when created, then on demand';
}

export function JobRow({ j, compact = false }: { j: Job; compact?: boolean }) {
  const ns = j.metadata.namespace ?? 'default';
  const st = j.status;
  return html`<tr data-job=${`${ns}/${j.metadata.name}`}>
    <td><${Link} to=${['jobs', ns, j.metadata.name]}>${j.metadata.name}</${Link}>${j.spec.suspend ? html` <span class="badge warn">suspended</span>` : null}</td>
    ${compact ? null : html`<td>${ns}</td>`}
    <td title=${scheduleText(j)} data-col="schedule">${scheduleWords(j)}</td>
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

const late = (r: JobRun): string => {
  const l = r.status?.lateness;
  if (l === undefined) return '—';
  return l < 1 ? 'on time' : `${l < 10 ? l.toFixed(1) : Math.round(l)}s late`;
};

const RECORDS = new Set(['Missed', 'Skipped']);

function RunRow({ r, ns }: { r: JobRun; ns: string }) {
  const st = r.status;
  const task = st?.tasks?.at(-1);
  const by = st?.triggeredBy ?? r.spec.triggeredBy;
  return html`<tr data-run=${r.metadata.name} class=${RECORDS.has(st?.state ?? '') ? 'record' : ''}>
    <td class="mono">${r.metadata.name}</td>
    <td title=${by?.length ? `after ${by.join(', ')}` : ''}>${r.spec.trigger ?? '—'}</td>
    <td data-col="state"><${Badge} value=${st?.state ?? 'Pending'} />${st?.markedSuccess ? html` <span class="badge neutral">marked success</span>` : null}</td>
    <td class="nowrap">${time(st?.slot ?? r.spec.slot)}</td>
    <td class="nowrap">${time(st?.startedAt)}</td>
    <td class="nowrap">${time(st?.finishedAt)}</td>
    <td class="num">${st?.attempts ?? 0}</td>
    <td class="num nowrap" data-col="lateness">${late(r)}</td>
    <td class="small">${[st?.reason, st?.message].filter(Boolean).join(': ')}${st?.retryAt ? ` (next attempt ${until(st.retryAt)})` : ''}</td>
    <td class="nowrap">${task ? html`<a href=${href('tasks', ns, task, 'log')} data-run-log=${task}>log</a> ` : null}${st?.state === 'Failed' ? html`<${Action} id=${`mark-success-${r.metadata.name}`} label="Mark success" title=${`Mark run ${r.metadata.name} succeeded?`} run=${() => request('POST', `${objectPath('jobruns', r.metadata.namespace ?? 'default', r.metadata.name)}/mark-success`, {})}>
      <p>The run counts as succeeded, so the job's dependents go on (<code>stowctl job mark-success</code>).</p>
    </${Action}>` : null}</td>
  </tr>`;
}

function RunsTable({ runs, ns }: { runs: JobRun[]; ns: string }) {
  return html`<div class="scroll"><table>
    <thead><tr><th>run</th><th>trigger</th><th>state</th><th>slot</th><th>started</th><th>finished</th><th class="num">attempts</th><th class="num">lateness</th><th>reason</th><th><span class="sr">log and actions</span></th></tr></thead>
    <tbody>${runs.length ? runs.map((r) => html`<${RunRow} key=${r.metadata.name} r=${r} ns=${ns} />`) : html`<${Empty} cols=${10} text="No runs yet." />`}</tbody>
  </table></div>`;
}

/** Newest slot first; a run without a slot (manual, after parents) by its creation. */
const whenOf = (r: JobRun): string => r.status?.slot ?? r.spec.slot ?? r.metadata.creationTimestamp ?? '';

function History({ runs, ns, j }: { runs: JobRun[]; ns: string; j: Job }) {
  const ran = runs.filter((r) => !RECORDS.has(r.status?.state ?? ''));
  const lateness = ran.map((r) => r.status?.lateness).filter((l): l is number => l !== undefined);
  const worst = lateness.length ? Math.max(...lateness) : undefined;
  const sorted = [...runs].sort((a, b) => whenOf(b).localeCompare(whenOf(a)) || b.metadata.name.localeCompare(a.metadata.name));
  return html`<p class="small" data-history>
      ${ran.length} run${ran.length === 1 ? '' : 's'} kept · <span data-col="missed">${j.status?.missed ?? 0} missed</span> · <span data-col="skipped">${j.status?.skipped ?? 0} skipped</span> since the job was created${worst !== undefined ? html` · lateness up to ${worst.toFixed(1)}s` : null}
    </p>
    <${RunsTable} runs=${sorted} ns=${ns} />`;
}

export function JobPage({ store, ns, name }: { store: Store; ns: string; name: string }) {
  const j = store.get('jobs').items.get(`${ns}/${name}`) as Job | undefined;
  if (!j) return html`<h1>Job ${ns}/${name}</h1><p class="muted">Not found (yet): waiting for it to appear.</p>`;
  const st = j.status;
  const runs = runsOf(store, ns, name);
  const tasks = runs.flatMap((r) => tasksOf(store, 'jobrun', ns, r.metadata.name));
  const next = j.spec.suspend ? [] : (st?.nextRunTimes ?? []);
  return html`<h1>Job ${name} <span class="muted small">${ns}</span>${j.spec.suspend ? html` <span class="badge warn">suspended</span>` : null}</h1>
    <div class="facts" data-job-page=${`${ns}/${name}`}>
      <div><span class="muted">runs</span> <b data-col="schedule-words">${scheduleWords(j)}</b>${j.spec.schedule ? html` <span class="mono small muted">${scheduleText(j)}</span>` : null}</div>
      <div><span class="muted">concurrency</span> ${j.spec.concurrencyPolicy ?? 'Allow'}</div>
      <div><span class="muted">retries</span> ${j.spec.retries ?? 0}</div>
      <div><span class="muted">last success</span> <span title=${time(st?.lastSuccessfulTime)}>${ago(st?.lastSuccessfulTime)}</span></div>
      <div><span class="muted">last failure</span> <span title=${time(st?.lastFailureTime)}>${ago(st?.lastFailureTime)}</span></div>
      <div><span class="muted">active</span> ${st?.active?.length ? st.active.join(', ') : 'none'}${st?.buffered ? ` (slot ${time(st.buffered)} waits for it)` : ''}</div>
      ${j.spec.suspend ? html`<div><span class="muted">suspended</span> ${j.spec.suspendNote ?? 'yes'}</div>` : null}
    </div>
    <${JobActions} j=${j} ns=${ns} name=${name} />
    <${Section} title="Next runs" id="next">${next.length
      ? html`<ol class="next-runs">${next.map((t) => html`<li><span class="nowrap">${time(t)}</span> <span class="muted">${until(t)}</span></li>`)}</ol>`
      : html`<p class="muted">${j.spec.suspend ? 'None while it is suspended.' : j.spec.schedule ? 'The schedule has no more slots.' : j.spec.parents?.length ? 'It runs after its parents.' : 'It runs when asked (Run now, stowctl job run).'}</p>`}</${Section}>
    <${Section} title="Runs" id="runs"><${History} runs=${runs} ns=${ns} j=${j} /></${Section}>
    <${DependenciesOf} store=${store} kind="job" ns=${ns} name=${name} />
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
