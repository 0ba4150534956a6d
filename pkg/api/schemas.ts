/**
 * The JSON Schemas of manifests/schemas/, compiled once with ajv (allErrors,
 * verbose so errors carry the schema they failed, for "did you mean" hints).
 */
import { Ajv, type ValidateFunction } from 'ajv';
import common from '../../manifests/schemas/common.json' with { type: 'json' };
import namespace from '../../manifests/schemas/namespace.json' with { type: 'json' };
import node from '../../manifests/schemas/node.json' with { type: 'json' };
import service from '../../manifests/schemas/service.json' with { type: 'json' };
import job from '../../manifests/schemas/job.json' with { type: 'json' };
import jobrun from '../../manifests/schemas/jobrun.json' with { type: 'json' };
import task from '../../manifests/schemas/task.json' with { type: 'json' };
import event from '../../manifests/schemas/event.json' with { type: 'json' };
import secret from '../../manifests/schemas/secret.json' with { type: 'json' };

/** Kind -> its schema document. */
export const SCHEMAS: Readonly<Record<string, object>> = {
  Namespace: namespace,
  Node: node,
  Service: service,
  Job: job,
  JobRun: jobrun,
  Task: task,
  Event: event,
  Secret: secret,
};
export const COMMON_SCHEMA: object = common;

// strictTuples off: a constraint is a tuple whose third item is optional.
let compiled: Map<string, ValidateFunction> | undefined;

function compile(): Map<string, ValidateFunction> {
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictTuples: false, allowUnionTypes: true });
  ajv.addSchema(common);
  const out = new Map<string, ValidateFunction>();
  for (const [kind, schema] of Object.entries(SCHEMAS)) out.set(kind, ajv.compile(schema));
  return out;
}

/** Compile every schema now (a server, before it serves: its first write would otherwise wait ~0.3 s for it). */
export function compileSchemas(): void {
  compiled ??= compile();
}

/** The compiled validator of a kind, or undefined for an unknown kind. */
export function schemaValidator(kind: string): ValidateFunction | undefined {
  compiled ??= compile();
  return compiled.get(kind);
}
