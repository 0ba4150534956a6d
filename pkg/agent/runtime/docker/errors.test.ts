/** How engine failures become task reasons, and which ones are worth another try. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isInterruptedStartLeftover, toRuntimeError } from './errors.js';

const engineError = (statusCode: number, message: string) => Object.assign(new Error(`(HTTP code ${statusCode}) ${message}`), { statusCode, json: { message } });

describe('docker errors', () => {
  it('a lost connection is EngineUnavailable and retryable; an engine answer is the given reason, not retryable', () => {
    const lost = toRuntimeError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'StartError', 'start');
    assert.equal(lost.reason, 'EngineUnavailable');
    assert.equal(lost.retryable, true);
    const answered = toRuntimeError(engineError(500, 'OCI runtime create failed: exec: "nope": not found'), 'StartError', 'start');
    assert.equal(answered.reason, 'StartError');
    assert.equal(answered.retryable, false);
    assert.equal(answered.message, 'start: OCI runtime create failed: exec: "nope": not found');
  });

  it('what an engine restart in the middle of a start leaves (containerd holds the container or its task) is told apart', () => {
    assert.equal(isInterruptedStartLeftover(engineError(500, 'task 9b776bd0530a5364ade8f5e88fc7da6910d938ddce78aaef3550c1062858881d: already exists')), true);
    assert.equal(isInterruptedStartLeftover(engineError(500, 'id already in use')), true);
    assert.equal(isInterruptedStartLeftover(engineError(500, 'failed to start shim: mkdir /run/docker/containerd/daemon/io.containerd.runtime.v2.task/moby/5b8dd7b9: file exists: unknown')), true);
    assert.equal(isInterruptedStartLeftover(engineError(500, 'error mounting "/x" to rootfs at "/y": mkdir /y: file exists')), false);
    assert.equal(isInterruptedStartLeftover(engineError(500, 'OCI runtime create failed: exec: "nope": not found')), false);
    assert.equal(isInterruptedStartLeftover(engineError(404, 'No such image: x')), false);
  });
});
