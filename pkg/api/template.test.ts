/** Templates, hashes, revision history and the choice of a rollback target. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from './defaults.js';
import { isApiError } from './errors.js';
import { rollbackTarget } from './rollback.js';
import { canonicalJson, recordRevision, templateHash, templateOf, withTemplate } from './template.js';
import { API_VERSION, type Service, type ServiceRevision, type ServiceSpec, type ServiceStatus } from './types.js';

/** A defaulted Service named "web". */
function service(spec: Partial<ServiceSpec> = {}, status?: ServiceStatus): Service {
  const s = applyDefaults({
    apiVersion: API_VERSION,
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default', uid: 'svc-uid', generation: 1 },
    spec: { image: 'img', command: ['serve'], instances: 3, resources: { cpus: 0.1, mem: 32, disk: 0 }, ...spec },
  } as Service);
  if (status) s.status = status;
  return s;
}

describe('template', () => {
  it('only task fields make the template; key order does not change the hash', () => {
    const a = service({ instances: 3, env: { A: '1', B: '2' } });
    const b = service({ instances: 9, env: { B: '2', A: '1' }, backoffSeconds: 7, upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 } });
    assert.equal(templateHash(templateOf(a.spec)), templateHash(templateOf(b.spec)));
    assert.notEqual(templateHash(templateOf(a.spec)), templateHash(templateOf(service({ command: ['other'] }).spec)));
    assert.equal(canonicalJson({ b: 1, a: [{ d: 1, c: undefined }] }), '{"a":[{"d":1}],"b":1}');
  });

  it('withTemplate replaces every template field, dropping those the old template lacked', () => {
    const cur = service({ instances: 5, command: ['new'], healthChecks: [{ protocol: 'TCP', portIndex: 0, gracePeriodSeconds: 1, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 1 }] }).spec;
    const old = templateOf(service({ command: ['old'] }).spec);
    const spec = withTemplate(cur, old);
    assert.deepEqual(spec.command, ['old']);
    assert.equal(spec.healthChecks, undefined);
    assert.equal(spec.instances, 5, 'not a template field');
  });
});

describe('revision history', () => {
  const tpl = templateOf(service().spec);
  const rev = (revision: number, hash: string): ServiceRevision => ({ revision, hash, template: tpl, createdAt: 'x' });
  it('appends a new template with the next number; keeps the last 10', () => {
    let h: ServiceRevision[] = [];
    for (let i = 0; i < 12; i++) h = recordRevision(h, `h${i}`, tpl, 'now').revisions;
    assert.deepEqual(h.map((r) => r.revision), [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });
  it('the current template again: unchanged; an older one: moves to the end with a new number', () => {
    const h = [rev(1, 'a'), rev(2, 'b')];
    assert.equal(recordRevision(h, 'b', tpl, 'now').current.revision, 2);
    const back = recordRevision(h, 'a', tpl, 'now');
    assert.deepEqual(back.revisions.map((r) => [r.revision, r.hash]), [[2, 'b'], [3, 'a']]);
  });
});

describe('rollbackTarget', () => {
  const v = (cmd: string) => templateOf(service({ command: [cmd] }).spec);
  const history = (): ServiceRevision[] => [1, 2, 3].map((n) => ({ revision: n, hash: templateHash(v(`v${n}`)), template: v(`v${n}`), createdAt: 'x' }));
  const svcAt = (cmd: string, revisions: ServiceRevision[] | undefined): Service => service({ command: [cmd] }, revisions ? { instances: 3, running: 3, healthy: 3, revisions } : undefined);
  const err = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      assert.ok(isApiError(e));
      return `${e.status} ${e.message}`;
    }
    assert.fail('no error');
  };

  it('no revision: the newest one that is not the current template', () => {
    assert.equal(rollbackTarget(svcAt('v3', history())).revision, 2);
    assert.equal(rollbackTarget(svcAt('v9', history())).revision, 3, 'a spec not rolled out yet: back to the newest');
  });
  it('--to-revision N', () => {
    assert.equal(rollbackTarget(svcAt('v3', history()), 1).revision, 1);
  });
  it('says what is wrong', () => {
    assert.equal(err(() => rollbackTarget(svcAt('v3', history()), 7)), '404 revision 7 of service/web not found; known revisions: 1, 2, 3');
    assert.equal(err(() => rollbackTarget(svcAt('v3', history()), 3)), '400 revision 3 is the current template of service/web; nothing to roll back');
    assert.equal(err(() => rollbackTarget(svcAt('v1', history().slice(0, 1)))), '400 nothing to roll back to: service/web has only its current revision');
    assert.equal(err(() => rollbackTarget(svcAt('v1', undefined))), '400 nothing to roll back to: service/web has no revision history yet');
  });
});
