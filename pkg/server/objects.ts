/**
 * Reads and writes of single objects and lists, as the REST API does them:
 * validate, default, then a compare-and-swap through the store. Also the
 * apply of a batch: everything is validated before anything is written, and
 * the writes go in as few transactions as etcd allows (one, for any batch
 * under 128 operations), so a bad document never leaves half a batch behind.
 *
 * Secrets: values are sealed (--secrets-key) before they are written, and
 * every object this class hands back has them redacted; only get(..., reveal)
 * opens them.
 */
import { ApiError } from '../api/errors.js';
import { lookupKind, type KindInfo } from '../api/kinds.js';
import { matches, parseSelector } from '../api/labels.js';
import { isRevision } from '../api/revision.js';
import { DEFAULT_SERVICE_PORT_RANGE, planServicePorts, type PortOps } from '../api/service-ports.js';
import type { AnyResource, Node, PortRange, Secret, Service } from '../api/types.js';
import { SecretCipher } from '../secrets/cipher.js';
import { openData, redactSecret, revealSecret, sealSecret } from '../secrets/secret-data.js';
import { validateMany, validateObject } from '../api/validate.js';
import { TRACE_ANNOTATION } from '../api/trace.js';
import { addPortOps, hasServicePorts, MAX_PORT_RACES, readClaims, writeServiceWithPorts } from '../store/service-ports.js';
import { Store, type Stored } from '../store/store.js';
import { specKey } from '../store/keys.js';
import { listPage } from '../store/list-page.js';
import { decodeContinue, encodeContinue, listScope } from '../api/list-page.js';
import { splitTxns, type Txn } from '../store/txn.js';
import { jitteredDelay } from '../util/backoff.js';
import { jsonEqual } from '../util/equal.js';
import { CreateBatcher } from './batch.js';
import { refuseDependencyCycles } from './cycles.js';
import { refuseDisallowed } from './admission.js';

export type ApplyAction = 'created' | 'configured' | 'unchanged';
export interface ApplyResult {
  kind: string;
  namespace?: string;
  name: string;
  action: ApplyAction;
}

/** Status a new object starts with, for kinds whose loops expect one. */
function initialStatus(obj: AnyResource): unknown {
  if (obj.kind === 'Task') return { state: 'Pending' };
  return undefined;
}

/** A Node applied by a user is merged over what its agent registered. */
function mergeNode(cur: Node, want: Node): Node {
  return {
    ...want,
    spec: {
      ...cur.spec,
      ...want.spec,
      attributes: { ...(cur.spec.attributes ?? {}), ...(want.spec.attributes ?? {}) },
    },
  };
}

/** What the server owns on a new object: a user's (say, pasted from `get -o yaml`) is dropped. */
function dropServerOwned(obj: AnyResource): void {
  const m = obj.metadata;
  delete m.uid;
  delete m.creationTimestamp;
  delete m.generation;
  delete m.resourceVersion;
}

/**
 * Spec fields only the server writes (a Service's restartedAt, set by the
 * restart subresource): a user's write keeps the stored value, whatever it
 * sends, so applying YAML never restarts or un-restarts anything.
 */
function keepServerOwnedSpec(want: AnyResource, cur: AnyResource | undefined): AnyResource {
  if (want.kind !== 'Service') return want;
  const spec = { ...(want.spec as Service['spec']) };
  const stored = (cur?.spec as Service['spec'] | undefined)?.restartedAt;
  if (stored === undefined) delete spec.restartedAt;
  else spec.restartedAt = stored;
  return { ...want, spec };
}

const sameUserFields = (a: AnyResource, b: AnyResource): boolean =>
  jsonEqual(a.spec, b.spec) &&
  jsonEqual(a.metadata.labels ?? {}, b.metadata.labels ?? {}) &&
  jsonEqual(untraced(a.metadata.annotations), untraced(b.metadata.annotations));

