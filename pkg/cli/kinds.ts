/**
 * Kind names as users type them (`svc`, `services`, `Service`,
 * `service/hello`) and the API paths they map to.
 */
import { CLUSTER_SCOPE, kindNames, lookupKind, type KindInfo } from '../api/kinds.js';
import { CliError } from './errors.js';

export function resolveKind(name: string): KindInfo {
  const k = lookupKind(name);
  if (!k) throw new CliError(`unknown kind "${name}"; known kinds: ${kindNames().join(', ')}`);
  return k;
}

export interface Target {
  kind: KindInfo;
  name: string;
}

/**
 * `KIND NAME...` or `KIND/NAME...` (kubectl's two forms; not mixed).
 * Returns the kind of the first form even with no names, so `get svc` works.
 */
export function parseTargets(args: string[]): { kind?: KindInfo; targets: Target[] } {
  if (args.length === 0) return { targets: [] };
  if (args[0]!.includes('/')) {
    const targets = args.map((a) => parseSlashed(a));
    return { kind: targets[0]!.kind, targets };
  }
  const kind = resolveKind(args[0]!);
  const targets = args.slice(1).map((name) => {
    if (name.includes('/')) throw new CliError(`there is no need to give a kind when using the KIND/NAME form: "${name}"`);
    return { kind, name };
  });
  return { kind, targets };
}

/** `service/hello` -> {Service, hello}. */
export function parseSlashed(arg: string): Target {
  const i = arg.indexOf('/');
  if (i <= 0 || i === arg.length - 1 || arg.indexOf('/', i + 1) >= 0) {
    throw new CliError(`"${arg}" is not of the form KIND/NAME (e.g. service/hello)`);
  }
  return { kind: resolveKind(arg.slice(0, i)), name: arg.slice(i + 1) };
}

/** The one target of `scale service/NAME` or `scale service NAME`, of the kind wanted. */
export function singleTarget(args: string[], want: string): Target {
  const { targets } = parseTargets(args);
  if (targets.length !== 1) throw new CliError(`expected one ${want}: ${want}/NAME or ${want} NAME`);
  const t = targets[0]!;
  if (t.kind.kind !== lookupKind(want)!.kind) throw new CliError(`expected a ${want}, got ${t.kind.singular}/${t.name}`);
  return t;
}

const seg = (s: string) => encodeURIComponent(s);

export function listPath(kind: KindInfo): string {
  return `/api/v1/${kind.plural}`;
}

export function objectPath(kind: KindInfo, namespace: string | undefined, name: string): string {
  if (!kind.namespaced) return `/api/v1/${kind.plural}/${seg(name)}`;
  return `/api/v1/${kind.plural}/${seg(namespace ?? CLUSTER_SCOPE)}/${seg(name)}`;
}

/** `service/hello`: the name form stowctl prints. */
export function refOf(kind: KindInfo | string, name: string): string {
  const singular = typeof kind === 'string' ? (lookupKind(kind)?.singular ?? kind.toLowerCase()) : kind.singular;
  return `${singular}/${name}`;
}

export function notFoundMessage(kind: KindInfo, name: string, namespace: string | undefined): string {
  return kind.namespaced
    ? `${kind.singular} "${name}" not found in namespace "${namespace}"`
    : `${kind.singular} "${name}" not found`;
}
