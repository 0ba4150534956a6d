/**
 * Events for humans: what a loop or agent did or saw. Written as Event
 * objects (`stowctl events`, `describe`), best effort: an event that cannot
 * be written is logged, never allowed to fail the work that caused it.
 *
 *   the same message on the same object within a minute ──► not written again
 *   the same reason on the same object within 10 minutes ──► one Event, a series:
 *        its count goes up, lastTimestamp and message are the newest
 *   otherwise ──► a new Event
 *
 * A series (Kubernetes' event aggregation) keeps the number of Event
 * objects to what distinct things happened, not how often: a service scaled
 * every few seconds has one ScalingDown event with a count, not thousands,
 * so etcd's database stays flat under churn. Writes of one series are made
 * one after another, each a compare-and-swap on the one before.
 *
 * A recorder creates at most NEW_BURST Events at once and NEW_PER_SECOND
 * after that (a token bucket); what it cannot afford is dropped and counted
 * (stowage_events_dropped_total), while series it already has go on
 * counting. The loops already write per-task events only for small steps
 * (one event per owner or node for big ones): the budget is the backstop for
 * an agent starting or stopping hundreds of containers at once.
 *
 * A state transition whose event must not be lost (a node NotReady, Ready,
 * Lost) is told differently: its writer asks transitionEvent for a fresh
 * Event and creates it in the transaction of the transition itself, so a
 * process killed right after the write cannot leave the one without the other.
 *
 * Each Event carries labels naming its object and the service or job that
 * object belongs to (pkg/api/event-labels.ts): `stowctl events --for` asks
 * the API for them with a label selector.
 */
import { ApiError, isApiError } from '../api/errors.js';
import { lookupKind } from '../api/kinds.js';
import type { AnyResource, Event } from '../api/types.js';
import { errMsg, type Logger } from '../log/logger.js';
import * as metrics from '../metrics/metrics.js';
import { newEvent, type EventType } from './event.js';
import { Store, type Stored } from '../store/store.js';
import type { Fence } from '../store/txn.js';

const EVENT = lookupKind('Event')!;
const DEDUP_MS = 60_000;
export const SERIES_MS = 10 * 60_000;
/** Series remembered at most; older ones are forgotten first (their next event starts a new one). */
const MAX_SERIES = 10_000;
/** New Event objects a recorder may create at once, and per second after that. */
export const NEW_BURST = 200;
export const NEW_PER_SECOND = 20;

/**
 * Where Events are written: etcd through the store (storeEvents), or a
 * server's agent API for agents that do not hold etcd credentials.
 * create answers AlreadyExists, update NotFound or Conflict (CAS on prev's
 * revision) as the store does.
 */
export interface EventSink {
  create(ev: Event, fence: Fence | undefined): Promise<Stored<Event>>;
  update(next: Event, prev: Stored<Event>, fence: Fence | undefined): Promise<Stored<Event>>;
}

/** Events straight into etcd; a new Event shares its round trip with the other writes of this turn. */
export function storeEvents(store: Store): EventSink {
  return {
    update: (next, prev, fence) => store.update(EVENT, next, prev, prev.specRev, { fence }),
    create: async (ev, fence) => {
      // a burst of runs makes a burst of events
      const r = await store.group.commit(fence, (txn) => Store.addCreate(txn, EVENT, ev));
      if (!r.succeeded) throw new ApiError('AlreadyExists', `event "${ev.metadata.name}" already exists`);
      ev.metadata.resourceVersion = r.revision;
      return { object: ev, specRev: r.revision, statusRev: '0' };
    },
  };
}

export interface Recorder {
  normal(obj: AnyResource, reason: string, message: string): void;
  warning(obj: AnyResource, reason: string, message: string): void;
  /**
   * A new Event (count 1, this recorder's source) for the caller to write in
   * the same transaction as the transition it tells of: both land or neither.
   * Not written, deduplicated or budgeted here.
   */
  transitionEvent(obj: AnyResource, type: EventType, reason: string, message: string): Event;
}

interface Series {
  /** The Event as last written (undefined until the first write returns). */
  stored?: Stored<Event>;
  /** When it was last bumped (ms). */
  last: number;
  /** The writes of this series, one after another. */
  writing: Promise<void>;
}

export class EventRecorder implements Recorder {
  private readonly recent = new Map<string, number>();
  private readonly series = new Map<string, Series>();
  private lastTs = 0;
  private tokens = NEW_BURST;
  private refilled: number | undefined;
  private readonly sink: EventSink;

  constructor(
    store: Store | EventSink,
    private readonly source: string,
    private readonly log: Logger,
    /** The leader's fence (throws when not leading); none for an agent's events. */
    private readonly fence?: () => Fence,
    private readonly now: () => number = Date.now,
  ) {
    this.sink = store instanceof Store ? storeEvents(store) : store;
  }

