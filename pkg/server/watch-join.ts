/**
 * One kind as API watch streams see it: each object joined with its status,
 * and the Server-Sent Events frame of each change, serialized once.
 *
 *   etcd watch response (one watch over /stowage/, in revision order)
 *     └─ applyResponse: events grouped by revision, routed by key
 *          └─ KindView.stage(name, spec|status, put|delete)  ... per key
 *          └─ KindView.flush(revision) ──► one WatchEvent per object changed
 *                 frame = `event: TYPE\nid: REVISION\ndata: JSON\n\n`
 *
 * An object and its status written in one transaction are one event; an
 * object deleted with its status is one DELETED carrying the object as it
 * last was, status included. A status key without its object is held (etcd
 * holds it, and it joins the object if that comes back) but never shown.
 *
 * Every object's `kind` is its key's kind (set if the stored JSON lacks it),
 * so that the events of a stream of several kinds name their kind.
 *
 * An entry keeps only the joined JSON (a view into the frame of its last
 * change, shared with the ring of recent events): a change parses it,
 * applies the new half and serializes the result.
 */
import type { IWatchResponse } from 'etcd3';
import type { KindInfo } from '../api/kinds.js';
import type { AnyResource } from '../api/types.js';
import { impliedStatus } from '../api/implied-status.js';
import { parseTail, ROOT } from '../store/keys.js';
import { redactSecret } from '../secrets/secret-data.js';
import type { Stored } from '../store/store.js';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export type Labels = Readonly<Record<string, string>> | undefined;

/** What a stream keeps: an object of kind `kind` (plural) in `namespace` with `labels`. */
export type Want = (namespace: string | undefined, labels: Labels, kind: string) => boolean;

export interface WatchEvent {
  type: EventType;
  /** The kind's plural. */
  kind: string;
  /** The etcd revision of the change (of the list, for differences a re-list found). */
  revision: string;
  rev: bigint;
  /** Of the object (as it was, for DELETED): what stream filters look at. */
  namespace: string | undefined;
  labels: Labels;
  /** The whole SSE event, shared by every stream that sends it. */
  frame: Buffer;
}

interface Entry {
  /** The object with its status merged, as JSON; undefined while only a status key exists. */
  json?: Buffer;
  specRev?: string;
  statusRev?: string;
  /** A status key whose object is gone (raw JSON). */
  orphanStatus?: string;
  namespace?: string;
  labels?: Labels;
}

/** What a key looked like before this revision, and the object being built. */
interface Staged {
  e: Entry;
  before?: Buffer;
  beforeNamespace?: string;
  beforeLabels?: Labels;
  obj?: AnyResource;
  changed: boolean;
}

const SEP = '\n\n';

/** `event: TYPE\nid: REV\ndata: JSON\n\n` in a buffer of its own (never a slice of a shared pool: entries keep views into it). */
export function makeFrame(type: EventType, revision: string, json: string | Buffer): { frame: Buffer; json: Buffer } {
  const head = `event: ${type}\nid: ${revision}\ndata: `;
  const len = typeof json === 'string' ? Buffer.byteLength(json) : json.length;
  const frame = Buffer.allocUnsafeSlow(head.length + len + SEP.length);
  frame.write(head, 0, 'latin1');
  if (typeof json === 'string') frame.write(json, head.length, 'utf8');
  else json.copy(frame, head.length);
  frame.write(SEP, head.length + len, 'latin1');
  return { frame, json: frame.subarray(head.length, head.length + len) };
}

export class KindView {
  private readonly entries = new Map<string, Entry>();
  private readonly staged = new Map<string, Staged>();
  /** The keys in order, until one comes or goes. */
  private sorted: string[] | undefined;

  constructor(readonly kind: KindInfo) {}

