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

export interface Note {
  type: string;
  tone: 'bad' | 'warn';
  /** What it means, in a few words. */
  title: string;
  /** The loop's own words (the condition's message). */
  text: string;
  since?: string;
}

/**
 * The conditions that are not as they should be, in plain words
 * (pkg/controllers/services/conditions.ts): Available, Progressing and
 * DependenciesReady are bad when not True; LaunchDelayed, Unschedulable and
 * HealthBrake are there, True, only while they hold.
 */
export function conditionNotes(s: Service, now = Date.now()): Note[] {
  const out: Note[] = [];
  for (const c of s.status?.conditions ?? []) {
    const note = (tone: Note['tone'], title: string, text = c.message ?? c.reason ?? '') =>
      out.push({ type: c.type, tone, title, text, ...(c.lastTransitionTime ? { since: c.lastTransitionTime } : {}) });
    switch (c.type) {
      case 'Available':
        if (c.status !== 'True') note('bad', 'Not enough instances up');
        break;
      case 'Progressing':
        // a rollout under way is the deployment line's and the revision bars'
        if (c.status !== 'True') note('bad', 'The rollout stalled');
        break;
      case 'DependenciesReady':
        if (c.status !== 'True') note('warn', 'Waiting for its dependencies');
        break;
      case 'LaunchDelayed': {
        if (c.status !== 'True') break;
        const until = s.status?.delayedUntil;
        const left = until ? Date.parse(until) - now : 0;
        if (until && left <= 0) break; // the delay is over; the loop drops the condition at its next pass
        note('warn', `Launches held back${left > 0 ? ` for ${Math.ceil(left / 1000)}s more` : ''} after crashes`);
        break;
      }
      case 'Unschedulable':
        if (c.status === 'True') note('warn', 'Tasks wait for a node');
        break;
      case 'HealthBrake':
        if (c.status === 'True') note('warn', 'Health brake: unhealthy tasks wait to be replaced');
        break;
      default:
        if (c.status !== 'True' && c.message) note('warn', c.type);
    }
  }
  if (!out.some((n) => n.type === 'LaunchDelayed') && s.status?.delayedUntil && Date.parse(s.status.delayedUntil) > now) {
    out.push({ type: 'LaunchDelayed', tone: 'warn', title: 'Launches held back after crashes', text: `launches delayed until ${s.status.delayedUntil}` });
  }
  return out;
}

/** The conditions that are not as they should be, one line each. */
export const problems = (s: Service): string[] => conditionNotes(s).map((n) => `${n.title}: ${n.text}`);

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
