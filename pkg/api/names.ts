/**
 * Name rules (DNS-1123, Kubernetes') with messages that name the rule, and
 * how an object is named in error messages (`Service "hello"`).
 */

export const DNS1123_LABEL_MAX = 63;
export const DNS1123_SUBDOMAIN_MAX = 253;
/** A Service's tasks are named `<service>-<suffix>`; task names are DNS-1123 labels too. */
export const TASK_SUFFIX_LENGTH = 5;
export const SERVICE_NAME_MAX = DNS1123_LABEL_MAX - 1 - TASK_SUFFIX_LENGTH;

const LABEL_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const DNS1123_LABEL_RULE =
  "a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)";
export const DNS1123_SUBDOMAIN_RULE =
  "a DNS-1123 subdomain (DNS-1123 labels joined by '.', at most 253 characters)";
export const PORT_NAME_RULE = 'a port name (a DNS-1123 label with at least one letter)';

export const isDns1123Label = (s: string): boolean => s.length <= DNS1123_LABEL_MAX && LABEL_RE.test(s);
export const isDns1123Subdomain = (s: string): boolean =>
  s.length <= DNS1123_SUBDOMAIN_MAX && SUBDOMAIN_RE.test(s);
export const isPortName = (s: string): boolean => isDns1123Label(s) && /[a-z]/.test(s);

/** `got "x"`, shortened for long values so a message stays one readable line. */
export function got(v: string): string {
  return v.length > 80 ? `got ${v.length} characters ("${v.slice(0, 40)}...")` : `got "${v}"`;
}

/** undefined when s is a DNS-1123 label, else the message. */
export function dns1123LabelError(s: string): string | undefined {
  if (isDns1123Label(s)) return undefined;
  if (s === '') return 'must not be empty';
  return `must be ${DNS1123_LABEL_RULE}, ${got(s)}`;
}

export function dns1123SubdomainError(s: string): string | undefined {
  if (isDns1123Subdomain(s)) return undefined;
  if (s === '') return 'must not be empty';
  return `must be ${DNS1123_SUBDOMAIN_RULE}, ${got(s)}`;
}

export function portNameError(s: string): string | undefined {
  if (isPortName(s)) return undefined;
  if (s === '') return 'must not be empty';
  return `must be ${PORT_NAME_RULE}, ${got(s)}`;
}

/** `Service "hello"`, `Service (no name)`, or `object` when even the kind is missing. */
export function describeObject(obj: unknown): string {
  const o = obj !== null && typeof obj === 'object' && !Array.isArray(obj) ? (obj as Record<string, unknown>) : {};
  const kind = typeof o.kind === 'string' && o.kind !== '' ? o.kind : 'object';
  const meta = o.metadata as Record<string, unknown> | undefined;
  const name = meta && typeof meta === 'object' ? meta.name : undefined;
  return typeof name === 'string' && name !== '' ? `${kind} "${name}"` : `${kind} (no name)`;
}
