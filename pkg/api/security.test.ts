import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { posix } from 'node:path';
import { allowanceFor, hostPathAllowed, isCleanPath, securityDetails, startRefusal } from './security.js';

describe('host paths', () => {
  const table: [string, string[], boolean][] = [
    ['/srv/data', ['/srv/data'], true],
    ['/srv/data/x/y', ['/srv/data'], true],
    ['/srv/database', ['/srv/data'], false],
    ['/srv', ['/srv/data'], false],
    ['/etc', ['/srv/data', '/var/log'], false],
    ['/etc/passwd', ['/'], true],
    ['/srv/data', [], false],
  ];
  for (const [path, allowed, want] of table) {
    it(`${path} under [${allowed.join(', ')}]: ${want}`, () => assert.equal(hostPathAllowed(path, allowed), want));
  }
  it('property: a clean path is allowed exactly when it is the entry or lies inside it', () => {
    const segment = fc.constantFrom('srv', 'data', 'database', 'd', 'etc', '..', '.', 'a.b');
    const path = fc.array(segment, { maxLength: 4 }).map((xs) => `/${xs.join('/')}`.replace(/\/$/, '') || '/');
    fc.assert(
      fc.property(path, path, (p, a) => {
        fc.pre(isCleanPath(p) && isCleanPath(a));
        const rel = posix.relative(a, p);
        const inside = rel === '' || (!rel.startsWith('..') && !posix.isAbsolute(rel));
        assert.equal(hostPathAllowed(p, [a]), inside, `${p} in ${a}`);
      }),
      { numRuns: 2000 },
    );
  });
  it('clean paths only: no way around a prefix with .. or //', () => {
    for (const p of ['/', '/srv', '/srv/data', '/a.b/c..d']) assert.equal(isCleanPath(p), true, p);
    for (const p of ['srv', '', '/srv/', '/srv/../etc', '/srv/./x', '//srv', '/srv//x', '/..']) assert.equal(isCleanPath(p), false, p);
  });
});

describe('securityDetails', () => {
  const t = { capabilities: { add: ['NET_BIND_SERVICE', 'NET_ADMIN', 'SYS_TIME'] }, volumes: [{ hostPath: '/srv/data/a', containerPath: '/a' }, { hostPath: '/etc', containerPath: '/e' }] };
  it('names each field the namespace does not allow, with its rule', () => {
    assert.deepEqual(securityDetails(t, 'spec', 'b', { allowCapabilities: ['NET_ADMIN'], allowHostPaths: ['/srv/data'] }), [
      {
        field: 'spec.capabilities.add[2]',
        rule: 'allowCapabilities',
        message: 'capability SYS_TIME is not allowed in namespace "b" (its spec.allowCapabilities: [NET_ADMIN]; allowed everywhere: NET_BIND_SERVICE); an admin may add it to the Namespace',
      },
      {
        field: 'spec.volumes[1].hostPath',
        rule: 'allowHostPaths',
        message: 'host path /etc is not allowed in namespace "b" (its spec.allowHostPaths: [/srv/data]); an admin may add it, or a prefix of it, to the Namespace',
      },
    ]);
  });
  it('a namespace that does not exist allows nothing beyond the default', () => {
    const d = securityDetails(t, 'spec.template', 'nowhere', undefined);
    assert.deepEqual(d.map((x) => x.field), ['spec.template.capabilities.add[1]', 'spec.template.capabilities.add[2]', 'spec.template.volumes[0].hostPath', 'spec.template.volumes[1].hostPath']);
    assert.match(d[0]!.message, /its spec\.allowCapabilities: none/);
  });
  it('the default capability needs no permission', () => {
    assert.deepEqual(securityDetails({ capabilities: { add: ['NET_BIND_SERVICE'] } }, 'spec', 'a', undefined), []);
  });
});

describe('what the task as bound carries, and the agent checks', () => {
  const t = { capabilities: { add: ['NET_ADMIN'] }, volumes: [{ hostPath: '/srv/data/a', containerPath: '/a' }] };
  it('the allowance holds only the entries the task uses', () => {
    assert.deepEqual(allowanceFor(t, { allowCapabilities: ['NET_ADMIN', 'SYS_TIME'], allowHostPaths: ['/srv/data', '/var/log'] }), { capabilities: ['NET_ADMIN'], hostPaths: ['/srv/data'] });
    assert.deepEqual(allowanceFor(t, undefined), { capabilities: [], hostPaths: [] });
  });
  it('refuses what was not allowed at binding', () => {
    assert.equal(startRefusal({}, undefined), undefined);
    assert.equal(startRefusal({ capabilities: { add: ['NET_BIND_SERVICE'] } }, undefined), undefined);
    assert.equal(startRefusal(t, { capabilities: ['NET_ADMIN'], hostPaths: ['/srv/data'] }), undefined);
    assert.equal(startRefusal(t, undefined), 'the task asks for capabilities NET_ADMIN and host paths /srv/data/a that its namespace did not allow when it was bound');
    assert.equal(startRefusal(t, { capabilities: ['NET_ADMIN'], hostPaths: ['/srv/database'] }), 'the task asks for host paths /srv/data/a that its namespace did not allow when it was bound');
  });
});
