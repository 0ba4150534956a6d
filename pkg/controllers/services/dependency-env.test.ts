/** dependencyEnv: <DEP>_<PORT>_ADDR for each dependency port with a service port. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PortSpec, Service } from '../../api/types.js';
import { dependencyEnv, envName } from './dependency-env.js';

const svc = (name: string, ports: PortSpec[]): Service =>
  ({ apiVersion: 'stowage/v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { image: 'img', ports } }) as unknown as Service;

describe('dependencyEnv', () => {
  it('one variable per dependency port that has a service port, names upper-cased with - as _', () => {
    const env = dependencyEnv([
      svc('app-tier', [{ name: 'http', servicePort: 10080 }, { name: 'admin-ui', servicePort: 10081 }, { name: 'debug' }]),
      svc('db', [{ name: 'sql', servicePort: 10432 }]),
      svc('cache', []),
    ]);
    assert.deepEqual(env, {
      APP_TIER_HTTP_ADDR: '127.0.0.1:10080',
      APP_TIER_ADMIN_UI_ADDR: '127.0.0.1:10081',
      DB_SQL_ADDR: '127.0.0.1:10432',
    });
  });

  it('no dependencies, or none with service ports: nothing', () => {
    assert.deepEqual(dependencyEnv([]), {});
    assert.deepEqual(dependencyEnv([svc('x', [{ name: 'http' }, { name: 'y', servicePort: 0 }])]), {});
  });

  it('envName', () => {
    assert.equal(envName('my-db-2'), 'MY_DB_2');
  });
});
