/**
 * A service's revisions as bars (revisions.ts counts them): during a rollout the new
 * revision fills toward its target while the old ones empty toward 0. A bar's
 * segments, left to right: ready, healthy but not yet ready, running but not
 * healthy, not running yet, stopping; a mark shows the target.
 */
import type { Service, Task } from '../../../pkg/api/types.js';
import { html } from '../html.js';
import { revisionBars, type RevisionBar } from '../revisions.js';

const SEGMENTS: [keyof RevisionBar | 'notRunning' | 'healthyOnly' | 'runningOnly', string][] = [
  ['ready', 'ready'],
  ['healthyOnly', 'healthy, not ready yet'],
  ['runningOnly', 'running, not healthy yet'],
  ['notRunning', 'starting or waiting for a node'],
  ['stopping', 'stopping'],
];

function RevisionRow({ b, alone }: { b: RevisionBar; alone: boolean }) {
  const scale = Math.max(b.target, b.tasks, 1);
  const n = {
    ready: b.ready,
    healthyOnly: b.healthy - b.ready,
    runningOnly: b.running - b.healthy,
    notRunning: b.tasks - b.running - b.stopping,
    stopping: b.stopping,
  } as Record<string, number>;
  const role = b.current ? (alone ? 'current' : 'new') : b.beforeRestart ? 'before the restart, being replaced' : 'old, being replaced';
  const figures = b.current
    ? `${b.ready} of ${b.target} ready · ${b.healthy} healthy · ${b.running} running${b.tasks > b.running ? ` · ${b.tasks - b.running} more starting or stopping` : ''}`
    : `${b.tasks - b.stopping} left to replace (${b.ready} ready)${b.stopping ? ` · ${b.stopping} stopping` : ''}`;
  const pct = (v: number) => `${((v / scale) * 100).toFixed(1)}%`;
  return html`<li class="rev" data-revision=${b.revision} data-current=${b.current ? '1' : '0'} data-ready=${b.ready} data-running=${b.running} data-healthy=${b.healthy} data-target=${b.target}>
    <div class="rev-head"><b>revision ${b.revision || '?'}</b> <span class="muted small">${role}</span> <span class="rev-figures small">${figures}</span></div>
    <div class="rev-track" role="meter" aria-label=${`revision ${b.revision}: ready tasks`} aria-valuemin="0" aria-valuemax=${scale} aria-valuenow=${b.ready} aria-valuetext=${figures}>
      ${SEGMENTS.filter(([k]) => n[k]! > 0).map(([k, what]) => html`<span class=${`seg ${k}`} style=${`width:${pct(n[k]!)}`} title=${`${n[k]} ${what}`}></span>`)}
      ${b.current ? html`<span class="rev-target" style=${`left:calc(${pct(b.target)} - 1px)`} title=${`target: ${b.target}`}></span>` : null}
    </div>
  </li>`;
}

export function RevisionBars({ s, tasks }: { s: Service; tasks: Task[] }) {
  const bars = revisionBars(s, tasks);
  return html`<ul class="revs" data-revisions=${bars.length}>${bars.map((b) => html`<${RevisionRow} key=${`${b.revision}/${b.current}/${b.beforeRestart}`} b=${b} alone=${bars.length === 1} />`)}</ul>
    <p class="legend small muted">${SEGMENTS.map(([k, what]) => html`<span><i class=${`seg ${k}`}></i>${what}</span> `)}</p>`;
}