/** Annotations but the trace id (api/trace.ts): a traced apply that changes nothing else writes nothing. */
function untraced(a: Record<string, string> | undefined): Record<string, string> {
  if (!a || !(TRACE_ANNOTATION in a)) return a ?? {};
  const { [TRACE_ANNOTATION]: _id, ...rest } = a;
  return rest;
}

export interface ObjectsOptions {
  /** The cluster's service port range (`--service-port-range`). */
  servicePortRange?: PortRange;
  /** Seals and opens Secret values (`--secrets-key`); default: stored as given. */
  secrets?: SecretCipher;
}

export class Objects {
  private readonly creates: CreateBatcher;
  readonly servicePortRange: PortRange;
  readonly secrets: SecretCipher;

  constructor(
    private readonly store: Store,
    o: ObjectsOptions = {},
  ) {
    this.creates = new CreateBatcher(store);
    this.servicePortRange = o.servicePortRange ?? DEFAULT_SERVICE_PORT_RANGE;
    this.secrets = o.secrets ?? new SecretCipher();
  }

  /** reveal: a Secret's values opened (the caller checked who may see them); else they are redacted. */
  async get(kind: KindInfo, namespace: string | undefined, name: string, opts: { reveal?: boolean } = {}): Promise<AnyResource> {
    const s = await this.store.get(kind, namespace, name);
    if (!s) throw notFound(kind, namespace, name);
    if (opts.reveal && kind.kind === 'Secret') return revealSecret(s.object as unknown as Secret, this.secrets) as unknown as AnyResource;
    return redactSecret(s.object);
  }

  /** The stored form of an object: a Secret's values sealed. */
  private sealed<T extends AnyResource>(o: T): T {
    return o.kind === 'Secret' ? (sealSecret(o as unknown as Secret, this.secrets) as unknown as T) : o;
  }

  /** Whether a write changes nothing a user wrote (a Secret's values compared opened). */
  private sameUserFields(want: AnyResource, cur: AnyResource): boolean {
    if (!sameUserFields(want, cur)) return false;
    if (want.kind !== 'Secret') return true;
    try {
      return jsonEqual((want as unknown as Secret).data ?? {}, openData(cur as unknown as Secret, this.secrets));
    } catch {
      return false; // sealed with another key: writing it again seals it with this one
    }
  }

  async list(kind: KindInfo, namespace: string | undefined, selector: string | undefined): Promise<{ items: AnyResource[]; revision: string }> {
    const sel = selector ? parseSelector(selector) : undefined;
    const l = await this.store.list(kind, kind.namespaced ? namespace : undefined);
    const items = l.items.map((s) => redactSecret(s.object)).filter((o) => !sel || matches(sel, o.metadata.labels));
    return { items, revision: l.revision };
  }

  /**
   * One page of a list (`limit`, `continue`: api/list-page.ts). Every page is read at the first
   * page's revision; `continue` is set while objects remain.
   */
  async listPage(kind: KindInfo, namespace: string | undefined, selector: string | undefined, page: { limit?: number; continue?: string }): Promise<{ items: AnyResource[]; revision: string; continue?: string }> {
    const sel = selector ? parseSelector(selector) : undefined;
    const ns = kind.namespaced ? namespace : undefined;
    const scope = listScope(kind.plural, ns);
    const token = page.continue !== undefined ? decodeContinue(page.continue, scope) : undefined;
    const p = await listPage(this.store, kind, ns, {
      limit: page.limit,
      from: token,
      filter: sel ? (o) => matches(sel, o.metadata.labels) : undefined,
    });
    const items = p.items.map((s) => redactSecret(s.object));
    return { items, revision: p.revision, ...(p.after !== undefined ? { continue: encodeContinue({ rev: p.revision, list: scope, after: p.after }) } : {}) };
  }

