/**
 * One service: its figures, deployment, conditions in plain words, a bar per revision
 * (during a rollout the new one fills as the old ones empty), tasks, last failures with
 * their last output, its part of the dependency graph, and events.
 */
import type { Service, TaskFailure } from '../../../pkg/api/types.js';
import { Action, Actions } from '../actions.js';
import { objectPath, request, updateWithRetry } from '../api.js';
import { Badge, Section } from '../components.js';
import { ago, time } from '../format.js';
import { html } from '../html.js';
import { eventsFor, tasksOf } from '../selectors.js';
import type { Store } from '../store.js';
import { EventsTable } from './events.js';
import { DependenciesOf } from './graph.js';
import { RevisionBars } from './rollout.js';
import { conditionNotes, type Note } from './services.js';
import { TasksTable } from './tasks.js';

const NoteRow = ({ n }: { n: Note }) =>
  html`<li data-condition=${n.type} class=${`note ${n.tone}`}><b>${n.title}</b>${n.text ? html` — ${n.text}` : null}${n.since ? html` <span class="muted small" title=${n.since}>since ${ago(n.since)}</span>` : null}</li>`;

function Failure({ f }: { f: TaskFailure }) {
  const how = [f.exitCode !== undefined ? `exit ${f.exitCode}` : '', f.reason && f.reason !== f.state ? f.reason : ''].filter(Boolean).join(', ');
  return html`<li data-failure=${f.task}>
    <b class="mono">${f.task}</b> <span class="badge bad">${f.state}</span>${how ? ` ${how}` : ''}${f.revision ? ` · revision ${f.revision}` : ''} · on ${f.node ?? '—'} · <span title=${time(f.at)}>${ago(f.at)}</span>
    ${f.message ? html`<div class="small">${f.message}</div>` : null}
    ${f.output ? html`<details open><summary class="small muted">its last output</summary><pre>${f.output}</pre></details>` : null}
  </li>`;
}

export function ServicePage({ store, ns, name }: { store: Store; ns: string; name: string }) {
  const s = store.get('services').items.get(`${ns}/${name}`) as Service | undefined;
  if (!s) return html`<h1>Service ${ns}/${name}</h1><p class="muted">Not found (yet): waiting for it to appear.</p>`;
  const st = s.status;
  const d = st?.deployment;
  const fails = st?.lastFailures ?? [];
  const tasks = tasksOf(store, 'service', ns, name);
  const notes = conditionNotes(s);
  return html`<h1>Service ${name} <span class="muted small">${ns}</span></h1>
    <div class="facts" data-service=${`${ns}/${name}`}>
      <div><span class="muted">instances</span> <b data-col="instances">${s.spec.instances ?? 1}</b></div>
      <div><span class="muted">running</span> <b data-col="running">${st?.running ?? 0}</b></div>
      <div><span class="muted">healthy</span> <b data-col="healthy">${st?.healthy ?? 0}</b></div>
      <div><span class="muted">ready</span> <b data-col="ready">${st?.ready ?? '—'}</b></div>
      <div><span class="muted">image</span> <span class="mono">${s.spec.image}</span></div>
      <div><span class="muted">deployment</span> ${d ? html`<${Badge} value=${d.state} /> revision ${d.revision}${d.restartedAt ? ' (a restart)' : ''}, started ${ago(d.startedAt)}${d.message ? ` — ${d.message}` : ''}` : '—'}</div>
    </div>
    <${ServiceActions} s=${s} ns=${ns} name=${name} />
    ${notes.length ? html`<ul class="notes" aria-label="Conditions">${notes.map((n) => html`<${NoteRow} key=${n.type} n=${n} />`)}</ul>` : null}
    <${Section} title=${d?.state === 'progressing' ? `Rollout of revision ${d.revision}` : 'Revisions'} id="revisions"><${RevisionBars} s=${s} tasks=${tasks} /></${Section}>
    <${Section} title="Tasks" id="tasks"><${TasksTable} tasks=${tasks} /></${Section}>
    ${fails.length ? html`<${Section} title="Last failures" id="failures"><ul class="failures">${fails.map((f) => html`<${Failure} key=${`${f.task}@${f.at}`} f=${f} />`)}</ul></${Section}>` : null}
    <${DependenciesOf} store=${store} kind="service" ns=${ns} name=${name} />
    <${Section} title="Events" id="events"><${EventsTable} list=${eventsFor(store, 'Service', ns, name)} /></${Section}>`;
}

function ServiceActions({ s, ns, name }: { s: Service; ns: string; name: string }) {
  const path = objectPath('services', ns, name);
  const scale = async (form: HTMLFormElement) => {
    const raw = (form.elements.namedItem('instances') as HTMLInputElement).value.trim();
    // what the user typed goes to the API as it is: the API's schema says what is wrong with it
    const n = /^-?\d+$/.test(raw) ? Number(raw) : raw;
    await updateWithRetry<Service>('services', ns, name, (svc) => {
      if (svc.spec.instances === n) return undefined;
      (svc.spec as { instances?: unknown }).instances = n;
      return svc;
    });
  };
  return html`<${Actions}>
    <${Action} id="scale" label="Scale" title=${`Scale service ${name}`} run=${scale}>
      <label>instances <input name="instances" type="text" inputmode="numeric" size="6" defaultValue=${String(s.spec.instances ?? 1)} autofocus /></label>
      <p class="muted small">Now ${s.spec.instances ?? 1}. A compare-and-swap on spec.instances, as <code>stowctl scale</code>.</p>
    </${Action}>
    <${Action} id="restart" label="Restart" title=${`Restart service ${name}?`} run=${() => request('POST', `${path}/restart`, {})}>
      <p>Replaces every task, same template, within the upgrade strategy (<code>stowctl rollout restart</code>).</p>
    </${Action}>
    <${Action} id="rollback" label="Roll back" title=${`Roll service ${name} back?`} run=${() => request('POST', `${path}/rollback`, {})}>
      <p>Back to the newest revision that is not the current template (<code>stowctl rollout undo</code>).</p>
    </${Action}>
    <${Action} id="delete" label="Delete" danger title=${`Delete service ${name}?`} run=${async () => { await request('DELETE', path); location.hash = '#/services'; }}>
      <p>Deletes the service; its tasks are stopped.</p>
    </${Action}>
  </${Actions}>`;
}
