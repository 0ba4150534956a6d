/**
 * Validation of user-written resources: everything `apply`, `create` and
 * `PUT` accept goes through here.
 *
 *   raw object -> apiVersion + kind known? -> JSON Schema (ajv, all errors)
 *              -> cross-field checks (checks.ts) -> defaults (defaults.ts)
 *
 * Error codes:
 *   BadRequest  we cannot tell what the document is: not a mapping,
 *               apiVersion is not stowage/v1, kind missing or unknown
 *   Invalid     the kind is known and fields break its rules (422)
 * Each failing field is one ErrorDetail {field, rule, message}.
 */
import { ApiError, type ErrorCode, type ErrorDetail } from './errors.js';
import { KINDS, lookupKind } from './kinds.js';
import { API_VERSION, type AnyResource } from './types.js';
import { applyDefaults } from './defaults.js';
import { crossFieldDetails } from './checks.js';
import { describeObject } from './names.js';
import { schemaValidator } from './schemas.js';
import { schemaErrorDetails } from './schema-errors.js';
import { didYouMean } from './suggest.js';

/** A detail of validateMany: also which document and object it is about. */
export interface ManifestErrorDetail extends ErrorDetail {
  /** 1-based position in the batch. */
  document: number;
  /** `Service "hello"`. */
  object: string;
}

const KIND_NAMES = KINDS.map((k) => k.kind);

type Outcome =
  | { ok: true; obj: AnyResource }
  | { ok: false; code: ErrorCode; details: ErrorDetail[] };

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** apiVersion and kind, so we know which schema applies. */
function identify(o: Record<string, unknown>): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  if (o.apiVersion === undefined) details.push({ field: 'apiVersion', rule: 'required', message: `is required (${API_VERSION})` });
  else if (o.apiVersion !== API_VERSION)
    details.push({
      field: 'apiVersion',
      rule: 'apiVersion',
      message: `must be "${API_VERSION}", got ${JSON.stringify(o.apiVersion)}`,
    });
  const known = `known kinds: ${KIND_NAMES.join(', ')}`;
  if (o.kind === undefined) details.push({ field: 'kind', rule: 'required', message: `is required (${known})` });
  else if (typeof o.kind !== 'string' || !KIND_NAMES.includes(o.kind)) {
    const k = String(o.kind);
    // `service` or `svc` -> suggest the kind itself.
    const alias = typeof o.kind === 'string' ? lookupKind(o.kind)?.kind : undefined;
    const hint = alias !== undefined ? `; did you mean "${alias}"?` : didYouMean(k, KIND_NAMES);
    details.push({ field: 'kind', rule: 'kind', message: `unknown kind ${JSON.stringify(o.kind)}${hint} (${known})` });
  }
  return details;
}

function check(input: unknown): Outcome {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    const message = `must be a mapping with apiVersion, kind, metadata and spec, got ${typeName(input)}`;
    return { ok: false, code: 'BadRequest', details: [{ field: '', rule: 'type', message }] };
  }
  const o = input as Record<string, unknown>;
  const idErrors = identify(o);
  if (idErrors.length > 0) return { ok: false, code: 'BadRequest', details: idErrors };
  const validate = schemaValidator(o.kind as string)!;
  const details = validate(o) ? [] : schemaErrorDetails(validate.errors ?? [], o);
  details.push(...crossFieldDetails(o));
  sortBySection(details);
  if (details.length > 0) return { ok: false, code: 'Invalid', details };
  const { status: _ignored, ...rest } = o;
  return { ok: true, obj: applyDefaults(rest as unknown as AnyResource) };
}

const SECTIONS = ['', 'apiVersion', 'kind', 'metadata', 'spec', 'status'];

/** Stable sort: metadata before spec, whether the schema or code found it. */
function sortBySection(details: ErrorDetail[]): void {
  const rank = (d: ErrorDetail): number => {
    const i = SECTIONS.indexOf(d.field.split(/[.[]/, 1)[0]!);
    return i < 0 ? SECTIONS.length : i;
  };
  details.sort((a, b) => rank(a) - rank(b));
}

/** Messages list this many failures, then "(and N more)"; details always carry all. */
export const MAX_MESSAGE_FAILURES = 50;

function joinFailures(parts: string[]): string {
  const shown = parts.slice(0, MAX_MESSAGE_FAILURES).join('; ');
  return parts.length > MAX_MESSAGE_FAILURES ? `${shown}; (and ${parts.length - MAX_MESSAGE_FAILURES} more)` : shown;
}

/** `spec.instances: must be >= 0`, or the bare message for the whole object. */
export function formatDetail(d: ErrorDetail): string {
  return d.field === '' ? d.message : `${d.field}: ${d.message}`;
}

/**
 * Validate one object. Returns a NEW object with defaults applied and
 * `status` dropped (users may paste `get -o yaml` output; status is the
 * system's). Throws ApiError BadRequest or Invalid whose message names the
 * object: `Service "acc-bad": spec.instances: must be >= 0; spec.image: is required`.
 */
export function validateObject(obj: unknown): AnyResource {
  const r = check(obj);
  if (r.ok) return r.obj;
  throw new ApiError(r.code, `${describeObject(obj)}: ${joinFailures(r.details.map(formatDetail))}`, r.details);
}

/**
 * Validate a batch (one apply). Returns the defaulted objects, or throws ONE
 * ApiError listing every failure of every document: details keep `field`
 * and carry `document` and `object`; their message reads
 * `document 2 (Service "acc-bad"): spec.instances: must be >= 0`.
 * The same kind/namespace/name twice is an error too. Code: Invalid if any
 * document is Invalid, else BadRequest.
 * `positions[i]` replaces "document i+1" in messages (e.g. "hello.yaml document 2").
 */
export function validateMany(objs: readonly unknown[], positions?: readonly string[]): AnyResource[] {
  const out: AnyResource[] = [];
  const details: ManifestErrorDetail[] = [];
  const failed = new Set<number>();
  let code: ErrorCode = 'BadRequest';
  const seen = new Map<string, number>();
  objs.forEach((input, i) => {
    const where = positions?.[i] ?? `document ${i + 1}`;
    const object = describeObject(input);
    const add = (d: ErrorDetail): void => {
      failed.add(i);
      details.push({ ...d, document: i + 1, object, message: `${where} (${object}): ${formatDetail(d)}` });
    };
    const r = check(input);
    if (!r.ok) {
      if (r.code === 'Invalid') code = 'Invalid';
      r.details.forEach(add);
      return;
    }
    const m = r.obj.metadata;
    const key = `${r.obj.kind}/${m.namespace ?? ''}/${m.name}`;
    const first = seen.get(key);
    if (first !== undefined) {
      code = 'Invalid';
      const firstWhere = positions?.[first] ?? `document ${first + 1}`;
      const ns = m.namespace !== undefined ? ` in namespace "${m.namespace}"` : '';
      add({ field: 'metadata.name', rule: 'duplicate', message: `duplicates ${firstWhere}: the same ${r.obj.kind}${ns} twice in one batch` });
      return;
    }
    seen.set(key, i);
    out.push(r.obj);
  });
  if (details.length === 0) return out;
  const n = objs.length;
  const summary = `${failed.size} of ${n} document${n === 1 ? '' : 's'} ${failed.size === 1 ? 'is' : 'are'} invalid`;
  throw new ApiError(code, `${summary}: ${joinFailures(details.map((d) => d.message))}`, details);
}
