/**
 * One task and its log followed live, as `stowctl logs -f` (`#/tasks/<ns>/<name>/log`):
 *
 *   GET /api/v1/tasks/<ns>/<name>/log?follow=1&tail=1000   (server ──► the agent of its node)
 *     └─ fetch + ReadableStream reader ──► whole lines ──► appended to the DOM, the oldest
 *        dropped past MAX_LINES; scrolled along while the reader is at the bottom
 *
 * The stream opens once the task has a container and again when it gets a new one;
 * it stops when the view closes (another route, or Stop). The page holds one watch
 * stream (store.ts), so the log's connection is one of the browser's six per server.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Task } from '../../../pkg/api/types.js';
import { apiFetch } from '../auth.js';
import { objectPath } from '../api.js';
import { Badge, Link } from '../components.js';
import { ago } from '../format.js';
import { html } from '../html.js';
import { LineSplitter, MAX_LINES } from '../log-lines.js';
import type { Store } from '../store.js';

/** Lines asked for when the stream opens. */
const TAIL = 1000;

type LogState = 'waiting' | 'opening' | 'following' | 'ended' | 'stopped' | 'error';

/** The owner's page: `service/web` -> #/services/<ns>/web; a job run's -> its job. */
function ownerLink(t: Task, ns: string) {
  const owner = t.spec.owner ?? t.metadata.labels?.['stowage/owner'] ?? '';
  const [kind, name] = owner.split('/');
  if (kind === 'service' && name) return html`<${Link} to=${['services', ns, name]}>service/${name}</${Link}>`;
  if (kind === 'jobrun' && name) {
    const job = t.metadata.labels?.['stowage/job'];
    return job ? html`<${Link} to=${['jobs', ns, job]}>jobrun/${name}</${Link}>` : `jobrun/${name}`;
  }
  return owner || 'none (a bare task)';
}

export function TaskLogPage({ store, ns, name }: { store: Store; ns: string; name: string }) {
  const t = store.get('tasks').items.get(`${ns}/${name}`) as Task | undefined;
  const st = t?.status;
  const ports = Object.entries(st?.ports ?? {});
  return html`<h1>Task ${name} <span class="muted small">${ns}</span></h1>
    ${t
      ? html`<div class="facts" data-task-page=${`${ns}/${name}`}>
          <div><span class="muted">state</span> <span data-col="state"><${Badge} value=${st?.state ?? 'Pending'} /></span></div>
          <div><span class="muted">health</span> <${Badge} value=${st?.health} /></div>
          <div><span class="muted">node</span> ${st?.nodeName ?? '—'}</div>
          <div><span class="muted">owner</span> ${ownerLink(t, ns)}</div>
          <div><span class="muted">ports</span> ${ports.length ? ports.map(([n, p]) => html`<a href=${`http://127.0.0.1:${p}/`} target="_blank" rel="noopener">${n}:${p}</a> `) : '—'}</div>
          <div><span class="muted">started</span> ${ago(st?.startedAt)}</div>
          ${st?.exitCode !== undefined ? html`<div><span class="muted">exit code</span> ${st.exitCode}</div>` : null}
        </div>
        ${st?.pendingReason || st?.message ? html`<p class="problems">${st.pendingReason ?? [st.reason, st.message].filter(Boolean).join(': ')}</p>` : null}`
      : html`<p class="muted">Not in the task list (yet, or any more): the log is asked for all the same.</p>`}
    <${LogPane} ns=${ns} name=${name} container=${t ? st?.containerId : store.get('tasks').state === 'live' ? 'not listed' : undefined} />`;
}

function LogPane({ ns, name, container }: { ns: string; name: string; container: string | undefined }) {
  const box = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<LogState>('opening');
  const [message, setMessage] = useState('');
  const [dropped, setDropped] = useState(0);
  const [attempt, setAttempt] = useState(0);
  const stop = useRef<() => void>(() => undefined);

  useEffect(() => {
    const el = box.current!;
    el.textContent = '';
    setDropped(0);
    setMessage('');
    if (!container) {
      setState('waiting');
      return;
    }
    setState('opening');
    const ac = new AbortController();
    let gone = 0;
    stop.current = () => {
      ac.abort();
      setState('stopped');
    };
    const append = (lines: string[]) => {
      if (!lines.length) return;
      const atBottom = el.scrollTop + el.clientHeight >= el.scrollHeight - 8;
      const frag = document.createDocumentFragment();
      for (const l of lines.length > MAX_LINES ? lines.slice(-MAX_LINES) : lines) {
        const d = document.createElement('div');
        d.textContent = l;
        frag.append(d);
      }
      el.append(frag);
      let n = 0;
      while (el.childElementCount > MAX_LINES) (el.firstElementChild!.remove(), n++);
      n += Math.max(0, lines.length - MAX_LINES);
      if (n) setDropped((gone += n));
      if (atBottom) el.scrollTop = el.scrollHeight;
    };
    (async () => {
      const r = await apiFetch(`${objectPath('tasks', ns, name)}/log?follow=1&tail=${TAIL}`, { signal: ac.signal, headers: { accept: 'text/plain' } });
      if (!r.ok || !r.body) {
        const text = await r.text();
        let why = text || r.statusText;
        try {
          why = (JSON.parse(text) as { message?: string }).message ?? why;
        } catch {
          /* not JSON: the text as it is */
        }
        throw new Error(`${r.status}: ${why}`);
      }
      setState('following');
      const reader = r.body.getReader();
      const split = new LineSplitter();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        append(split.push(value));
      }
      append(split.end());
      setState('ended');
    })().catch((e: unknown) => {
      if (ac.signal.aborted) return;
      setMessage(e instanceof Error ? e.message : String(e));
      setState('error');
    });
    return () => ac.abort();
  }, [ns, name, container, attempt]);

  const words: Record<LogState, string> = {
    waiting: 'waiting for the task to get a container…',
    opening: 'opening the log…',
    following: 'following: new lines appear as the container prints them',
    ended: 'the log ended (the container stopped)',
    stopped: 'stopped following',
    error: `could not follow the log: ${message}`,
  };
  const again = state === 'ended' || state === 'stopped' || state === 'error';
  return html`<section class="card" aria-labelledby="log-title">
    <div class="log-head">
      <h2 id="log-title">Log</h2>
      <span class=${`small log-state ${state}`} role="status" data-log-state=${state}>${words[state]}</span>
      ${state === 'following' || state === 'opening' ? html`<button type="button" class="act" onClick=${() => stop.current()}>Stop</button>` : null}
      ${again ? html`<button type="button" class="act" onClick=${() => setAttempt((n) => n + 1)}>Follow again</button>` : null}
    </div>
    ${dropped ? html`<p class="muted small">Showing the last ${MAX_LINES} lines; ${dropped} older ones were dropped from the page.</p>` : null}
    <div class="log mono" ref=${box} tabindex="0" role="log" aria-live="off" aria-label=${`log of task ${name}`} data-log=${`${ns}/${name}`}></div>
  </section>`;
}