  /** check: throws to refuse the validated object before anything is read or written (authorization). */
  async create(kind: KindInfo, body: unknown, check?: (obj: AnyResource) => void): Promise<AnyResource> {
    const validated = keepServerOwnedSpec(this.checkKind(kind, validateObject(body)), undefined);
    check?.(validated);
    const obj = this.sealed(validated);
    await refuseDependencyCycles(this.store, [obj], false);
    await refuseDisallowed(this.store, [obj], false);
    dropServerOwned(obj);
    // service ports are claimed in the service's own transaction, not in a shared batch
    if (kind.kind === 'Service' && hasServicePorts((obj as Service).spec)) {
      return (await writeServiceWithPorts(this.store, { want: obj as Service, range: this.servicePortRange })).object;
    }
    const status = initialStatus(obj);
    if (status !== undefined) obj.status = status;
    return redactSecret((await this.creates.create(kind, obj)).object);
  }

  /** Replace an object; with metadata.resourceVersion, only if it is still that version. */
  async update(kind: KindInfo, namespace: string | undefined, name: string, body: unknown): Promise<AnyResource> {
    const sent = (body as AnyResource | undefined)?.metadata?.resourceVersion;
    const obj = this.checkKind(kind, validateObject(body));
    if (sent !== undefined && !isRevision(sent)) {
      throw new ApiError('Invalid', `metadata.resourceVersion must be a decimal etcd revision, as read from the object; got ${JSON.stringify(sent)}`, [
        { field: 'metadata.resourceVersion', rule: 'revision', message: 'a decimal etcd revision' },
      ]);
    }
    if (obj.metadata.name !== name || (kind.namespaced && (obj.metadata.namespace ?? 'default') !== (namespace ?? 'default'))) {
      throw new ApiError('BadRequest', `the body names ${kind.singular} "${obj.metadata.namespace ?? ''}/${obj.metadata.name}" but the path names "${namespace ?? ''}/${name}"`, [
        { field: 'metadata.name', rule: 'match-path', message: 'must match the URL' },
      ]);
    }
    const cur = await this.store.get(kind, namespace, name);
    if (!cur) throw notFound(kind, namespace, name);
    await refuseDependencyCycles(this.store, [obj], false);
    await refuseDisallowed(this.store, [obj], false);
    const merged = kind.kind === 'Node' ? mergeNode(cur.object as Node, obj as Node) : this.sealed(keepServerOwnedSpec(obj, cur.object));
    const res =
      kind.kind === 'Service' && (hasServicePorts(merged.spec) || hasServicePorts(cur.object.spec))
        ? await writeServiceWithPorts(this.store, { want: merged as Service, cur: cur as Stored<Service>, expectedRev: sent ?? cur.specRev, range: this.servicePortRange })
        : await this.store.update(kind, merged, cur, sent ?? cur.specRev);
    res.object.status = cur.object.status;
    return redactSecret(res.object);
  }

  async remove(kind: KindInfo, namespace: string | undefined, name: string): Promise<AnyResource> {
    const s = await this.store.remove(kind, namespace, name);
    if (!s) throw notFound(kind, namespace, name);
    return redactSecret(s.object);
  }

