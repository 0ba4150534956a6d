/**
 * What a container may do beyond the safe default, and who allows it. Pure.
 *
 *   default (every container, Kubernetes' `restricted` profile):
 *     all capabilities dropped but DEFAULT_CAPABILITIES, no-new-privileges,
 *     never privileged, no host mounts, no host PID/IPC, no devices
 *   a template asks for more:  capabilities.add [NET_ADMIN]   volumes [{hostPath: /srv/data, ...}]
 *   its Namespace allows it:   spec.allowCapabilities [..]    spec.allowHostPaths [/srv/data, ...]
 *
 * The API refuses a write asking for more than its namespace allows
 * (`securityDetails`); the scheduler stamps what the namespace allowed onto
 * the task as bound (`status.allowed`), and the agent refuses to start a
 * task asking for more than that (`startRefusal`), whoever wrote it.
 */
import type { ErrorDetail } from './errors.js';
import type { NamespaceSpec, TaskAllowance, TaskTemplate } from './types.js';

/** Linux capabilities as Docker names them (without CAP_). */
export const CAPABILITIES: readonly string[] = [
  'AUDIT_CONTROL', 'AUDIT_READ', 'AUDIT_WRITE', 'BLOCK_SUSPEND', 'BPF', 'CHECKPOINT_RESTORE', 'CHOWN',
  'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'IPC_LOCK', 'IPC_OWNER', 'KILL', 'LEASE',
  'LINUX_IMMUTABLE', 'MAC_ADMIN', 'MAC_OVERRIDE', 'MKNOD', 'NET_ADMIN', 'NET_BIND_SERVICE', 'NET_BROADCAST',
  'NET_RAW', 'PERFMON', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYSLOG', 'SYS_ADMIN', 'SYS_BOOT',
  'SYS_CHROOT', 'SYS_MODULE', 'SYS_NICE', 'SYS_PACCT', 'SYS_PTRACE', 'SYS_RAWIO', 'SYS_RESOURCE',
  'SYS_TIME', 'SYS_TTY_CONFIG', 'WAKE_ALARM',
];

/**
 * What every container keeps after dropping ALL: Docker's default set
 * minus what `restricted` forbids, which leaves binding ports below 1024.
 * Any namespace may add these; everything else needs allowCapabilities.
 */
export const DEFAULT_CAPABILITIES: readonly string[] = ['NET_BIND_SERVICE'];

/** An absolute path without '.', '..', empty segments or a trailing '/' ("/" itself is clean). */
export function isCleanPath(p: string): boolean {
  if (p === '/') return true;
  if (!p.startsWith('/') || p.endsWith('/') || p.includes('\0')) return false;
  return p.split('/').slice(1).every((s) => s !== '' && s !== '.' && s !== '..');
}

/** `path` is an allowed entry or lies under one ("/srv/data" allows "/srv/data/x", not "/srv/database"). */
export function hostPathAllowed(path: string, allowed: readonly string[]): boolean {
  return allowed.some((a) => a === '/' || path === a || path.startsWith(`${a}/`));
}

/** The capabilities a template adds beyond the default ones, and the host paths it mounts. */
export function requested(t: Pick<TaskTemplate, 'capabilities' | 'volumes'>): { capabilities: string[]; hostPaths: string[] } {
  const capabilities = (t.capabilities?.add ?? []).filter((c) => !DEFAULT_CAPABILITIES.includes(c));
  const hostPaths = (t.volumes ?? []).map((v) => v.hostPath);
  return { capabilities: [...new Set(capabilities)], hostPaths: [...new Set(hostPaths)] };
}

export const asksForMore = (t: Pick<TaskTemplate, 'capabilities' | 'volumes'>): boolean => {
  const r = requested(t);
  return r.capabilities.length > 0 || r.hostPaths.length > 0;
};

/** What a namespace allows a task that asks for `t`: only the entries it uses, for the task as bound. */
export function allowanceFor(t: Pick<TaskTemplate, 'capabilities' | 'volumes'>, ns: Partial<NamespaceSpec> | undefined): TaskAllowance {
  const r = requested(t);
  const caps = ns?.allowCapabilities ?? [];
  const paths = ns?.allowHostPaths ?? [];
  return {
    capabilities: r.capabilities.filter((c) => caps.includes(c)),
    hostPaths: paths.filter((a) => r.hostPaths.some((p) => hostPathAllowed(p, [a]))),
  };
}

const shown = (xs: readonly string[] | undefined): string => (xs && xs.length > 0 ? `[${xs.join(', ')}]` : 'none');

/**
 * Each capability or host path of template `t` (at `base`, e.g. "spec") that
 * namespace `nsName` does not allow, as a 422 detail naming the field and the
 * namespace's rule.
 */
export function securityDetails(t: Pick<TaskTemplate, 'capabilities' | 'volumes'>, base: string, nsName: string, ns: Partial<NamespaceSpec> | undefined): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  const caps = ns?.allowCapabilities ?? [];
  (t.capabilities?.add ?? []).forEach((c, i) => {
    if (DEFAULT_CAPABILITIES.includes(c) || caps.includes(c)) return;
    out.push({
      field: `${base}.capabilities.add[${i}]`,
      rule: 'allowCapabilities',
      message: `capability ${c} is not allowed in namespace "${nsName}" (its spec.allowCapabilities: ${shown(caps)}; allowed everywhere: ${DEFAULT_CAPABILITIES.join(', ')}); an admin may add it to the Namespace`,
    });
  });
  const paths = ns?.allowHostPaths ?? [];
  (t.volumes ?? []).forEach((v, i) => {
    if (hostPathAllowed(v.hostPath, paths)) return;
    out.push({
      field: `${base}.volumes[${i}].hostPath`,
      rule: 'allowHostPaths',
      message: `host path ${v.hostPath} is not allowed in namespace "${nsName}" (its spec.allowHostPaths: ${shown(paths)}); an admin may add it, or a prefix of it, to the Namespace`,
    });
  });
  return out;
}

/** Why an agent must not start a task asking for `t` with what was allowed at binding, if it must not. */
export function startRefusal(t: Pick<TaskTemplate, 'capabilities' | 'volumes'>, allowed: TaskAllowance | undefined): string | undefined {
  const r = requested(t);
  const caps = r.capabilities.filter((c) => !(allowed?.capabilities ?? []).includes(c));
  const paths = r.hostPaths.filter((p) => !hostPathAllowed(p, allowed?.hostPaths ?? []));
  if (caps.length === 0 && paths.length === 0) return undefined;
  const parts = [
    ...(caps.length > 0 ? [`capabilities ${caps.join(', ')}`] : []),
    ...(paths.length > 0 ? [`host paths ${paths.join(', ')}`] : []),
  ];
  return `the task asks for ${parts.join(' and ')} that its namespace did not allow when it was bound`;
}
