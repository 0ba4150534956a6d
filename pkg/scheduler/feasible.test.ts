import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explain } from './explain.js';
import { check, compile, CONSTRAINT, FIXED_PORT, NO_CPU, NO_DISK, NO_MEM, NO_PORTS, OK } from './feasible.js';
import { place } from './place.js';
import { mkNode, mkReq, snap } from './testkit.js';

describe('check: each checker, first failure wins', () => {
  const node = mkNode('n', { cpus: 2, mem: 1024, disk: 100, ports: [[31000, 31002]], tasks: { 'default/old': { cpus: 0.5, mem: 0, disk: 0, ports: [31001] } } });
  const rows: [string, Parameters<typeof mkReq>[1], number][] = [
    ['fits', { cpus: 1.5, mem: 1024, disk: 100 }, OK],
    ['cpus are counted in millicpus', { cpus: 1.5000001, mem: 1 }, OK],
    ['cpus', { cpus: 1.6, mem: 1 }, NO_CPU],
    ['mem', { cpus: 1, mem: 1025 }, NO_MEM],
    ['disk', { cpus: 1, mem: 1, disk: 101 }, NO_DISK],
    ['cpu before mem', { cpus: 3, mem: 9999 }, NO_CPU],
    ['two free ports', { ports: [{ name: 'a' }, { name: 'b' }] }, OK],
    ['three ports, two free', { ports: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] }, NO_PORTS],
    ['fixed port free', { ports: [{ name: 'a', hostPort: 31002 }] }, OK],
    ['fixed port taken', { ports: [{ name: 'a', hostPort: 31001 }] }, FIXED_PORT],
    ['fixed port outside the ranges', { ports: [{ name: 'a', hostPort: 8080 }] }, FIXED_PORT],
    ['second fixed port taken', { ports: [{ name: 'a', hostPort: 31000 }, { name: 'b', hostPort: 31001 }] }, FIXED_PORT + 1],
    ['fixed + dynamic exceed the free ports', { ports: [{ name: 'a', hostPort: 31000 }, { name: 'b' }, { name: 'c' }] }, NO_PORTS],
    ['constraint', { constraints: [['zone', 'IS', 'a']] }, CONSTRAINT],
    ['second constraint', { constraints: [['hostname', 'IS', 'n'], ['zone', 'IS', 'a']] }, CONSTRAINT + 1],
  ];
  for (const [name, o, want] of rows) {
    it(name, () => {
      const s = snap([node]);
      assert.equal(check(s.node('n')!, compile(mkReq('t', o), s), s), want);
    });
  }
});

describe('node state', () => {
  it('NotReady and cordoned nodes are never picked, and are named', () => {
    const s = snap([mkNode('down', { state: 'NotReady' }), mkNode('cordoned', { unschedulable: true }), mkNode('small', { cpus: 1 })]);
    const r = place(mkReq('t', { cpus: 2 }), s);
    assert.deepEqual(r, {
      ok: false,
      failure: {
        reason: 'Unschedulable',
        summary: '0/3 nodes fit: 1 node not ready, 1 node cordoned, 1 insufficient cpus',
        counts: { 'node not ready': 1, 'node cordoned': 1, 'insufficient cpus': 1 },
      },
    });
  });
  it('status.cordoned counts as cordoned', () => {
    const n = mkNode('c');
    n.status!.cordoned = true;
    assert.equal(place(mkReq('t'), snap([n])).ok, false);
  });
});

describe('explain', () => {
  it('counts each node once by its first failing check, most frequent first', () => {
    const s = snap([
      mkNode('m1', { mem: 100 }),
      mkNode('m2', { mem: 100 }),
      mkNode('m3', { mem: 100 }),
      mkNode('u1', { tasks: {} }),
      mkNode('u2'),
    ]);
    // u1, u2 already hold a task of the owner.
    for (const n of ['u1', 'u2']) s.assume(mkReq(`old-${n}`, { owner: 'service/hello', mem: 1 }), n, {});
    const r = place(mkReq('t', { owner: 'service/hello', mem: 512, constraints: [['hostname', 'UNIQUE']] }), s);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.failure.summary, '0/5 nodes fit: 3 insufficient mem, 2 constraint hostname UNIQUE');
    assert.deepEqual(r.failure.counts, { 'insufficient mem': 3, 'constraint hostname UNIQUE': 2 });
  });
  it('ties keep the order the checks run in', () => {
    const s = snap([mkNode('a', { cpus: 0.5 }), mkNode('b', { mem: 10 })]);
    const f = explain(compile(mkReq('t', { cpus: 1, mem: 20 }), s), s);
    assert.equal(f.summary, '0/2 nodes fit: 1 insufficient cpus, 1 insufficient mem');
  });
  it('an empty cluster', () => {
    const s = snap([]);
    assert.equal(explain(compile(mkReq('t'), s), s).summary, '0/0 nodes fit');
  });
  it('ports are named', () => {
    const s = snap([mkNode('a', { ports: [[80, 80]] })]);
    const f = explain(compile(mkReq('t', { ports: [{ name: 'http', hostPort: 8080 }] }), s), s);
    assert.equal(f.summary, '0/1 nodes fit: 1 port 8080 unavailable');
  });
});

describe('port assignment', () => {
  it('fixed ports as asked, dynamic ones from the range, never twice', () => {
    const s = snap([mkNode('a', { ports: [[31000, 31003]] })]);
    const seen = new Set<number>();
    for (let i = 0; i < 2; i++) {
      const req = mkReq(`t${i}`, { ports: [{ name: 'http' }, ...(i === 0 ? [{ name: 'admin', hostPort: 31002 }] : [])] });
      const r = place(req, s);
      assert.ok(r.ok);
      if (!r.ok) return;
      if (i === 0) assert.equal(r.ports.admin, 31002);
      for (const p of Object.values(r.ports)) {
        assert.ok(p >= 31000 && p <= 31003 && p !== 31002 || (i === 0 && p === 31002), `port ${p}`);
        assert.ok(!seen.has(p), `port ${p} reused`);
        seen.add(p);
      }
      s.assume(req, r.node, r.ports);
    }
    assert.equal(s.node('a')!.ports.free, 1);
  });
  it('spans several ranges', () => {
    const s = snap([mkNode('a', { ports: [[100, 100], [200, 201]] })]);
    const req = mkReq('t', { ports: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] });
    const r = place(req, s);
    assert.ok(r.ok && new Set(Object.values(r.ports)).size === 3);
    assert.deepEqual(r.ok && Object.values(r.ports).sort(), [100, 200, 201]);
  });
  it('the same fixed port twice in one task is invalid', () => {
    const r = place(mkReq('t', { ports: [{ name: 'a', hostPort: 80 }, { name: 'b', hostPort: 80 }] }), snap([mkNode('a')]));
    assert.deepEqual(r.ok ? undefined : r.failure, { reason: 'InvalidRequest', summary: 'host port 80 requested twice', counts: {} });
  });
});
