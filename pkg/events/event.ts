/**
 * A fresh Event object for something that happened to `obj` (count 1, no
 * series). Pure but for its name's random tail. The EventRecorder writes
 * these best effort; a writer whose event must land with the write it tells
 * of (a node's state transition) adds one to that write's transaction.
 */
import { randomBytes } from 'node:crypto';
import { eventLabels } from '../api/event-labels.js';
import type { AnyResource, Event } from '../api/types.js';

export type EventType = 'Normal' | 'Warning';

export function newEvent(obj: AnyResource, type: EventType, reason: string, message: string, source: string, ts: string): Event {
  const m = obj.metadata;
  return {
    apiVersion: 'stowage/v1',
    kind: 'Event',
    metadata: {
      name: `${m.name}.${Date.parse(ts).toString(36)}${randomBytes(3).toString('hex')}`.slice(-63).replace(/^[^a-z0-9]+/, ''),
      namespace: m.namespace ?? 'default',
      labels: eventLabels(obj),
    },
    spec: {
      type,
      reason,
      message,
      involvedObject: { kind: obj.kind, namespace: m.namespace, name: m.name, uid: m.uid },
      source,
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
    },
  };
}