  /** Objects shown (status-only keys left out). */
  get size(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.json) n++;
    return n;
  }

  /** The JSON of every object that `want` keeps, in key order (as a list reads them), for a stream's initial ADDED events. */
  snapshot(want: Want): Buffer[] {
    this.sorted ??= [...this.entries.keys()].sort();
    const out: Buffer[] = [];
    for (const k of this.sorted) {
      const e = this.entries.get(k);
      if (e?.json && want(e.namespace, e.labels, this.kind.plural)) out.push(e.json);
    }
    return out;
  }

  /** Make the view equal to a list read at `revision`; the differences come back as events of that revision. */
  replace(items: Stored[], revision: string): WatchEvent[] {
    const out: WatchEvent[] = [];
    const rev = BigInt(revision);
    const seen = new Set<string>();
    for (const s of items) {
      const m = s.object.metadata;
      const key = `${m.namespace ?? '_'}/${m.name}`;
      seen.add(key);
      const old = this.entries.get(key);
      if (!old) this.sorted = undefined;
      const statusRev = s.statusRev === '0' ? undefined : s.statusRev;
      if (old?.json && old.specRev === s.specRev && old.statusRev === statusRev) continue;
      s.object.kind = this.kind.kind;
      const { frame, json } = makeFrame(old?.json ? 'MODIFIED' : 'ADDED', revision, JSON.stringify(redactSecret(s.object)));
      this.entries.set(key, { json, specRev: s.specRev, statusRev, namespace: m.namespace, labels: m.labels });
      out.push(this.event(old?.json ? 'MODIFIED' : 'ADDED', revision, rev, m.namespace, m.labels, frame));
    }
    for (const [key, e] of this.entries) {
      if (seen.has(key)) continue;
      this.entries.delete(key);
      this.sorted = undefined;
      if (e.json) out.push(this.event('DELETED', revision, rev, e.namespace, e.labels, makeFrame('DELETED', revision, e.json).frame));
    }
    return out;
  }

  /** Apply one key's change of the revision being staged; `value` undefined is a delete. */
  stage(key: string, isStatus: boolean, value: Buffer | undefined, revision: string): void {
    let st = this.staged.get(key);
    if (!st) {
      let e = this.entries.get(key);
      if (!e) {
        this.entries.set(key, (e = {}));
        this.sorted = undefined;
      }
      st = { e, before: e.json, beforeNamespace: e.namespace, beforeLabels: e.labels, obj: e.json ? (JSON.parse(e.json.toString()) as AnyResource) : undefined, changed: false };
      this.staged.set(key, st);
    }
    const e = st.e;
    if (isStatus) {
      if (value === undefined) {
        if (st.obj) delete st.obj.status;
        e.orphanStatus = e.statusRev = undefined;
      } else {
        // after a re-list the view may hold a newer version than a replayed event
        if (e.statusRev !== undefined && BigInt(e.statusRev) >= BigInt(revision)) return;
        if (st.obj) st.obj.status = JSON.parse(value.toString());
        else e.orphanStatus = value.toString();
        e.statusRev = revision;
      }
    } else if (value === undefined) {
      if (st.obj && e.statusRev !== undefined) e.orphanStatus = JSON.stringify(st.obj.status);
      st.obj = undefined;
      e.specRev = undefined;
    } else {
      if (e.specRev !== undefined && BigInt(e.specRev) >= BigInt(revision)) return;
      const o = JSON.parse(value.toString()) as AnyResource;
      o.metadata.resourceVersion = revision;
      // the key says what it is: a multi-kind stream's client routes each event by this field
      o.kind = this.kind.kind;
      // (status kept only from a status key: a spec-only object gets its kind's implied status)
      const status = e.statusRev === undefined ? impliedStatus(o.kind) : st.obj ? st.obj.status : e.orphanStatus !== undefined ? JSON.parse(e.orphanStatus) : undefined;
      if (status !== undefined) o.status = status;
      e.orphanStatus = undefined;
      // a Secret's values never enter the view (nor any stream)
      st.obj = redactSecret(o);
      e.specRev = revision;
    }
    st.changed = true;
  }

  /** Finish the staged revision: one event per object it changed. */
  flush(revision: string, rev: bigint, out: WatchEvent[]): void {
    for (const [key, st] of this.staged) {
      const e = st.e;
      if (st.changed) {
        if (st.obj) {
          const type = st.before ? 'MODIFIED' : 'ADDED';
          const { frame, json } = makeFrame(type, revision, JSON.stringify(st.obj));
          e.json = json;
          e.namespace = st.obj.metadata.namespace;
          e.labels = st.obj.metadata.labels;
          out.push(this.event(type, revision, rev, e.namespace, e.labels, frame));
        } else {
          e.json = e.namespace = e.labels = undefined;
          if (st.before) out.push(this.event('DELETED', revision, rev, st.beforeNamespace, st.beforeLabels, makeFrame('DELETED', revision, st.before).frame));
        }
      }
      if (!e.json && e.statusRev === undefined) {
        this.entries.delete(key);
        this.sorted = undefined;
      }
    }
    this.staged.clear();
  }

  private event(type: EventType, revision: string, rev: bigint, namespace: string | undefined, labels: Labels, frame: Buffer): WatchEvent {
    return { type, kind: this.kind.plural, revision, rev, namespace, labels, frame };
  }
}

const STATUS_ROOT = `${ROOT}/status/`;

/**
 * Apply a watch response of the whole key space to the views it concerns,
 * revision by revision, appending the events to `out`. `viewOf` returns the
 * view of a kind that should see a change of that revision, or undefined.
 */
export function applyResponse(res: IWatchResponse, viewOf: (plural: string, rev: bigint) => KindView | undefined, out: WatchEvent[]): void {
  let revision = '';
  let rev = 0n;
  const touched: KindView[] = [];
  const flush = () => {
    for (const v of touched.splice(0)) v.flush(revision, rev, out);
  };
  for (const ev of res.events) {
    const r = String(ev.kv.mod_revision);
    if (r !== revision) {
      flush();
      revision = r;
      rev = BigInt(r);
    }
    const key = ev.kv.key.toString();
    const isStatus = key.startsWith(STATUS_ROOT);
    const base = isStatus ? STATUS_ROOT : `${ROOT}/`;
    const slash = key.indexOf('/', base.length);
    if (slash < 0) continue;
    const plural = key.slice(base.length, slash);
    const view = viewOf(plural, rev);
    if (!view) continue;
    const t = parseTail(key, key.slice(0, slash + 1));
    if (!t) continue;
    if (!touched.includes(view)) touched.push(view);
    view.stage(`${t.namespace}/${t.name}`, isStatus, ev.type === 'Delete' ? undefined : ev.kv.value, revision);
  }
  flush();
}
