/** Services: instances, running, healthy, ready and the deployment, one row each. */
import type { Service } from '../../../pkg/api/types.js';
import { Badge, Empty, Link } from '../components.js';
import { html } from '../html.js';
import { services } from '../selectors.js';
import type { Store } from '../store.js';

export function deploymentText(s: Service): string {
  const d = s.status?.deployment;
  if (!d) return '—';
  return `revision ${d.revision} ${d.state}`;
}

/** Conditions that are not as they should be, in plain words. */
export function problems(s: Service): string[] {
  const out: string[] = [];
  for (const c of s.status?.conditions ?? []) if (c.status !== 'True' && c.message) out.push(c.message);
  if (s.status?.delayedUntil && Date.parse(s.status.delayedUntil) > Date.now()) out.push(`launches delayed until ${s.status.delayedUntil} after failures`);
  return out;
}

export function ServiceRow({ s, compact = false }: { s: Service; compact?: boolean }) {
  const ns = s.metadata.namespace ?? 'default';
  const st = s.status;
  return html`<tr data-service=${`${ns}/${s.metadata.name}`}>
    <td><${Link} to=${['services', ns, s.metadata.name]}>${s.metadata.name}</${Link}></td>
    ${compact ? null : html`<td>${ns}</td>`}
    <td class="num" data-col="instances">${s.spec.instances ?? 1}</td>
    <td class="num" data-col="running">${st?.running ?? 0}</td>
    <td class="num" data-col="healthy">${st?.healthy ?? 0}</td>
    ${compact ? null : html`<td class="num" data-col="ready">${st?.ready ?? '—'}</td>`}
    <td data-col="deployment"><${Badge} value=${st?.deployment?.state} />${compact ? null : html` <span class="muted">${st?.deployment ? `rev ${st.deployment.revision}` : ''}</span>`}</td>
    ${compact ? null : html`<td class="small">${problems(s).join('; ')}</td>`}
  </tr>`;
}

export function ServicesTable({ list, compact = false }: { list: Service[]; compact?: boolean }) {
  return html`<div class="scroll"><table>
    <thead><tr><th>name</th>${compact ? null : html`<th>namespace</th>`}<th class="num">instances</th><th class="num">running</th><th class="num">healthy</th>${compact ? null : html`<th class="num">ready</th>`}<th>deployment</th>${compact ? null : html`<th>conditions</th>`}</tr></thead>
    <tbody>${list.length ? list.map((s) => html`<${ServiceRow} key=${`${s.metadata.namespace}/${s.metadata.name}`} s=${s} compact=${compact} />`) : html`<${Empty} cols=${compact ? 5 : 8} text="No services. Apply one with stowctl apply -f." />`}</tbody>
  </table></div>`;
}

export function ServicesView({ store }: { store: Store }) {
  const list = services(store);
  return html`<h1>Services <span class="count">${list.length}</span></h1><${ServicesTable} list=${list} />`;
}
