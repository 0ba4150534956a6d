import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseManifests, toYaml, toYamlDocuments } from './yaml.js';
import { ApiError } from './errors.js';

function badRequest(text: string, limits = {}): string {
  try {
    parseManifests(text, 'app.yaml', limits);
  } catch (e) {
    assert.ok(e instanceof ApiError);
    assert.equal(e.code, 'BadRequest');
    assert.equal(e.details[0]!.message, e.message);
    return e.message;
  }
  assert.fail('expected parseManifests to throw');
}

test('multi-document, empty documents skipped', () => {
  const text = '---\n# nothing here\n---\nkind: Service\nmetadata: {name: a}\n---\n---\nkind: Job\n...\n';
  assert.deepEqual(parseManifests(text, 'x'), [
    { kind: 'Service', metadata: { name: 'a' } },
    { kind: 'Job' },
  ]);
  assert.deepEqual(parseManifests('', 'x'), []);
  assert.deepEqual(parseManifests('# only a comment\n', 'x'), []);
});

test('JSON is YAML', () => {
  assert.deepEqual(parseManifests('{"kind": "Service", "spec": {"instances": 2}}', 'x'), [{ kind: 'Service', spec: { instances: 2 } }]);
});

test('kind: List is unwrapped', () => {
  const text = 'apiVersion: stowage/v1\nkind: List\nitems:\n- {kind: Service}\n- {kind: Job}\n---\nkind: Namespace\n';
  assert.deepEqual(parseManifests(text, 'x'), [{ kind: 'Service' }, { kind: 'Job' }, { kind: 'Namespace' }]);
  assert.equal(badRequest('kind: List\nitems: 3\n'), 'app.yaml: document 1: a List needs items, a list of objects');
  assert.equal(
    badRequest('kind: List\nitems: [1]\n'),
    'app.yaml: document 1: items[0]: must be a mapping (apiVersion, kind, metadata, spec), got a number',
  );
});

test('YAML 1.2 core schema: yes stays a string, dates stay strings', () => {
  assert.deepEqual(parseManifests('a: yes\nb: 2026-01-01\nc: "0x10"\n', 'x'), [{ a: 'yes', b: '2026-01-01', c: '0x10' }]);
});

/** [text, message] with 1-based line and column */
const MALFORMED: [string, string][] = [
  ['kind: Service\nspec:\n  instances: 2\n   image: x\n', 'app.yaml: line 4, column 9: bad indentation of a mapping entry'],
  ['a: 1\n  b: 2\n', 'app.yaml: line 2, column 4: bad indentation of a mapping entry'],
  ['kind: Service\nkind: Job\n', 'app.yaml: line 2, column 1: duplicated mapping key'],
  ['a: *nope\n', 'app.yaml: line 1, column 5: unidentified alias "nope"'],
  ['x:\n\t- a\n', 'app.yaml: line 2, column 1: tab characters must not be used in indentation'],
  ['a: !!js/function "x"\n', 'app.yaml: line 1, column 4: unknown scalar tag !<tag:yaml.org,2002:js/function>'],
];

for (const [text, message] of MALFORMED) {
  test(`malformed: ${message}`, () => {
    assert.equal(badRequest(text), message);
  });
}

test('a document that is not a mapping is refused', () => {
  assert.equal(badRequest('kind: A\n---\n- a\n- b\n'), 'app.yaml: document 2: must be a mapping (apiVersion, kind, metadata, spec), got a list');
  assert.equal(badRequest('just text\n'), 'app.yaml: document 1: must be a mapping (apiVersion, kind, metadata, spec), got a string');
  assert.equal(badRequest('42\n'), 'app.yaml: document 1: must be a mapping (apiVersion, kind, metadata, spec), got a number');
});

function laughs(levels: number): string {
  let s = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  let prev = 'a';
  for (const l of 'bcdefghijk'.slice(0, levels)) {
    s += `${l}: &${l} [${Array(9).fill(`*${prev}`).join(',')}]\n`;
    prev = l;
  }
  return s;
}

test('billion laughs is refused, quickly', () => {
  const t0 = Date.now();
  assert.equal(
    badRequest(laughs(8)),
    'app.yaml: document 1: too big with aliases expanded (over 1000000 nodes); alias bombs are refused',
  );
  assert.ok(Date.now() - t0 < 2000);
});

test('modest alias use is fine', () => {
  const docs = parseManifests('base: &b {image: x, mem: 32}\none: *b\ntwo: *b\n', 'x') as Array<Record<string, unknown>>;
  assert.deepEqual(docs[0]!.two, { image: 'x', mem: 32 });
  assert.equal(badRequest(laughs(3), { maxExpandedNodes: 1000 }), 'app.yaml: document 1: too big with aliases expanded (over 1000 nodes); alias bombs are refused');
});

test('too many aliases, recursive aliases, deep nesting, too many documents', () => {
  assert.match(badRequest(`a: &a 1\nb: [${Array(5).fill('*a').join(',')}]\n`, { maxAliases: 4 }), /^app\.yaml: line 2, column \d+: aliases exceeded maxAliases \(4\)$/);
  assert.equal(badRequest('a: &a [*a]\n'), 'app.yaml: document 1: an alias refers to a node that contains it (recursive alias)');
  assert.match(badRequest('['.repeat(100) + ']'.repeat(100)), /^app\.yaml: line 1, column \d+: nesting exceeded maxDepth \(64\)$/);
  assert.equal(badRequest('{a: 1}\n---\n{a: 2}\n---\n{a: 3}\n', { maxDocuments: 2 }), 'app.yaml: more than 2 documents');
});

test('toYaml prints block YAML that parses back', () => {
  const obj = { apiVersion: 'stowage/v1', kind: 'Service', metadata: { name: 'a' }, spec: { env: { A: 'yes', N: '1' }, constraints: [['hostname', 'UNIQUE']] } };
  const text = toYaml(obj);
  assert.match(text, /^apiVersion: stowage\/v1\nkind: Service\n/);
  assert.deepEqual(parseManifests(text, 'x'), [obj]);
  assert.deepEqual(parseManifests(toYamlDocuments([obj, obj]), 'x'), [obj, obj]);
});
