/**
 * Tracing one apply down to its containers (`stowctl apply --trace`).
 *
 * An object carrying the annotation `stowage/trace: <id>` is traced: the
 * services loop copies it onto the tasks it creates, and every component
 * that handles such a task records the moment it did, by name, in the
 * task's `status.trace` (epoch milliseconds, fractional), inside the status
 * writes it makes anyway (no write of its own):
 *
 *   api.received api.committed                        the server (in the apply's answer)
 *   services.seen .began .computed .create            the services loop (annotation stowage/trace-marks
 *                                                     of the task it creates; its binding copies them)
 *   scheduler.seen .began .computed .bind             the scheduler (the binding's status)
 *   server.assignment                                 the server's assignment stream (agent API)
 *   agent.received .start .slot .create .created .started   the agent (its Starting / Running reports)
 *
 * Untraced objects carry nothing and cost nothing. Times come from each
 * process's own clock: on one host they compare to a fraction of a
 * millisecond; across hosts, clock skew shows up in the cross-host steps.
 */

export const TRACE_ANNOTATION = 'stowage/trace';
/**
 * The marks taken before a task has a status, as JSON, on the task itself:
 * a traced task is created as an untraced one is, with its spec key only
 * (a status written with it would make its binding lose a race to its
 * delivery: the trace would change the path it measures).
 */
export const TRACE_MARKS_ANNOTATION = 'stowage/trace-marks';

/** Mark name -> when it happened (epoch ms, fractional). */
export type TraceMarks = Record<string, number>;

/** Now, in epoch milliseconds with sub-millisecond precision. */
export const traceNow = (): number => performance.timeOrigin + performance.now();

/** The trace id an object carries, if it is traced. */
export function traceIdOf(o: { metadata?: { annotations?: Record<string, string> } } | undefined): string | undefined {
  return o?.metadata?.annotations?.[TRACE_ANNOTATION] || undefined;
}

/** A task's marks: its status's, or before it has one, those it was created with. */
export function marksOf(t: { metadata: { annotations?: Record<string, string> }; status?: { trace?: TraceMarks } }): TraceMarks | undefined {
  if (t.status?.trace) return t.status.trace;
  const raw = t.metadata.annotations?.[TRACE_MARKS_ANNOTATION];
  if (raw === undefined) return undefined;
  try {
    const m = JSON.parse(raw) as unknown;
    return m && typeof m === 'object' && !Array.isArray(m) ? (m as TraceMarks) : undefined;
  } catch {
    return undefined;
  }
}

/** The marks with `more` added (a mark already there is kept: the first time counts). */
export function addMarks(marks: TraceMarks | undefined, more: TraceMarks): TraceMarks {
  const out: TraceMarks = { ...(marks ?? {}) };
  for (const [k, v] of Object.entries(more)) if (out[k] === undefined) out[k] = round(v);
  return out;
}

const round = (ms: number): number => Math.round(ms * 100) / 100;

/**
 * The marks in the order the hot path passes them, each with who records it
 * and what happened up to it (the time since the previous mark is spent there).
 */
export const TRACE_STEPS: readonly { mark: string; who: string; what: string }[] = [
  { mark: 'cli.sent', who: 'stowctl', what: 'apply sent' },
  { mark: 'api.received', who: 'api', what: 'apply received (HTTP request, body read)' },
  { mark: 'api.committed', who: 'api', what: 'apply validated and written (one etcd transaction)' },
  { mark: 'services.seen', who: 'services', what: 'Service change seen (etcd watch -> informer)' },
  { mark: 'services.began', who: 'services', what: 'reconcile began (work queue wait)' },
  { mark: 'services.computed', who: 'services', what: 'reconcile computed' },
  { mark: 'services.create', who: 'services', what: 'task creation sent (after the service status write)' },
  { mark: 'scheduler.seen', who: 'scheduler', what: 'Pending task seen (task txn committed, etcd watch -> informer)' },
  { mark: 'scheduler.began', who: 'scheduler', what: 'scheduling cycle began (work queue wait)' },
  { mark: 'scheduler.computed', who: 'scheduler', what: 'placement computed' },
  { mark: 'scheduler.bind', who: 'scheduler', what: 'binding transaction sent' },
  { mark: 'server.assignment', who: 'api', what: 'assignment seen by the agent API (binding committed, etcd watch)' },
  { mark: 'agent.received', who: 'agent', what: 'assignment received (agent API stream)' },
  { mark: 'agent.start', who: 'agent', what: 'task sync began the start (agent work queue wait)' },
  { mark: 'agent.slot', who: 'agent', what: 'start slot taken (Starting reported)' },
  { mark: 'agent.create', who: 'agent', what: 'docker create sent (the runtime sends a few creates at a time)' },
  { mark: 'agent.created', who: 'agent', what: 'docker create returned' },
  { mark: 'agent.started', who: 'agent', what: 'docker start returned: container running' },
  { mark: 'cli.running', who: 'stowctl', what: 'Running seen by stowctl (agent report written, read back)' },
];
