/**
 * Where a task finds the services it depends on, pure: for each dependency's
 * port that has a service port, `<DEP>_<PORT>_ADDR=127.0.0.1:<servicePort>`
 * (names upper-cased, `-` as `_`), the address of that service on the task's
 * own host proxy. Set when the services loop creates a task; a task keeps
 * what it was started with (a dependency's new service port reaches the
 * tasks created after it).
 */
import type { Service } from '../../api/types.js';

export const envName = (s: string): string => s.toUpperCase().replace(/-/g, '_');

export function dependencyEnv(deps: readonly Service[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const d of deps) {
    for (const p of d.spec.ports ?? []) {
      if (typeof p.servicePort === 'number' && p.servicePort > 0) env[`${envName(d.metadata.name)}_${envName(p.name)}_ADDR`] = `127.0.0.1:${p.servicePort}`;
    }
  }
  return env;
}
