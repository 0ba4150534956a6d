/**
 * The leader and its standbys, from `GET /api/v1/servers` (the election's
 * candidates, the leader first, then the order of succession). Not on a watch
 * stream: read when shown, when a LeaderElected event arrives (a failover),
 * when /readyz names another leader than the list, and when the tab is
 * looked at again. Each read runs inside the write gate: while the watch
 * streams hold every connection the browser allows one server, a plain
 * fetch would wait for ever.
 */
import { useEffect, useState } from 'preact/hooks';
import type { Event } from '../../../pkg/api/types.js';
import { request } from '../api.js';
import { html } from '../html.js';
import type { Store } from '../store.js';

interface ServerEntry {
  identity: string;
  address: string | null;
  leader: boolean;
  self: boolean;
}
interface ServersAnswer {
  items: ServerEntry[];
  leader: string | null;
}

/** Changes whenever a leader is elected: the newest LeaderElected event's time and count. */
function electionStamp(store: Store): string {
  let stamp = '';
  for (const e of store.list('events') as Event[]) {
    if (e.spec.reason !== 'LeaderElected') continue;
    const s = `${e.spec.lastTimestamp ?? e.spec.firstTimestamp ?? ''}#${e.spec.count ?? 1}`;
    if (s > stamp) stamp = s;
  }
  return stamp;
}

function useServers(store: Store): { answer?: ServersAnswer; error?: string } {
  const [answer, setAnswer] = useState<ServersAnswer>();
  const [error, setError] = useState<string>();
  const [seen, setSeen] = useState(0);
  const stamp = electionStamp(store);
  // /readyz names another leader than the list: read the list again
  const stale = !!answer && store.ready?.leader != null && store.ready.leader !== answer.leader;
  useEffect(() => {
    const on = () => document.visibilityState === 'visible' && setSeen((n) => n + 1);
    document.addEventListener('visibilitychange', on);
    return () => document.removeEventListener('visibilitychange', on);
  }, []);
  useEffect(() => {
    let gone = false;
    request<ServersAnswer>('GET', '/api/v1/servers').then(
      (a) => !gone && (setAnswer(a), setError(undefined)),
      (e) => !gone && setError(e instanceof Error ? e.message : String(e)),
    );
    return () => void (gone = true);
  }, [stamp, stale, seen]);
  return { answer, error };
}

const Server = ({ s, next }: { s: ServerEntry; next: boolean }) =>
  html`<li data-server=${s.identity} data-role=${s.leader ? 'leader' : 'standby'}>
    <span class=${`badge ${s.leader ? 'good' : 'neutral'}`}>${s.leader ? 'leader' : next ? 'standby, next' : 'standby'}</span>
    <span class="mono">${s.identity}</span>${s.address ? html` <a href=${`http://${s.address}/`} class="small">${s.address}</a>` : null}${s.self ? html` <span class="muted small">(this server)</span>` : null}
  </li>`;

/** A small card: who leads, and who would take over, in order. */
export function ServersCard({ store }: { store: Store }) {
  const { answer, error } = useServers(store);
  const items = answer?.items ?? [];
  return html`<section class="card servers" aria-labelledby="ov-servers" data-servers=${items.length}>
    <h2 id="ov-servers">Servers <span class="count">${answer ? items.length : ''}</span></h2>
    ${error ? html`<p class="muted small" role="status">Could not list the servers: ${error}</p>` : null}
    ${answer && !items.length ? html`<p class="muted">No server campaigns for leadership.</p>` : null}
    <ol>${items.map((s, i) => html`<${Server} key=${s.identity} s=${s} next=${i === 1} />`)}</ol>
  </section>`;
}
