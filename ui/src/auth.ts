/**
 * The API token of this tab: asked for when the API answers 401, kept in sessionStorage
 * only (gone when the tab closes), sent as `Authorization: Bearer` on every request the UI
 * makes (the watch stream, the task log, the actions). Signing in or out reloads the page,
 * so nothing read with one identity stays on screen under another.
 */
const KEY = 'stowage-token';
const session = typeof sessionStorage === 'undefined' ? undefined : sessionStorage;
const listeners = new Set<() => void>();
let needed = false;

export const token = (): string | undefined => session?.getItem(KEY) ?? undefined;

/** fetch() with the token; a 401 tells the app to ask for one. */
export async function apiFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const t = token();
  const r = await fetch(url, t ? { ...init, headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${t}` } } : init);
  if (r.status === 401 && !needed) {
    needed = true;
    for (const f of listeners) f();
  }
  return r;
}

/** Whether the API refused this tab's token (or the lack of one). */
export const tokenNeeded = (): boolean => needed;

export function onTokenNeeded(f: () => void): () => void {
  listeners.add(f);
  return () => listeners.delete(f);
}

export function signIn(t: string): void {
  session?.setItem(KEY, t.trim());
  location.reload();
}

export function signOut(): void {
  session?.removeItem(KEY);
  location.reload();
}
