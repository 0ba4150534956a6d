/**
 * Events for humans: what a loop or agent did or saw. Written as Event
 * objects (`stowctl events`, `describe`), best effort: an event that cannot
 * be written is logged, never allowed to fail the work that caused it.
 * Repeats of the same reason on the same object within a minute bump a
 * counter in memory and are not written again.
 */
import { randomBytes } from 'node:crypto';
import { lookupKind } from '../api/kinds.js';
import type { AnyResource, Event } from '../api/types.js';
import { errMsg, type Logger } from '../log/logger.js';
import type { Store } from '../store/store.js';
import type { Fence } from '../store/txn.js';

const EVENT = lookupKind('Event')!;
const DEDUP_MS = 60_000;

export interface Recorder {
  normal(obj: AnyResource, reason: string, message: string): void;
  warning(obj: AnyResource, reason: string, message: string): void;
}

export class EventRecorder implements Recorder {
  private readonly recent = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly source: string,
    private readonly log: Logger,
    /** The leader's fence (throws when not leading); none for an agent's events. */
    private readonly fence?: () => Fence,
  ) {}

  normal(obj: AnyResource, reason: string, message: string): void {
    this.record(obj, 'Normal', reason, message);
  }

  warning(obj: AnyResource, reason: string, message: string): void {
    this.record(obj, 'Warning', reason, message);
  }

  private record(obj: AnyResource, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const m = obj.metadata;
    const dedup = `${obj.kind}/${m.namespace}/${m.name}/${reason}/${message}`;
    const now = Date.now();
    const last = this.recent.get(dedup);
    if (last !== undefined && now - last < DEDUP_MS) return;
    this.recent.set(dedup, now);
    if (this.recent.size > 10_000) this.recent.clear();
    const ts = new Date(now).toISOString();
    const ev: Event = {
      apiVersion: 'stowage/v1',
      kind: 'Event',
      metadata: {
        name: `${m.name}.${now.toString(36)}${randomBytes(3).toString('hex')}`.slice(-63).replace(/^[^a-z0-9]+/, ''),
        namespace: m.namespace ?? 'default',
      },
      spec: {
        type,
        reason,
        message,
        involvedObject: { kind: obj.kind, namespace: m.namespace, name: m.name, uid: m.uid },
        source: this.source,
        firstTimestamp: ts,
        lastTimestamp: ts,
        count: 1,
      },
    };
    let fence: Fence | undefined;
    try {
      fence = this.fence?.();
    } catch (e) {
      // no longer leading: a leader's event is not written without its fence
      this.log.debug('event not written', { reason, error: errMsg(e) });
      return;
    }
    this.store.create(EVENT, ev, { fence }).catch((e) => this.log.debug('event not written', { reason, error: errMsg(e) }));
  }
}

/** A recorder that keeps events in memory: for tests of pure code and runners. */
export class MemoryRecorder implements Recorder {
  readonly events: { type: string; kind: string; name: string; reason: string; message: string }[] = [];
  normal(obj: AnyResource, reason: string, message: string): void {
    this.events.push({ type: 'Normal', kind: obj.kind, name: obj.metadata.name, reason, message });
  }
  warning(obj: AnyResource, reason: string, message: string): void {
    this.events.push({ type: 'Warning', kind: obj.kind, name: obj.metadata.name, reason, message });
  }
}
