/** Tasks: every task, filterable by state and text; at most 500 rows are drawn. */
import { useState } from 'preact/hooks';
import type { Task } from '../../../pkg/api/types.js';
import { html } from '../html.js';
import { TERMINAL } from '../selectors.js';
import type { Store } from '../store.js';
import { TasksTable } from './tasks.js';

const LIMIT = 500;

export function TasksView({ store }: { store: Store }) {
  const [text, setText] = useState('');
  const [live, setLive] = useState(true);
  const q = text.trim().toLowerCase();
  const all = store.list('tasks') as Task[];
  const shown = all.filter(
    (t) => (!live || !TERMINAL.has(t.status?.state ?? 'Pending')) && (!q || `${t.metadata.name} ${t.status?.state ?? ''} ${t.status?.nodeName ?? ''} ${t.spec.owner ?? ''}`.toLowerCase().includes(q)),
  );
  shown.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  return html`<h1>Tasks <span class="count">${all.length}</span></h1>
    <div class="filters">
      <label>Filter <input type="search" value=${text} onInput=${(e: { currentTarget: HTMLInputElement }) => setText(e.currentTarget.value)} placeholder="name, state, node, owner" /></label>
      <label><input type="checkbox" checked=${live} onChange=${(e: { currentTarget: HTMLInputElement }) => setLive(e.currentTarget.checked)} /> live tasks only</label>
      ${shown.length > LIMIT ? html`<span class="muted">showing ${LIMIT} of ${shown.length}: filter to see the others</span>` : null}
    </div>
    <${TasksTable} tasks=${shown.slice(0, LIMIT)} />`;
}
