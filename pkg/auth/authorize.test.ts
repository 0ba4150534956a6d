import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_VERBS, authorize, READ_VERBS, WRITE_VERBS, type AuthzRequest, type Verb } from './authorize.js';
import type { Principal } from './principal.js';
import { visibleTo } from './scope.js';

const admin: Principal = { user: 'alice', role: 'admin' };
const operator: Principal = { user: 'bob', role: 'operator', namespaces: ['a'] };
const viewer: Principal = { user: 'carol', role: 'viewer', namespaces: ['a'] };
const node: Principal = { user: 'node-1', role: 'node' };
const everyOperator: Principal = { user: 'dan', role: 'operator' };

const NAMESPACED = ['services', 'jobs', 'jobruns', 'tasks', 'events', 'secrets', 'endpoints'];
const CLUSTER = ['namespaces', 'nodes'];
const ROUTES = ['servers', 'sd'];
const VERBS: Verb[] = [...READ_VERBS, ...WRITE_VERBS, ...ADMIN_VERBS];
const read = (v: Verb) => (READ_VERBS as readonly string[]).includes(v);
const write = (v: Verb) => (WRITE_VERBS as readonly string[]).includes(v);

/** The expected answer, written out role by role (the table the docs show). */
function expected(p: Principal, r: AuthzRequest): boolean {
  const cluster = CLUSTER.includes(r.kind) || ROUTES.includes(r.kind);
  const mine = cluster || r.namespace === undefined || p.namespaces === undefined || p.namespaces.includes(r.namespace);
  switch (p.role) {
    case 'admin':
      return mine;
    case 'operator':
      return mine && (cluster ? read(r.verb) : read(r.verb) || write(r.verb));
    case 'viewer':
      return mine && read(r.verb) && r.kind !== 'secrets';
    case 'node':
      if (cluster) return (read(r.verb) && !ROUTES.includes(r.kind)) || (r.kind === 'nodes' && ['create', 'update', 'apply'].includes(r.verb) && r.name === p.user);
      return r.kind === 'endpoints' && read(r.verb);
  }
}

describe('authorize: each role against each verb and kind', () => {
  for (const p of [admin, operator, viewer, node, everyOperator]) {
    it(`${p.role}${p.namespaces ? ` of ${p.namespaces.join(',')}` : ''}`, () => {
      let n = 0;
      for (const verb of VERBS) {
        for (const kind of NAMESPACED) {
          for (const namespace of ['a', 'b', undefined]) {
            // get, update, delete and the subresources always name a namespace; list and watch may not
            if (namespace === undefined && verb !== 'list' && verb !== 'watch') continue;
            const r: AuthzRequest = { verb, kind, namespace, name: 'x' };
            assert.equal(authorize(p, r).allowed, expected(p, r), JSON.stringify(r));
            n++;
          }
        }
        for (const kind of [...CLUSTER, ...ROUTES]) {
          for (const name of ['node-1', 'node-2']) {
            const r: AuthzRequest = { verb, kind, name };
            assert.equal(authorize(p, r).allowed, expected(p, r), JSON.stringify(r));
            n++;
          }
        }
      }
      assert.ok(n > 300);
    });
  }

  it('spot checks the rules by name', () => {
    const ok = (p: Principal, r: AuthzRequest) => authorize(p, r).allowed;
    assert.equal(ok(viewer, { verb: 'logs', kind: 'tasks', namespace: 'a' }), true);
    assert.equal(ok(viewer, { verb: 'get', kind: 'secrets', namespace: 'a' }), false, 'a viewer never reads secrets');
    assert.equal(ok(operator, { verb: 'get', kind: 'secrets', namespace: 'a' }), true);
    assert.equal(ok(operator, { verb: 'update', kind: 'nodes', name: 'n' }), false, 'cordon is a cluster-scoped write');
    assert.equal(ok(operator, { verb: 'drain', kind: 'nodes', name: 'n' }), false);
    assert.equal(ok(admin, { verb: 'drain', kind: 'nodes', name: 'n' }), true);
    assert.equal(ok(node, { verb: 'update', kind: 'nodes', name: 'node-1' }), true, 'its own Node');
    assert.equal(ok(node, { verb: 'update', kind: 'nodes', name: 'node-2' }), false);
    assert.equal(ok(node, { verb: 'delete', kind: 'nodes', name: 'node-1' }), false);
    assert.equal(ok(node, { verb: 'list', kind: 'tasks' }), false);
    assert.equal(ok(viewer, { verb: 'list', kind: 'nodes' }), true, 'the overview reads nodes');
    assert.equal(ok(viewer, { verb: 'list', kind: 'services' }), true, 'every namespace: allowed, then narrowed');
    assert.equal(ok({ user: 'x', role: 'admin', namespaces: ['a'] }, { verb: 'get', kind: 'services', namespace: 'b' }), false);
  });

  it('a refusal names the user, role, verb, kind and namespace', () => {
    const no = (p: Principal, r: AuthzRequest) => {
      const d = authorize(p, r);
      assert.equal(d.allowed, false);
      return d.allowed ? '' : d.message;
    };
    assert.equal(no(operator, { verb: 'create', kind: 'services', namespace: 'b', name: 'evil' }), 'user bob (operator of a) may not create services in namespace b (bob acts only in namespace a)');
    assert.equal(no(viewer, { verb: 'delete', kind: 'services', namespace: 'a' }), 'user carol (viewer of a) may not delete services in namespace a (a viewer may only get, list, watch and read logs)');
    assert.equal(no(viewer, { verb: 'list', kind: 'secrets', namespace: 'a' }), 'user carol (viewer of a) may not list secrets in namespace a (secrets: operator or admin only)');
    assert.equal(no(operator, { verb: 'create', kind: 'namespaces', name: 'c' }), 'user bob (operator of a) may not create namespaces (namespaces are cluster-scoped: admin only)');
    assert.equal(no(node, { verb: 'list', kind: 'servers' }), 'user node-1 (node) may not list servers (a node token reads nodes and writes its own Node; the agent routes serve the rest)');
    assert.equal(no(admin, { verb: 'frobnicate' as Verb, kind: 'services', namespace: 'a' }), 'user alice (admin) may not frobnicate services in namespace a (unknown verb)');
  });
});

describe('visibleTo', () => {
  it('narrows namespaced principals, keeps cluster-scoped objects', () => {
    assert.equal(visibleTo(admin), undefined);
    const v = visibleTo(viewer)!;
    assert.deepEqual([v('a'), v('b'), v(undefined)], [true, false, true]);
    const two = visibleTo({ user: 'x', role: 'viewer', namespaces: ['a', 'c'] })!;
    assert.deepEqual([two('a'), two('b'), two('c')], [true, false, true]);
  });
});
