/** Service ports: the range flag, the plan of claims (assign, keep, take over, release) and its refusals. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ApiError } from './errors.js';
import { parseServicePortRange, planServicePorts, type Claim, type PortItem } from './service-ports.js';
import type { PortSpec } from './types.js';

type Spec = { ports?: PortSpec[] };
const R = { begin: 10000, end: 10009 };
const item = (name: string, want: PortSpec[] | undefined, cur?: PortSpec[], namespace = 'default'): PortItem<Spec> => ({
  namespace,
  name,
  want: want && { ports: want },
  cur: cur && { ports: cur },
  where: `Service "${name}"`,
});
const claim = (name: string, port = 'http', rev = '7', namespace = 'default'): Claim => ({ holder: { namespace, name, port }, rev });
const refused = (f: () => unknown): ApiError => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof ApiError, String(e));
    return e;
  }
  assert.fail('expected a refusal');
};

describe('parseServicePortRange', () => {
  it('takes BEGIN-END and names the flag otherwise', () => {
    assert.deepEqual(parseServicePortRange('--service-port-range', '10000-10999'), { begin: 10000, end: 10999 });
    assert.deepEqual(parseServicePortRange('--service-port-range', '80-80'), { begin: 80, end: 80 });
    for (const bad of ['10999-10000', '0-10', '1-70000', '10000', 'a-b', '']) {
      assert.throws(() => parseServicePortRange('--service-port-range', bad), {
        message: `--service-port-range: "${bad}" must be BEGIN-END, ports from 1 to 65535 with BEGIN <= END (e.g. 10000-10999)`,
      });
    }
  });
});

describe('planServicePorts', () => {
  it('claims a new explicit port and assigns the lowest free ones for 0, skipping held and wanted ports', () => {
    const p = planServicePorts([item('web', [{ name: 'http', servicePort: 0 }, { name: 'admin', servicePort: 10001 }, { name: 'metrics' }])], { range: R, claims: new Map([[10000, claim('other')]]) });
    assert.deepEqual(p.specs[0]!.ports, [{ name: 'http', servicePort: 10002 }, { name: 'admin', servicePort: 10001 }, { name: 'metrics' }]);
    assert.deepEqual(p.ops[0], {
      claim: [
        { port: 10001, holder: { namespace: 'default', name: 'web', port: 'admin' } },
        { port: 10002, holder: { namespace: 'default', name: 'web', port: 'http' } },
      ],
      take: [],
      release: [],
    });
  });

  it('re-applying servicePort: 0 keeps the number the stored spec has for that port: nothing to write', () => {
    const cur = [{ name: 'http', servicePort: 10004 }];
    const p = planServicePorts([item('web', [{ name: 'http', servicePort: 0 }], cur)], { range: R, claims: new Map([[10004, claim('web')]]) });
    assert.deepEqual(p.specs[0]!.ports, cur);
    assert.deepEqual(p.ops[0], { claim: [], take: [], release: [] });
  });

  it('releases the ports a spec drops or changes, and all of a deleted one', () => {
    const cur = [{ name: 'http', servicePort: 10004 }, { name: 'admin', servicePort: 10005 }];
    const claims = new Map([[10004, claim('web')], [10005, claim('web', 'admin')]]);
    const p = planServicePorts([item('web', [{ name: 'http', servicePort: 10006 }, { name: 'admin' }], cur)], { range: R, claims });
    assert.deepEqual(p.ops[0], { claim: [{ port: 10006, holder: { namespace: 'default', name: 'web', port: 'http' } }], take: [], release: [10004, 10005] });
    const d = planServicePorts([item('web', undefined, cur)], { range: R, claims });
    assert.deepEqual(d.ops[0], { claim: [], take: [], release: [10004, 10005] });
  });

  it('refuses a port held by another service with 409, naming the holder and the field', () => {
    const e = refused(() => planServicePorts([item('web', [{ name: 'a' }, { name: 'http', servicePort: 10003 }])], { range: R, claims: new Map([[10003, claim('db', 'sql', '7', 'prod')]]) }));
    assert.equal(e.code, 'AlreadyExists');
    assert.equal(e.status, 409);
    assert.equal(e.message, 'Service "web": spec.ports[1].servicePort: service port 10003 is taken by service prod/db (port "sql")');
    assert.deepEqual(e.details.map((d) => [d.field, d.rule]), [['spec.ports[1].servicePort', 'taken']]);
  });

  it('refuses a new port outside the range with 422; one already held stays even if the range moved', () => {
    const e = refused(() => planServicePorts([item('web', [{ name: 'http', servicePort: 20000 }])], { range: R, claims: new Map() }));
    assert.equal(e.code, 'Invalid');
    assert.equal(e.message, "Service \"web\": spec.ports[0].servicePort: service port 20000 is outside the cluster's service port range 10000-10009 (stowage server --service-port-range); use one inside it, or 0 to get one assigned");
    const kept = planServicePorts([item('web', [{ name: 'http', servicePort: 20000 }], [{ name: 'http', servicePort: 20000 }])], { range: R, claims: new Map([[20000, claim('web')]]) });
    assert.deepEqual(kept.ops[0], { claim: [], take: [], release: [] });
  });

  it('a full range: 422 naming the field', () => {
    const claims = new Map(Array.from({ length: 10 }, (_, i) => [10000 + i, claim(`s${i}`)] as const));
    const e = refused(() => planServicePorts([item('web', [{ name: 'http', servicePort: 0 }])], { range: R, claims }));
    assert.equal(e.code, 'Invalid');
    assert.equal(e.message, 'Service "web": spec.ports[0].servicePort: no free service port left in the range 10000-10009 (stowage server --service-port-range)');
  });

  it('in one write: two services wanting one port are refused; a port handed from one to the other is taken over in one transaction', () => {
    const e = refused(() => planServicePorts([item('a', [{ name: 'http', servicePort: 10001 }]), item('b', [{ name: 'http', servicePort: 10001 }])], { range: R, claims: new Map() }));
    assert.equal(e.message, 'Service "b": spec.ports[0].servicePort: service port 10001 is also wanted by Service "a" in this write');
    const keeps = refused(() =>
      planServicePorts([item('a', [{ name: 'http', servicePort: 10001 }], [{ name: 'http', servicePort: 10001 }]), item('b', [{ name: 'http', servicePort: 10001 }])], { range: R, claims: new Map([[10001, claim('a')]]) }),
    );
    assert.equal(keeps.code, 'AlreadyExists');
    const p = planServicePorts([item('a', [{ name: 'http' }], [{ name: 'http', servicePort: 10001 }]), item('c', []), item('b', [{ name: 'web', servicePort: 10001 }])], {
      range: R,
      claims: new Map([[10001, claim('a', 'http', '42')]]),
    });
    assert.deepEqual(p.ops, [
      { claim: [], take: [], release: [] },
      { claim: [], take: [], release: [] },
      { claim: [], take: [{ port: 10001, holder: { namespace: 'default', name: 'b', port: 'web' }, rev: '42' }], release: [] },
    ]);
    assert.deepEqual(p.groups.map((g) => [...g].sort()), [[0, 2], [1]]);
  });

  it('property: after any plan, every wanted port has one holder, none outside the range is new, and 0s are all resolved', () => {
    const arbPorts = fc.array(fc.record({ name: fc.constantFrom('a', 'b', 'c'), servicePort: fc.constantFrom<number | undefined>(undefined, 0, 10000, 10001, 10002, 10003, 10020) }), { maxLength: 3 });
    fc.assert(
      fc.property(fc.array(fc.tuple(arbPorts, fc.option(arbPorts, { nil: undefined })), { minLength: 1, maxLength: 4 }), (raw) => {
        // names unique per spec, as validation guarantees
        const uniq = (ps: PortSpec[]) => ps.filter((p, i) => ps.findIndex((q) => q.name === p.name) === i);
        const items = raw.map(([w, c], i) => item(`s${i}`, uniq(w), c && uniq(c).filter((p) => p.servicePort !== 0)));
        // the cluster's claims agree with the stored specs (plus one foreign holder)
        const claims = new Map<number, Claim>([[10003, claim('foreign')]]);
        let consistent = true;
        items.forEach((it) => {
          for (const p of it.cur?.ports ?? []) {
            if (!p.servicePort) continue;
            if (claims.has(p.servicePort)) consistent = false;
            claims.set(p.servicePort, claim(it.name, p.name));
          }
        });
        fc.pre(consistent);
        let plan;
        try {
          plan = planServicePorts(items, { range: R, claims });
        } catch (e) {
          assert.ok(e instanceof ApiError && (e.code === 'Invalid' || e.code === 'AlreadyExists'), String(e));
          return;
        }
        const after = new Map(claims);
        plan.ops.forEach((o) => {
          for (const p of o.release) after.delete(p);
        });
        plan.ops.forEach((o) => {
          for (const c of o.claim) {
            assert.ok(!claims.has(c.port), `claim of a held port ${c.port}`);
            after.set(c.port, { holder: c.holder, rev: '0' });
          }
          for (const t of o.take) after.set(t.port, { holder: t.holder, rev: '0' });
        });
        plan.specs.forEach((s, i) => {
          for (const p of s?.ports ?? []) {
            assert.notEqual(p.servicePort, 0, '0 resolved');
            if (p.servicePort === undefined) continue;
            assert.equal(after.get(p.servicePort)?.holder.name, items[i]!.name, `port ${p.servicePort} held by its service`);
            const held = items[i]!.cur?.ports?.some((q) => q.servicePort === p.servicePort);
            if (!held) assert.ok(p.servicePort >= R.begin && p.servicePort <= R.end, 'new ports in range');
          }
        });
        // nothing held by a service that no longer lists it, except the foreign claim
        for (const [port, c] of after) {
          if (c.holder.name === 'foreign') continue;
          const i = items.findIndex((it) => it.name === c.holder.name);
          assert.ok(plan.specs[i]?.ports?.some((p) => p.servicePort === port), `port ${port} left held by ${c.holder.name}`);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
