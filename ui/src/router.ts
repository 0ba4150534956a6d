/** Hash routes: `#/services/default/hello` -> ['services', 'default', 'hello']. */
import { useEffect, useState } from 'preact/hooks';

export const parseHash = (hash: string): string[] =>
  hash
    .replace(/^#\/?/, '')
    .split('/')
    .filter((s) => s !== '')
    .map((s) => decodeURIComponent(s));

export const href = (...parts: string[]): string => `#/${parts.map(encodeURIComponent).join('/')}`;

export function useRoute(): string[] {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseHash(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}