  normal(obj: AnyResource, reason: string, message: string): void {
    this.record(obj, 'Normal', reason, message);
  }

  warning(obj: AnyResource, reason: string, message: string): void {
    this.record(obj, 'Warning', reason, message);
  }

  transitionEvent(obj: AnyResource, type: EventType, reason: string, message: string): Event {
    return newEvent(obj, type, reason, message, this.source, this.nextTimestamp(this.now()));
  }

  /** Resolves once every write asked for so far is done (for tests). */
  async flushed(): Promise<void> {
    await Promise.all([...this.series.values()].map((s) => s.writing));
  }

  private record(obj: AnyResource, type: EventType, reason: string, message: string): void {
    const m = obj.metadata;
    const about = `${obj.kind}/${m.namespace}/${m.name}/${m.uid ?? ''}/${type}/${reason}`;
    const now = this.now();
    const dedup = `${about}/${message}`;
    const last = this.recent.get(dedup);
    if (last !== undefined && now - last < DEDUP_MS) return;
    this.recent.set(dedup, now);
    if (this.recent.size > 10_000) this.recent.clear();
    let fence: Fence | undefined;
    try {
      fence = this.fence?.();
    } catch (e) {
      // no longer leading: a leader's event is not written without its fence
      this.log.debug('event not written', { reason, error: errMsg(e) });
      return;
    }
    let s = this.series.get(about);
    if (s && now - s.last >= SERIES_MS) s = undefined;
    if (!s) {
      if (!this.afford(now)) {
        metrics.eventsDropped.inc({ source: this.source.startsWith('agent/') ? 'agent' : this.source });
        this.log.debug('event dropped: too many new events', { reason, object: `${obj.kind}/${m.name}` });
        return;
      }
      this.prune(now);
      s = { last: now, writing: Promise.resolve() };
      this.series.set(about, s);
    }
    s.last = now;
    const series = s;
    const ts = this.nextTimestamp(now);
    series.writing = series.writing.then(() =>
      this.write(series, obj, type, reason, message, ts, fence).catch((e) => this.log.debug('event not written', { reason, error: errMsg(e) })),
    );
  }

  private async write(s: Series, obj: AnyResource, type: EventType, reason: string, message: string, ts: string, fence: Fence | undefined): Promise<void> {
    const prev = s.stored;
    if (prev) {
      const next: Event = { ...prev.object, spec: { ...prev.object.spec, message, lastTimestamp: ts, count: (prev.object.spec.count ?? 1) + 1 } };
      try {
        s.stored = await this.sink.update(next, prev, fence);
        return;
      } catch (e) {
        // collected or changed meanwhile: start the series again
        if (!isApiError(e, 'NotFound') && !isApiError(e, 'Conflict')) throw e;
      }
    }
    s.stored = await this.sink.create(newEvent(obj, type, reason, message, this.source, ts), fence);
  }

  /** Strictly increasing per recorder, so events recorded one after another sort so by lastTimestamp. */
  private nextTimestamp(now: number): string {
    this.lastTs = Math.max(now, this.lastTs + 1);
    return new Date(this.lastTs).toISOString();
  }

  /** Take a token for a new Event, if the bucket has one. */
  private afford(now: number): boolean {
    if (this.refilled !== undefined) this.tokens = Math.min(NEW_BURST, this.tokens + ((now - this.refilled) / 1000) * NEW_PER_SECOND);
    this.refilled = now;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }

  /** Forget series that ended (or, past the cap, the oldest). */
  private prune(now: number): void {
    if (this.series.size < MAX_SERIES) return;
    for (const [k, s] of this.series) if (now - s.last >= SERIES_MS) this.series.delete(k);
    for (const k of this.series.keys()) {
      if (this.series.size < MAX_SERIES) break;
      this.series.delete(k);
    }
  }
}

/** A recorder that keeps events in memory: for tests of pure code and runners. */
export class MemoryRecorder implements Recorder {
  readonly events: { type: string; kind: string; name: string; reason: string; message: string }[] = [];
  /** What transitionEvent built (the caller writes it). */
  readonly built: Event[] = [];
  constructor(private readonly source = 'test') {}
  transitionEvent(obj: AnyResource, type: EventType, reason: string, message: string): Event {
    const ev = newEvent(obj, type, reason, message, this.source, new Date().toISOString());
    this.built.push(ev);
    return ev;
  }
  normal(obj: AnyResource, reason: string, message: string): void {
    this.events.push({ type: 'Normal', kind: obj.kind, name: obj.metadata.name, reason, message });
  }
  warning(obj: AnyResource, reason: string, message: string): void {
    this.events.push({ type: 'Warning', kind: obj.kind, name: obj.metadata.name, reason, message });
  }
}
