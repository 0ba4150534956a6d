/**
 * The jobs subresources, answered by every server (a user's writes, not a
 * loop's):
 *
 *   POST /api/v1/jobs/<ns>/<name>/run          {"id"?, "env"?, "slot"?}   201 new run | 200 the run already there
 *   POST /api/v1/jobs/<ns>/<name>/suspend      {"note"?}                 200 the Job
 *   POST /api/v1/jobs/<ns>/<name>/resume       {}                        200 the Job
 *   POST /api/v1/jobs/<ns>/<name>/backfill     {"from", "to"}            200 {"runs": [{name, slot, action, state}]}
 *   POST /api/v1/jobruns/<ns>/<name>/mark-success  {}                    200 the JobRun
 *
 * Here: the body read and checked (400 naming the field and the rule, before
 * anything is read from etcd), the job's slots checked (api/job-requests.ts),
 * and the answer. The writes are store/job-runs.ts and store/job-spec.ts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../api/errors.js';
import { INSTANT_RULE, isoInstant, parseInstant } from '../api/instant.js';
import { backfillSlots, checkSlot } from '../api/job-requests.js';
import { lookupKind } from '../api/kinds.js';
import type { Job } from '../api/types.js';
import { markRunSucceeded, startManualRun, startSlotRuns } from '../store/job-runs.js';
import { resumeJob, suspendJob } from '../store/job-spec.js';
import type { Store } from '../store/store.js';
import { refuseDisallowed } from './admission.js';
import { sendJson } from './respond.js';
import { readOptionalObject } from './services-subresources.js';

const JOB = lookupKind('Job')!;

/** The longest `id` of a run (a Kubernetes name's length: room for a UUID, a date, a ticket). */
export const RUN_ID_MAX = 253;
/** As the Job schema has it for spec.suspendNote. */
export const SUSPEND_NOTE_MAX = 1024;
const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** A 400: the message says it all, the detail names the field and the rule in a few words. */
const bad = (field: string, rule: string, detail: string, message: string): ApiError => new ApiError('BadRequest', message, [{ field, rule, message: detail }]);

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** The body as an object with only these fields. */
async function readBody(req: IncomingMessage, sub: string, allowed: readonly string[], example: string): Promise<Record<string, unknown>> {
  const body = await readOptionalObject(req, `expected no body or a JSON object like ${example}`);
  for (const k of Object.keys(body)) {
    if (!allowed.includes(k)) {
      const takes = allowed.length ? `it takes ${allowed.length > 1 ? `${allowed.slice(0, -1).join(', ')} and ${allowed.at(-1)}` : allowed[0]}` : 'it takes no fields';
      throw bad(k, 'additionalProperties', 'unknown field', `unknown field "${k}" in the body of ${sub}: ${takes}`);
    }
  }
  return body;
}

function instant(body: Record<string, unknown>, field: string): Date {
  const t = parseInstant(body[field]);
  if (t instanceof Date) return t;
  throw bad(field, 'instant', INSTANT_RULE, `${field} ${t.error}`);
}

interface RunBody {
  id?: string;
  env?: Record<string, string>;
  slot?: Date;
}

export async function readRunBody(req: IncomingMessage): Promise<RunBody> {
  const body = await readBody(req, 'run', ['id', 'env', 'slot'], '{"id": "nightly-2026-01-01", "env": {"NAME": "value"}} or {"slot": "2026-01-01T00:00:00Z"}');
  const out: RunBody = {};
  if (body.id !== undefined) {
    const id = body.id;
    if (typeof id !== 'string' || id.length < 1 || id.length > RUN_ID_MAX) {
      const got = typeof id === 'string' ? `${id.length} characters` : typeName(id);
      throw bad('id', 'length', `a string of 1 to ${RUN_ID_MAX} characters`, `id must be a string of 1 to ${RUN_ID_MAX} characters, got ${got}`);
    }
    out.id = id;
  }
  if (body.env !== undefined) out.env = readEnv(body.env);
  if (body.slot !== undefined) {
    out.slot = instant(body, 'slot');
    // a slot's run is named by its slot, and runs as the job says
    if (out.id !== undefined) throw bad('id', 'exclusive', 'not together with slot', 'id cannot be given with slot: the run of a slot is named by its slot');
    if (out.env !== undefined) throw bad('env', 'exclusive', 'not together with slot', "env cannot be given with slot: the run of a slot runs with the job's own environment");
  }
  return out;
}

