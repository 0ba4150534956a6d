import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GRPCUnavailableError, GRPCInvalidArgumentError } from 'etcd3';
import { ApiError } from '../api/errors.js';
import { memoryLogger } from '../log/logger.js';
import { EtcdHealth, EtcdTimeout, isEtcdUnavailable } from './etcd-health.js';

describe('isEtcdUnavailable', () => {
  it('is an outage when etcd does not answer, not when it refuses or a caller fails otherwise', () => {
    assert.ok(isEtcdUnavailable(new GRPCUnavailableError('14 UNAVAILABLE: No connection established')));
    assert.ok(isEtcdUnavailable(new Error('4 DEADLINE_EXCEEDED: Deadline exceeded after 5.000s')));
    assert.ok(isEtcdUnavailable(new Error('2 UNKNOWN: context deadline exceeded')));
    assert.ok(isEtcdUnavailable(new Error('Lease We lost connection to etcd and our lease has expired. is expired or revoked')));
    assert.ok(isEtcdUnavailable(new EtcdTimeout('no answer within 1 s (quorum lost or unreachable)')));
    assert.ok(isEtcdUnavailable(new ApiError('Unavailable', 'etcd is unavailable: 14 UNAVAILABLE')));
    assert.equal(isEtcdUnavailable(new ApiError('Unavailable', 'no server answered (https://127.0.0.1:7070): ECONNREFUSED')), false);
    assert.equal(isEtcdUnavailable(new ApiError('Conflict', 'etcd revision moved')), false);
    assert.equal(isEtcdUnavailable(new GRPCInvalidArgumentError('etcdserver: too many operations in txn request')), false);
    assert.equal(isEtcdUnavailable(new Error('etcd unavailable')), false, 'a bare message is not etcd speaking');
  });
});

describe('EtcdHealth', () => {
  it('logs one line when an outage starts and one when it ends, however many failures between', () => {
    const log = memoryLogger();
    const h = new EtcdHealth();
    h.use(undefined, log);
    for (let i = 0; i < 50; i++) assert.equal(h.quiet(new GRPCUnavailableError('14 UNAVAILABLE')), true);
    assert.equal(h.quiet(new ApiError('Conflict', 'x')), false);
    assert.ok(h.down);
    h.ok();
    h.ok();
    assert.equal(h.down, false);
    assert.deepEqual(
      log.lines.map((l) => [l.level, l.message]),
      [
        ['warn', 'etcd unavailable: loops paused'],
        ['info', 'etcd available again: loops resumed'],
      ],
    );
  });
  it('tells its subscribers when an outage ends, once', () => {
    const h = new EtcdHealth();
    h.use(undefined, memoryLogger());
    let n = 0;
    const off = h.onResumed(() => n++);
    h.ok();
    assert.equal(n, 0, 'no outage, nothing to resume');
    h.markDown('x');
    h.ok();
    h.ok();
    assert.equal(n, 1);
    off();
    h.markDown('x');
    h.ok();
    assert.equal(n, 1);
  });
});
