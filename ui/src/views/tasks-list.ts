/** Tasks: every task, filterable by state and text; a list of any length, drawn as it is scrolled. */
import { useMemo, useState } from 'preact/hooks';
import type { Task } from '../../../pkg/api/types.js';
import { html } from '../html.js';
import { isLive, tasks, tasksByState } from '../selectors.js';
import type { Store } from '../store.js';
import { TasksTable } from './tasks.js';

export const STATES = ['Pending', 'Bound', 'Starting', 'Running', 'Unreachable', 'Succeeded', 'Failed', 'Killed', 'Lost'];

export function TasksView({ store }: { store: Store }) {
  const [text, setText] = useState('');
  const [state, setState] = useState('live');
  const q = text.trim().toLowerCase();
  const all = tasks(store);
  const counts = tasksByState(store);
  const shown = useMemo(
    () =>
      all.filter((t: Task) => {
        const st = t.status?.state ?? 'Pending';
        if (state === 'live' ? !isLive(t) : state !== 'all' && st !== state) return false;
        return !q || `${t.metadata.name} ${st} ${t.status?.nodeName ?? ''} ${t.spec.owner ?? ''}`.toLowerCase().includes(q);
      }),
    [all, state, q],
  );
  return html`<h1>Tasks <span class="count">${all.length}</span></h1>
    <div class="filters">
      <label>Filter <input type="search" value=${text} onInput=${(e: { currentTarget: HTMLInputElement }) => setText(e.currentTarget.value)} placeholder="name, state, node, owner" /></label>
      <label>State <select value=${state} onChange=${(e: { currentTarget: HTMLSelectElement }) => setState(e.currentTarget.value)}>
        <option value="live">live (not ended)</option>
        <option value="all">all</option>
        ${STATES.map((s) => html`<option value=${s}>${s} (${counts.get(s) ?? 0})</option>`)}
      </select></label>
      <span class="muted" data-col="shown" role="status">${shown.length === all.length ? `all ${all.length}` : `${shown.length} of ${all.length}`}</span>
    </div>
    <${TasksTable} tasks=${shown} maxHeight="calc(100vh - 190px)" />`;
}