function readEnv(v: unknown): Record<string, string> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad('env', 'type', 'an object of NAME: "value" pairs', `env must be an object of NAME: "value" pairs, got ${typeName(v)}`);
  const env: Record<string, string> = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (!ENV_NAME_RE.test(k)) {
      throw bad(`env.${k}`, 'envName', 'an environment variable name', `env: ${JSON.stringify(k)} is not an environment variable name (a letter or '_', then letters, digits, '_', '.' or '-')`);
    }
    if (typeof val !== 'string') throw bad(`env.${k}`, 'type', 'a string', `env.${k} must be a string, got ${typeName(val)}`);
    env[k] = val;
  }
  return env;
}

async function getJob(store: Store, namespace: string | undefined, name: string): Promise<Job> {
  const s = await store.get<Job>(JOB, namespace, name);
  if (!s) throw new ApiError('NotFound', `job "${name}" not found in namespace "${namespace ?? 'default'}"`);
  return s.object;
}

export async function serveRun(store: Store, req: IncomingMessage, res: ServerResponse, namespace: string | undefined, name: string, now: Date = new Date()): Promise<void> {
  const body = await readRunBody(req);
  const job = await getJob(store, namespace, name);
  // a run starts the job's template: it must still be allowed by the namespace as it is now
  await refuseDisallowed(store, [job], false);
  if (body.slot === undefined) {
    const o = await startManualRun(store, job, { id: body.id, env: body.env });
    return sendJson(res, o.action === 'created' ? 201 : 200, o.run);
  }
  const slot = checkSlot(job, body.slot, now);
  const [o] = await startSlotRuns(store, job, [slot]);
  if (o!.action === 'unchanged') {
    const state = o!.run.status?.state ?? 'Pending';
    const message = `jobrun "${o!.run.metadata.name}" of slot ${isoInstant(slot)} is ${state}: a slot runs once`;
    throw new ApiError('Conflict', message, [{ field: 'slot', rule: 'once', message: `its run is ${state}: a slot runs once` }]);
  }
  sendJson(res, o!.action === 'created' ? 201 : 200, o!.run);
}

export async function serveSuspend(store: Store, req: IncomingMessage, res: ServerResponse, namespace: string | undefined, name: string): Promise<void> {
  const body = await readBody(req, 'suspend', ['note'], '{"note": "until the database migration is done"}');
  const note = body.note;
  if (note !== undefined && (typeof note !== 'string' || note.length < 1 || note.length > SUSPEND_NOTE_MAX)) {
    const got = typeof note === 'string' ? `${note.length} characters` : typeName(note);
    throw bad('note', 'length', `a string of 1 to ${SUSPEND_NOTE_MAX} characters`, `note must be a string of 1 to ${SUSPEND_NOTE_MAX} characters, got ${got}`);
  }
  sendJson(res, 200, (await suspendJob(store, namespace, name, note as string | undefined)).job);
}

export async function serveResume(store: Store, req: IncomingMessage, res: ServerResponse, namespace: string | undefined, name: string): Promise<void> {
  await readBody(req, 'resume', [], '{}');
  sendJson(res, 200, (await resumeJob(store, namespace, name)).job);
}

export async function serveBackfill(store: Store, req: IncomingMessage, res: ServerResponse, namespace: string | undefined, name: string, now: Date = new Date()): Promise<void> {
  const body = await readBody(req, 'backfill', ['from', 'to'], '{"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"}');
  for (const f of ['from', 'to']) {
    if (body[f] === undefined) throw bad(f, 'required', 'is required', `${f} is required: ${f === 'from' ? 'the oldest' : 'the newest'} instant of the range to backfill (ISO 8601 or unix seconds)`);
  }
  const from = instant(body, 'from');
  const to = instant(body, 'to');
  const job = await getJob(store, namespace, name);
  await refuseDisallowed(store, [job], false);
  const slots = backfillSlots(job, from, to, now);
  const outcomes = await startSlotRuns(store, job, slots);
  sendJson(res, 200, {
    runs: outcomes.map((o, i) => ({ name: o.run.metadata.name, slot: slots[i]!.toISOString(), action: o.action, state: o.run.status?.state ?? 'Pending' })),
  });
}

export async function serveMarkSuccess(store: Store, req: IncomingMessage, res: ServerResponse, namespace: string | undefined, name: string): Promise<void> {
  await readBody(req, 'mark-success', [], '{}');
  sendJson(res, 200, (await markRunSucceeded(store, namespace, name)).run);
}
