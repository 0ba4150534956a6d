/** The shell: navigation, theme toggle, connection state, and the routed view. */
import { useEffect, useReducer, useState } from 'preact/hooks';
import { onTokenNeeded, signIn, signOut, token, tokenNeeded } from './auth.js';
import { html } from './html.js';
import { href, useRoute } from './router.js';
import type { Store } from './store.js';
import { EventsView } from './views/events.js';
import { GraphView } from './views/graph.js';
import { JobPage, JobsView } from './views/jobs.js';
import { NodesView } from './views/nodes.js';
import { OverviewView } from './views/overview.js';
import { TaskLogPage } from './views/task-log.js';
import { TasksView } from './views/tasks-list.js';
import { ServicePage } from './views/service.js';
import { ServicesView } from './views/services.js';

type Theme = 'auto' | 'light' | 'dark';
const NAV: [string, string][] = [
  ['', 'Overview'],
  ['services', 'Services'],
  ['jobs', 'Jobs'],
  ['graph', 'Graph'],
  ['tasks', 'Tasks'],
  ['nodes', 'Nodes'],
  ['events', 'Events'],
];

function useTheme(): [Theme, () => void] {
  const [theme, setTheme] = useState<Theme>(() => (localStorage.getItem('stowage-theme') as Theme | null) ?? 'auto');
  useEffect(() => {
    if (theme === 'auto') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
    localStorage.setItem('stowage-theme', theme);
  }, [theme]);
  const next = () => setTheme((t) => (t === 'auto' ? 'dark' : t === 'dark' ? 'light' : 'auto'));
  return [theme, next];
}

function View({ store, route }: { store: Store; route: string[] }) {
  const [page, ns, name] = route;
  switch (page) {
    case undefined:
      return html`<${OverviewView} store=${store} />`;
    case 'services':
      return ns && name ? html`<${ServicePage} store=${store} ns=${ns} name=${name} />` : html`<${ServicesView} store=${store} />`;
    case 'jobs':
      return ns && name ? html`<${JobPage} store=${store} ns=${ns} name=${name} />` : html`<${JobsView} store=${store} />`;
    case 'tasks':
      // #/tasks/<ns>/<name>[/log]: the task with its log followed
      return ns && name ? html`<${TaskLogPage} key=${`${ns}/${name}`} store=${store} ns=${ns} name=${name} />` : html`<${TasksView} store=${store} />`;
    case 'graph':
      return html`<${GraphView} store=${store} />`;
    case 'nodes':
      return html`<${NodesView} store=${store} />`;
    case 'events':
      return html`<${EventsView} store=${store} />`;
    default:
      return html`<h1>Not found</h1><p>No page <code>#/${route.join('/')}</code>. <a href="#/">Overview</a></p>`;
  }
}

/** Asked for when the API answers 401: the token goes to sessionStorage only. */
function SignIn({ refused }: { refused: boolean }) {
  const [value, setValue] = useState('');
  return html`<form class="signin" onSubmit=${(e: Event) => { e.preventDefault(); if (value.trim()) signIn(value); }}>
    <h1>Sign in</h1>
    <p>${refused ? 'The API refused this token (unknown, or removed).' : 'The API asks for a token.'} It is kept in this tab only, until the tab is closed or you sign out.</p>
    <label>Token <input type="password" autocomplete="off" required value=${value} onInput=${(e: Event) => setValue((e.target as HTMLInputElement).value)} /></label>
    <button type="submit">Sign in</button>
  </form>`;
}

export function App({ store }: { store: Store }) {
  const route = useRoute();
  const [, rerender] = useReducer((n: number, _: void) => n + 1, 0);
  useEffect(() => store.subscribe(() => rerender()), [store]);
  useEffect(() => onTokenNeeded(() => rerender()), []);
  const [theme, nextTheme] = useTheme();
  const states = [...store.kinds.values()].map((c) => c.state);
  const link = states.every((s) => s === 'live') ? 'live' : states.some((s) => s === 'retrying') ? 'reconnecting' : 'connecting';
  return html`<a class="skip" href="#main" onClick=${(e: MouseEvent) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>Skip to content</a>
    <header class="top">
      <a class="brand" href="#/">Stowage</a>
      <nav aria-label="Main">${NAV.map(([to, label]) => html`<a href=${to ? href(to) : '#/'} aria-current=${(route[0] ?? '') === to ? 'page' : undefined}>${label}</a>`)}</nav>
      <span class=${`link ${link}`} role="status" title="the watch streams">${link}</span>
      <button type="button" class="theme" onClick=${nextTheme} aria-label=${`theme: ${theme}; change`}>theme: ${theme}</button>
      ${token() !== undefined ? html`<button type="button" class="signout" onClick=${signOut}>sign out</button>` : null}
    </header>
    <main id="main" tabindex="-1">${tokenNeeded() ? html`<${SignIn} refused=${token() !== undefined} />` : html`<${View} store=${store} route=${route} />`}</main>`;
}
