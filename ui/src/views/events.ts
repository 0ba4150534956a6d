/** Events: the live stream, newest first, filterable by text and type; only the rows in view are drawn. */
import { useMemo, useState } from 'preact/hooks';
import type { Event } from '../../../pkg/api/types.js';
import { Badge } from '../components.js';
import { ago } from '../format.js';
import { html } from '../html.js';
import { allEvents, eventTime } from '../selectors.js';
import type { Store } from '../store.js';
import { VirtualTable, type RowProps } from '../virtual.js';

function EventRow(e: Event, props: RowProps) {
  const o = e.spec.involvedObject;
  const obj = `${o.kind.toLowerCase()}/${o.name}`;
  return html`<tr ...${props} data-event=${e.metadata.name}>
    <td class="nowrap" title=${eventTime(e)}>${ago(eventTime(e))}</td>
    <td><${Badge} value=${e.spec.type} /></td>
    <td class="clip" title=${e.spec.reason}>${e.spec.reason}</td>
    <td class="clip" title=${obj}>${obj}</td>
    <td class="clip" title=${e.spec.message}>${e.spec.message}</td>
    <td class="num">${e.spec.count ?? 1}</td>
  </tr>`;
}

const eventKey = (e: Event) => `${e.metadata.namespace ?? ''}/${e.metadata.name}`;

export function EventsTable({ list, maxHeight = 'min(60vh, 560px)' }: { list: Event[]; maxHeight?: string }) {
  return html`<${VirtualTable}
    rows=${list}
    rowKey=${eventKey}
    row=${EventRow}
    label="Events"
    class="events"
    empty="No events."
    maxHeight=${maxHeight}
    cols=${[html`<col class="w-when" />`, html`<col class="w-badge" />`, html`<col class="w-reason" />`, html`<col class="w-object" />`, html`<col />`, html`<col class="w-count" />`]}
    head=${html`<tr><th>when</th><th>type</th><th>reason</th><th>object</th><th>message</th><th class="num">count</th></tr>`}
  />`;
}

export function EventsView({ store }: { store: Store }) {
  const [text, setText] = useState('');
  const [warnings, setWarnings] = useState(false);
  const q = text.trim().toLowerCase();
  const all = allEvents(store);
  const list = useMemo(
    () => all.filter((e) => (!warnings || e.spec.type === 'Warning') && (!q || `${e.spec.reason} ${e.spec.message} ${e.spec.involvedObject.kind}/${e.spec.involvedObject.name}`.toLowerCase().includes(q))),
    [all, warnings, q],
  );
  return html`<h1>Events <span class="count">${all.length}</span></h1>
    <div class="filters">
      <label>Filter <input type="search" value=${text} onInput=${(e: { currentTarget: HTMLInputElement }) => setText(e.currentTarget.value)} placeholder="reason, message, object" /></label>
      <label><input type="checkbox" checked=${warnings} onChange=${(e: { currentTarget: HTMLInputElement }) => setWarnings(e.currentTarget.checked)} /> warnings only</label>
      <span class="muted" role="status">${list.length === all.length ? `all ${all.length}` : `${list.length} of ${all.length}`}</span>
    </div>
    <${EventsTable} list=${list} maxHeight="calc(100vh - 190px)" />`;
}
