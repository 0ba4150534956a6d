import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConstraint, parseConstraints, checkConstraint, formatConstraint } from './constraints.js';
import { ApiError } from './errors.js';

test('valid constraints parse', () => {
  assert.deepEqual(parseConstraint(['hostname', 'UNIQUE'], 'p'), { field: 'hostname', op: 'UNIQUE' });
  assert.deepEqual(parseConstraint(['rack', 'CLUSTER', 'r1'], 'p'), { field: 'rack', op: 'CLUSTER', value: 'r1' });
  assert.deepEqual(parseConstraint(['rack', 'GROUP_BY'], 'p'), { field: 'rack', op: 'GROUP_BY' });
  assert.deepEqual(parseConstraint(['rack', 'GROUP_BY', '3'], 'p'), { field: 'rack', op: 'GROUP_BY', value: '3', n: 3 });
  assert.deepEqual(parseConstraint(['rack', 'MAX_PER', 2], 'p'), { field: 'rack', op: 'MAX_PER', value: '2', n: 2 });
  assert.deepEqual(parseConstraint(['zone', 'IS', 'a'], 'p'), { field: 'zone', op: 'IS', value: 'a' });
  assert.deepEqual(parseConstraint(['topology.stowage/zone', 'IS', 'a'], 'p').field, 'topology.stowage/zone');
});

test('LIKE and UNLIKE match the whole value', () => {
  const like = parseConstraint(['hostname', 'LIKE', 'node-[12]'], 'p');
  assert.equal(like.regex!.test('node-1'), true);
  assert.equal(like.regex!.test('node-12'), false);
  assert.equal(like.regex!.test('xnode-1'), false);
  const alt = parseConstraint(['rack', 'UNLIKE', 'a|b'], 'p');
  assert.equal(alt.regex!.test('a'), true);
  assert.equal(alt.regex!.test('ab'), false, 'alternation is anchored as a whole');
});

/** [constraint, rule, message] */
const BAD: [unknown, string, string][] = [
  ['hostname', 'constraint', 'must be [field, OPERATOR] or [field, OPERATOR, value]'],
  [['hostname'], 'constraint', 'must be [field, OPERATOR] or [field, OPERATOR, value]'],
  [['a', 'IS', 'b', 'c'], 'constraint', 'must be [field, OPERATOR] or [field, OPERATOR, value]'],
  [[1, 'UNIQUE'], 'constraint', 'must be [field, OPERATOR] or [field, OPERATOR, value]'],
  [['a', 'IS', {}], 'constraint', 'must be [field, OPERATOR] or [field, OPERATOR, value]; the value must be a string'],
  [['', 'UNIQUE'], 'constraintField', 'field must be "hostname" or an attribute name, got ""'],
  [['a b', 'UNIQUE'], 'constraintField', 'field must be "hostname" or an attribute name, got "a b"'],
  [['hostname', 'unique'], 'constraintOperator', 'unknown operator "unique"; did you mean "UNIQUE"? (one of UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER, IS)'],
  [['hostname', 'EQUALS'], 'constraintOperator', 'unknown operator "EQUALS" (one of UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER, IS)'],
  [['hostname', 'UNIQUE', 'x'], 'UNIQUE', 'UNIQUE takes no value, got "x"'],
  [['rack', 'CLUSTER'], 'CLUSTER', 'CLUSTER takes a value, got none'],
  [['rack', 'CLUSTER', ''], 'CLUSTER', 'CLUSTER takes a value, got none'],
  [['rack', 'IS'], 'IS', 'IS takes a value, got none'],
  [['rack', 'GROUP_BY', 'x'], 'GROUP_BY', 'GROUP_BY takes an optional positive integer, got "x"'],
  [['rack', 'GROUP_BY', '0'], 'GROUP_BY', 'GROUP_BY takes an optional positive integer, got "0"'],
  [['rack', 'GROUP_BY', '1.5'], 'GROUP_BY', 'GROUP_BY takes an optional positive integer, got "1.5"'],
  [['rack', 'MAX_PER'], 'MAX_PER', 'MAX_PER takes a positive integer, got none'],
  [['rack', 'MAX_PER', '-1'], 'MAX_PER', 'MAX_PER takes a positive integer, got "-1"'],
  [['rack', 'LIKE'], 'LIKE', 'LIKE takes a regular expression, got none'],
  [['rack', 'LIKE', '('], 'LIKE', 'LIKE takes a regular expression, "(" does not compile: Unterminated group'],
  [['rack', 'UNLIKE', '[a'], 'UNLIKE', 'UNLIKE takes a regular expression, "[a" does not compile: Unterminated character class'],
  [['rack', 'LIKE', 'a'.repeat(513)], 'LIKE', 'LIKE takes a regular expression of at most 512 characters, got 513'],
];

for (const [c, rule, message] of BAD) {
  test(`bad constraint ${JSON.stringify(c).slice(0, 60)}`, () => {
    assert.throws(
      () => parseConstraint(c, 'spec.constraints[1]'),
      (e: unknown) => {
        assert.ok(e instanceof ApiError);
        assert.equal(e.code, 'Invalid');
        assert.equal(e.message, `spec.constraints[1]: ${message}`);
        assert.deepEqual(e.details, [{ field: 'spec.constraints[1]', rule, message }]);
        return true;
      },
    );
    assert.equal(checkConstraint(c).ok, false);
  });
}

test('parseConstraints lists every bad one', () => {
  assert.throws(
    () => parseConstraints([['hostname', 'UNIQUE'], ['rack', 'MAX_PER'], ['x', 'NOPE']]),
    (e: unknown) => {
      assert.ok(e instanceof ApiError);
      assert.deepEqual(
        e.details.map((d) => d.field),
        ['spec.constraints[1]', 'spec.constraints[2]'],
      );
      return true;
    },
  );
  assert.equal(parseConstraints(undefined).length, 0);
});

test('formatConstraint', () => {
  assert.equal(formatConstraint(['hostname', 'UNIQUE']), 'hostname UNIQUE');
  assert.equal(formatConstraint(parseConstraint(['rack', 'GROUP_BY', 3], 'p')), 'rack GROUP_BY 3');
});
