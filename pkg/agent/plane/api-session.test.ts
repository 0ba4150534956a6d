import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../api/errors.js';
import { nopLogger } from '../../log/logger.js';
import { ApiSession } from './api-session.js';
import type { ApiClient } from './api-client.js';
import type { HeartbeatObserver } from './plane.js';

/** A client that answers the session routes as a test says. */
const client = (answer: (method: string, path: string) => unknown): ApiClient =>
  ({
    server: 'http://s1',
    call: async (method: string, path: string) => {
      const a = answer(method, path);
      if (a instanceof Error) throw a;
      return a;
    },
  }) as unknown as ApiClient;

const recorder = () => {
  const seen: string[] = [];
  const obs: HeartbeatObserver = {
    renewed: (_s, a) => seen.push(`renewed ${a?.nodeLostGraceSeconds ?? '-'}`),
    etcdOut: () => seen.push('etcdOut'),
  };
  return { seen, obs };
};

const until = async (f: () => boolean) => {
  const end = Date.now() + 5000;
  while (!f()) {
    if (Date.now() > end) assert.fail('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('ApiSession and the disconnect guard', () => {
  it('sends heartbeats a third of the TTL apart from when each was sent, however slowly they are answered', async () => {
    const sent: number[] = [];
    const obs: HeartbeatObserver = { renewed: (at) => sent.push(at), etcdOut: () => undefined };
    // TTL 3 s: one every second; each keepalive answered after 0.9 s (a loaded server)
    const slow: ApiClient = {
      server: 'http://s1',
      call: async (_m: string, p: string) => {
        if (!p.endsWith('/keepalive')) return { id: '7', ttlSeconds: 3 };
        await new Promise((r) => setTimeout(r, 900));
        return { ttlSeconds: 3 };
      },
    } as unknown as ApiClient;
    const s = new ApiSession(slow, { nodes: ['n1'], ttlSeconds: 3, version: 't', log: nopLogger, onRenewed: async () => undefined, observer: obs });
    await s.start();
    await until(() => sent.length >= 3);
    await s.close();
    // the first keepalive's gap: 1 s with the cadence kept; 1.9 s if each waited for the last answer
    const gap = sent[2]! - sent[1]!;
    assert.ok(gap < 1600, `keepalives ${Math.round(gap)} ms apart`);
  });

  it('tells the observer of every heartbeat that landed, with the grace the server answered', async () => {
    const { seen, obs } = recorder();
    const answers = (_m: string, p: string) => (p.endsWith('/keepalive') ? { ttlSeconds: 2, nodeLostGraceSeconds: 3 } : { id: '7', ttlSeconds: 2, nodeLostGraceSeconds: 3 });
    const s = new ApiSession(client(answers), { nodes: ['n1'], ttlSeconds: 2, version: 't', log: nopLogger, onRenewed: async () => undefined, observer: obs });
    await s.start();
    await until(() => seen.length >= 2);
    await s.close();
    assert.deepEqual(seen.slice(0, 2), ['renewed 3', 'renewed 3']);
  });

  it('a keepalive with no answer: /readyz saying etcd is unavailable counts as contact; a server that does not answer at all does not', async () => {
    for (const [readyz, want] of [
      [new ApiError('Unavailable', 'server answered 503: {"etcd":"unreachable: no answer within 1 s","message":"etcd: no answer within 1 s"}'), 'etcdOut'],
      [new ApiError('Unavailable', 'no server answered (http://s1): http://s1: connect ECONNREFUSED'), undefined],
    ] as const) {
      const { seen, obs } = recorder();
      let readyzCalls = 0;
      const s = new ApiSession(
        client((_m, p) => {
          if (p === '/readyz') {
            readyzCalls++;
            return readyz;
          }
          if (p.endsWith('/keepalive')) return new ApiError('Unavailable', 'no server answered (http://s1): http://s1 did not answer in 1000 ms');
          return { id: '7', ttlSeconds: 2 };
        }),
        { nodes: ['n1'], ttlSeconds: 2, version: 't', log: nopLogger, onRenewed: async () => undefined, observer: obs },
      );
      await s.start();
      await until(() => readyzCalls >= 1);
      await new Promise((r) => setTimeout(r, 20));
      await s.close();
      assert.deepEqual(seen.slice(1, 2), want ? [want] : []);
    }
  });
});
