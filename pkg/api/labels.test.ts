import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSelector, matches, formatSelector, selectorFromLabels, labelKeyError, labelValueError } from './labels.js';
import { ApiError } from './errors.js';

const L = { app: 'web', tier: 'front', 'stowage/owner': 'service/hello', empty: '' };

/** [selector, matches L] */
const MATCH: [string, boolean][] = [
  ['', true],
  ['   ', true],
  ['app=web', true],
  ['app==web', true],
  ['app = web', true],
  ['app=db', false],
  ['app!=db', true],
  ['app!=web', false],
  ['missing!=x', true],
  ['app', true],
  ['missing', false],
  ['!missing', true],
  ['! app', false],
  ['app in (web,db)', true],
  ['app in ( db , web )', true],
  ['app in (db)', false],
  ['missing in (x)', false],
  ['app notin (db)', true],
  ['app notin (web)', false],
  ['missing notin (x)', true],
  ['app=web,tier=front', true],
  ['app=web,tier=back', false],
  ['app in (web,db),tier notin (back),!legacy', true],
  ['stowage/owner=service/hello', true],
  ['stowage/owner=service/other', false],
  ['empty=', true],
  ['empty', true],
  ['app=', false],
];

for (const [sel, want] of MATCH) {
  test(`selector "${sel}" ${want ? 'matches' : 'does not match'}`, () => {
    assert.equal(matches(parseSelector(sel), L), want);
  });
}

test('no labels at all', () => {
  assert.equal(matches(parseSelector('a!=b'), undefined), true);
  assert.equal(matches(parseSelector('a'), undefined), false);
});

test('parsed form', () => {
  assert.deepEqual(parseSelector('a=b, c in (x,y,x), !d, e notin (z), f!=g, h').requirements, [
    { key: 'a', op: 'Equals', values: ['b'] },
    { key: 'c', op: 'In', values: ['x', 'y'] },
    { key: 'd', op: 'DoesNotExist', values: [] },
    { key: 'e', op: 'NotIn', values: ['z'] },
    { key: 'f', op: 'NotEquals', values: ['g'] },
    { key: 'h', op: 'Exists', values: [] },
  ]);
});

test('format round-trips', () => {
  const s = 'a=b,c in (x,y),!d,e notin (z),f!=g,h';
  assert.equal(formatSelector(parseSelector(s)), s);
  assert.equal(formatSelector(selectorFromLabels({ a: 'b', c: 'd' })), 'a=b,c=d');
});

const BAD: [string, string][] = [
  ['a=b,', 'invalid label selector "a=b,": term "": empty term'],
  ['a=b,,c', 'invalid label selector "a=b,,c": term "": empty term'],
  ['a in x', 'invalid label selector "a in x": term "a in x": expected "(" after in/notin'],
  ['a in', 'invalid label selector "a in": term "a in": expected "(" after in/notin'],
  ['a in (x', 'invalid label selector "a in (x": missing ")"'],
  ['a in x)', 'invalid label selector "a in x)": unbalanced ")"'],
  ['a in ()', 'invalid label selector "a in ()": term "a in ()": "in" needs at least one value in parentheses'],
  [
    'a b',
    'invalid label selector "a b": term "a b": expected key, !key, key=value, key==value, key!=value, key in (v1,...) or key notin (v1,...)',
  ],
  ['a=b=c', 'invalid label selector "a=b=c": term "a=b=c": expected key, !key, key=value, key==value, key!=value, key in (v1,...) or key notin (v1,...)'],
  [
    '-a=b',
    'invalid label selector "-a=b": term "-a=b": invalid label key "-a": name part must consist of letters, digits, \'-\', \'_\' or \'.\', and must start and end with a letter or digit',
  ],
  [
    'a=-b',
    'invalid label selector "a=-b": term "a=-b": invalid label value "-b": must be empty or consist of letters, digits, \'-\', \'_\', \'.\' or \'/\', and start and end with a letter or digit',
  ],
];

for (const [sel, message] of BAD) {
  test(`bad selector "${sel}"`, () => {
    assert.throws(
      () => parseSelector(sel),
      (e: unknown) => {
        assert.ok(e instanceof ApiError);
        assert.equal(e.code, 'BadRequest');
        assert.equal(e.message, message);
        assert.deepEqual(e.details, [{ field: 'labelSelector', rule: 'labelSelector', message }]);
        return true;
      },
    );
  });
}

test('label keys', () => {
  assert.equal(labelKeyError('app'), undefined);
  assert.equal(labelKeyError('stowage/owner'), undefined);
  assert.equal(labelKeyError('example.com/My_Key.1'), undefined);
  assert.equal(labelKeyError(''), 'label key must not be empty');
  assert.equal(labelKeyError('/a'), 'invalid label key "/a": prefix part must not be empty');
  assert.equal(labelKeyError('a/'), 'invalid label key "a/": name part must not be empty');
  assert.equal(labelKeyError('x'.repeat(64)), `invalid label key "${'x'.repeat(64)}": name part must be no more than 63 characters`);
  assert.equal(labelKeyError(`${'a'.repeat(254)}/b`), `invalid label key "${'a'.repeat(254)}/b": prefix part must be no more than 253 characters`);
  assert.match(labelKeyError('a/b/c')!, /name part must consist/);
});

test('label values', () => {
  for (const ok of ['', 'a', 'service/hello', 'jobrun/report-1764000000', 'A.b_c-d']) assert.equal(labelValueError(ok), undefined, ok);
  assert.match(labelValueError('a b')!, /^invalid label value "a b": must be empty or consist of/);
  assert.match(labelValueError('/a')!, /^invalid label value/);
  assert.match(labelValueError('x'.repeat(64))!, /must be no more than 63 characters/);
});
