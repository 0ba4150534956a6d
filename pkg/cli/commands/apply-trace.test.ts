import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addMarks, TRACE_ANNOTATION } from '../../api/trace.js';
import type { AnyResource, Task } from '../../api/types.js';
import { renderTimeline, stampTrace } from './apply-trace.js';

const task = { apiVersion: 'stowage/v1', kind: 'Task', metadata: { name: 'web-abcde', namespace: 'default' }, spec: {}, status: { state: 'Running', nodeName: 'n1' } } as unknown as Task;

describe('apply --trace', () => {
  it('stamps one new id on every Service of the batch, and nothing else', () => {
    const objs = [
      { kind: 'Service', metadata: { name: 'a', annotations: { keep: 'x' } } },
      { kind: 'Namespace', metadata: { name: 'n' } },
      { kind: 'Service', metadata: { name: 'b' } },
    ] as unknown as AnyResource[];
    const id = stampTrace(objs);
    assert.match(id, /^[0-9a-f]{12}$/);
    assert.deepEqual(objs[0]!.metadata.annotations, { keep: 'x', [TRACE_ANNOTATION]: id });
    assert.equal(objs[1]!.metadata.annotations, undefined);
    assert.deepEqual(objs[2]!.metadata.annotations, { [TRACE_ANNOTATION]: id });
  });

  it('keeps the first time of a mark', () => {
    assert.deepEqual(addMarks({ a: 1 }, { a: 2, b: 3.14159 }), { a: 1, b: 3.14 });
  });

  it('prints the marks in time order with the time spent before each', () => {
    const t0 = 1_764_750_000_000;
    const out = renderTimeline('0123456789ab', task, {
      'cli.sent': t0,
      'api.received': t0 + 1.5,
      'api.committed': t0 + 4,
      'services.seen': t0 + 5,
      'agent.created': t0 + 40,
      'agent.create': t0 + 20,
      'agent.started': t0 + 70.25,
      'odd.mark': t0 + 71,
    });
    assert.equal(
      out,
      [
        '',
        'trace 0123456789ab: task default/web-abcde on node n1',
        '     at ms      +ms  who        what',
        '       0.0      0.0  stowctl    apply sent',
        '       1.5      1.5  api        apply received (HTTP request, body read)',
        '       4.0      2.5  api        apply validated and written (one etcd transaction)',
        '       5.0      1.0  services   Service change seen (etcd watch -> informer)',
        '      20.0     15.0  agent      docker create sent (the runtime sends a few creates at a time)',
        '      40.0     20.0  agent      docker create returned',
        '      70.3     30.3  agent      docker start returned: container running',
        '      71.0      0.8             odd.mark',
        '  apply -> container created 40.0 ms, -> running 70.3 ms',
        '',
      ].join('\n'),
    );
  });
});
