/** Events: the live stream, newest first, filterable by text and type. */
import { useState } from 'preact/hooks';
import type { Event } from '../../../pkg/api/types.js';
import { Badge, Empty } from '../components.js';
import { ago } from '../format.js';
import { html } from '../html.js';
import { eventTime, events } from '../selectors.js';
import type { Store } from '../store.js';

export function EventsTable({ list }: { list: Event[] }) {
  return html`<div class="scroll"><table class="events">
    <thead><tr><th>when</th><th>type</th><th>reason</th><th>object</th><th>message</th><th class="num">count</th></tr></thead>
    <tbody>${list.length ? list.map((e) => html`<tr key=${e.metadata.name}>
      <td class="nowrap" title=${eventTime(e)}>${ago(eventTime(e))}</td>
      <td><${Badge} value=${e.spec.type} /></td>
      <td>${e.spec.reason}</td>
      <td class="nowrap">${e.spec.involvedObject.kind.toLowerCase()}/${e.spec.involvedObject.name}</td>
      <td>${e.spec.message}</td>
      <td class="num">${e.spec.count ?? 1}</td>
    </tr>`) : html`<${Empty} cols=${6} text="No events." />`}</tbody>
  </table></div>`;
}

export function EventsView({ store }: { store: Store }) {
  const [text, setText] = useState('');
  const [warnings, setWarnings] = useState(false);
  const q = text.trim().toLowerCase();
  const list = events(store, (e) => (!warnings || e.spec.type === 'Warning') && (!q || `${e.spec.reason} ${e.spec.message} ${e.spec.involvedObject.kind}/${e.spec.involvedObject.name}`.toLowerCase().includes(q)), 500);
  return html`<h1>Events <span class="count">${store.get('events').items.size}</span></h1>
    <div class="filters">
      <label>Filter <input type="search" value=${text} onInput=${(e: { currentTarget: HTMLInputElement }) => setText(e.currentTarget.value)} placeholder="reason, message, object" /></label>
      <label><input type="checkbox" checked=${warnings} onChange=${(e: { currentTarget: HTMLInputElement }) => setWarnings(e.currentTarget.checked)} /> warnings only</label>
    </div>
    <${EventsTable} list=${list} />`;
}
