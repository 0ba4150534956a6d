import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SCHEMAS, COMMON_SCHEMA, schemaValidator } from './schemas.js';
import { KINDS } from './kinds.js';

type Schema = { properties?: Record<string, Schema>; required?: string[]; definitions?: Record<string, Schema> };
const defs = (COMMON_SCHEMA as Schema).definitions!;
const specOf = (kind: string): Schema => (SCHEMAS[kind] as Schema).properties!.spec!;

test('one schema per kind, all compile', () => {
  assert.deepEqual(Object.keys(SCHEMAS).sort(), KINDS.map((k) => k.kind).sort());
  for (const k of KINDS) assert.ok(schemaValidator(k.kind), k.kind);
  assert.equal(schemaValidator('Nope'), undefined);
});

test('Service, Job and Task specs list every task template property, with the same schema', () => {
  const template = defs.taskTemplate!.properties!;
  for (const kind of ['Service', 'Job', 'Task']) {
    const props = specOf(kind).properties!;
    for (const [name, schema] of Object.entries(template)) {
      const local = JSON.stringify(schema).replace('"#/definitions/', '"common.json#/definitions/');
      assert.equal(JSON.stringify(props[name]), local, `${kind}.spec.${name}`);
    }
    assert.deepEqual(specOf(kind).required, ['image'], kind);
  }
});

test('both metadata definitions have the same fields', () => {
  assert.deepEqual(Object.keys(defs.metadata!.properties!), Object.keys(defs.metadataDottedName!.properties!));
});

test('every kind accepts any status and rejects unknown top-level fields', () => {
  for (const k of KINDS) {
    const s = SCHEMAS[k.kind] as Schema & { additionalProperties?: boolean };
    assert.equal(s.additionalProperties, false, k.kind);
    assert.ok(s.properties!.status, k.kind);
  }
});

test('Node spec fields are all optional', () => {
  assert.equal(specOf('Node').required, undefined);
});