  /**
   * Create or update each object by name. Everything is validated before
   * anything is written, and a batch that fits one transaction is written
   * all or nothing. A bigger one takes several: a conflict is retried for
   * what is not written yet, and if it persists the error says what was.
   */
  async apply(items: unknown[], check?: (obj: AnyResource, index: number) => void): Promise<ApplyResult[]> {
    if (!Array.isArray(items) || items.length === 0) {
      throw new ApiError('BadRequest', 'apply needs a non-empty "items" array of objects', [{ field: 'items', rule: 'required', message: 'non-empty array' }]);
    }
    const objs = validateMany(items);
    // every document is checked (authorized) before anything is written: one refused, none written
    if (check) objs.forEach((o, i) => check(o, i));
    await refuseDependencyCycles(this.store, objs, true);
    await refuseDisallowed(this.store, objs, true);
    const done = new Map<number, ApplyResult>();
    let portRaces = 0;
    for (let attempt = 0; ; attempt++) {
      const todo = objs.map((_, i) => i).filter((i) => !done.has(i));
      try {
        await this.applyOnce(todo.map((i) => ({ i, obj: structuredClone(objs[i]!) })), done);
        return objs.map((_, i) => done.get(i)!);
      } catch (e) {
        if (e instanceof PortClaimRace) {
          // Another write claimed a port this one had planned: it made progress, so with
          // N writers racing for the lowest free port each loses at most N-1 times. Plan
          // again (not counted as a conflict), a little apart so the racers spread out.
          if (++portRaces <= MAX_PORT_RACES) {
            attempt--;
            await new Promise((r) => setTimeout(r, jitteredDelay(portRaces, { initialMs: 5, maxMs: 100 })));
            continue;
          }
          throw new ApiError('Conflict', `the service ports of this apply kept being taken by other writes meanwhile (${MAX_PORT_RACES} times); apply again`);
        }
        if (!(e instanceof ApiError && e.code === 'Conflict')) throw e;
        // someone wrote one of these objects between our read and our write: read again
        if (attempt < 3) continue;
        const written = [...done.values()].filter((r) => r.action !== 'unchanged');
        if (written.length === 0) throw e;
        const names = written.slice(0, 5).map((r) => `${lookupKind(r.kind)!.singular}/${r.name}`).join(', ');
        throw new ApiError(
          'Conflict',
          `objects of this apply kept being changed by someone else meanwhile; it took several transactions (over ${this.store.maxTxnOps} operations), and ${written.length} of ${objs.length} objects were written before the conflict (${names}${written.length > 5 ? ', ...' : ''}): apply again to write the rest`,
        );
      }
    }
  }

  /**
   * One round: read the objects (and, when services with service ports are
   * in it, every port claim), then write what changed, recording each result
   * once its transaction commits. Service ports are planned for the whole
   * batch before anything is written (a taken or out-of-range port refuses
   * it all); a port moving from one service to another keeps both writes in
   * one transaction.
   */
  private async applyOnce(todo: { i: number; obj: AnyResource }[], done: Map<number, ApplyResult>): Promise<void> {
    const kinds = todo.map(({ obj }) => lookupKind(obj.kind)!);
    const current = await Promise.all(todo.map(({ obj: o }, j) => this.store.get(kinds[j]!, o.metadata.namespace, o.metadata.name)));
    const wants = todo.map(({ obj: o }, j) => {
      const cur = current[j];
      if (!cur) {
        o = keepServerOwnedSpec(o, undefined);
        dropServerOwned(o);
        return o;
      }
      return kinds[j]!.kind === 'Node' ? mergeNode(cur.object as Node, o as Node) : keepServerOwnedSpec(o, cur.object);
    });
    const ports = await this.planPorts(todo, wants, current);
    /** A write: its items, the mod revision each object's compare expects by key ('0': absent), and its operations. */
    const writes: { items: { i: number; r: ApplyResult }[]; expect: [string, string][]; add: (t: Txn) => void }[] = [];
    const byItem = new Map<number, (typeof writes)[number]>();
    todo.forEach(({ i }, j) => {
      const kind = kinds[j]!;
      const cur = current[j];
      const o = wants[j]!;
      const r: ApplyResult = { kind: o.kind, namespace: kind.namespaced ? o.metadata.namespace : undefined, name: o.metadata.name, action: 'created' };
      const portOps = ports.get(j);
      const key = specKey(kind, o.metadata.namespace, o.metadata.name);
      if (!cur) {
        const status = initialStatus(o);
        if (status !== undefined) o.status = status;
        byItem.set(j, { items: [{ i, r }], expect: [[key, '0']], add: (t) => {
          Store.addCreate(t, kind, this.sealed(o));
          if (portOps) addPortOps(t, portOps);
        } });
        return;
      }
      if (this.sameUserFields(o, cur.object)) {
        done.set(i, { ...r, action: 'unchanged' });
        return;
      }
      r.action = 'configured';
      byItem.set(j, { items: [{ i, r }], expect: [[key, cur.specRev]], add: (t) => {
        Store.carryMeta(kind, o, cur);
        Store.addUpdate(t, kind, this.sealed(o), cur.specRev);
        if (portOps) addPortOps(t, portOps);
      } });
    });
    // items that hand a service port from one to another go in one transaction
    for (const g of ports.groups) {
      const members = g.map((j) => byItem.get(j)).filter((w) => w !== undefined);
      if (members.length < 2) continue;
      for (const j of g) byItem.delete(j);
      byItem.set(g[0]!, { items: members.flatMap((w) => w.items), expect: members.flatMap((w) => w.expect), add: (t) => members.forEach((w) => w.add(t)) });
    }
    for (const w of byItem.values()) writes.push(w);
    // one transaction for the whole batch when it fits etcd's budget, else chunks of what fits
    for (const c of splitTxns(writes, () => this.store.txn(), (t, w) => w.add(t))) {
      const res = await c.txn.commit();
      if (!res.succeeded) {
        // the failure branch read back every compared key: if no object moved, a port claim did
        const objectMoved = c.items.some((w) => w.expect.some(([k, rev]) => {
          const now = res.current.get(k);
          return now ? String(now.mod_revision) !== rev : rev !== '0';
        }));
        if (!objectMoved) throw new PortClaimRace();
        throw new ApiError('Conflict', 'an object of this apply was changed or created by someone else meanwhile; nothing of this batch was written');
      }
      for (const w of c.items) for (const x of w.items) done.set(x.i, x.r);
    }
  }

  /**
   * The service ports of the Services of a batch: each one's spec gets its
   * assigned numbers (wants[j] is replaced), and the claim operations come
   * back by position in todo, with the groups that must commit together.
   */
  private async planPorts(todo: { i: number; obj: AnyResource }[], wants: AnyResource[], current: (Stored | undefined)[]): Promise<{ get(j: number): PortOps | undefined; groups: number[][] }> {
    const js = todo.map((_, j) => j).filter((j) => wants[j]!.kind === 'Service' && (hasServicePorts(wants[j]!.spec) || hasServicePorts(current[j]?.object.spec)));
    if (js.length === 0) return { get: () => undefined, groups: [] };
    const claims = await readClaims(this.store);
    const plan = planServicePorts(
      js.map((j) => {
        const m = wants[j]!.metadata;
        return { namespace: m.namespace ?? 'default', name: m.name, want: (wants[j] as Service).spec, cur: (current[j]?.object as Service | undefined)?.spec, where: `document ${todo[j]!.i + 1} (Service "${m.name}")` };
      }),
      { range: this.servicePortRange, claims },
    );
    const ops = new Map<number, PortOps>();
    js.forEach((j, k) => {
      wants[j] = { ...wants[j]!, spec: plan.specs[k] };
      ops.set(j, plan.ops[k]!);
    });
    return { get: (j) => ops.get(j), groups: plan.groups.map((g) => g.map((k) => js[k]!)) };
  }

  private checkKind(kind: KindInfo, obj: AnyResource): AnyResource {
    if (obj.kind !== kind.kind) {
      throw new ApiError('BadRequest', `the body is a ${obj.kind} but the path is for ${kind.plural}`, [{ field: 'kind', rule: 'match-path', message: `must be ${kind.kind}` }]);
    }
    return obj;
  }
}

export function notFound(kind: KindInfo, namespace: string | undefined, name: string): ApiError {
  return new ApiError('NotFound', `${kind.singular} "${name}" not found${kind.namespaced ? ` in namespace "${namespace ?? 'default'}"` : ''}`);
}

/** An apply's transaction failed only because a service port it planned was claimed meanwhile. */
class PortClaimRace extends Error {}
