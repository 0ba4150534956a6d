import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DisconnectClock, parseStopAfterDisconnect } from './disconnect.js';
import { DisconnectGuard } from './disconnect-guard.js';
import { memoryLogger } from '../log/logger.js';

const cfg = { ttlMs: 2000, afterMs: 3000 };

describe('DisconnectClock', () => {
  it('the deadline is the last answered renewal\'s send time + TTL + grace', () => {
    const c = new DisconnectClock(cfg, 0);
    assert.equal(c.deadline(), 5000);
    c.contact(1000);
    assert.equal(c.deadline(), 6000);
    assert.equal(c.due(5999), false);
    assert.equal(c.due(6000), true);
  });

  it('an older renewal answered late does not move the deadline back', () => {
    const c = new DisconnectClock(cfg, 0);
    c.contact(4000);
    c.contact(1000);
    assert.equal(c.deadline(), 9000);
  });

  it('fires once per disconnection; contact re-arms it', () => {
    const c = new DisconnectClock(cfg, 0);
    assert.equal(c.due(6000), true);
    c.fire();
    assert.equal(c.stopped, true);
    assert.equal(c.due(7000), false);
    c.contact(7000);
    assert.equal(c.stopped, false);
    assert.equal(c.due(11_999), false);
    assert.equal(c.due(12_000), true);
  });

  it('off (afterMs undefined): never due', () => {
    const c = new DisconnectClock({ ttlMs: 2000, afterMs: undefined }, 0);
    assert.equal(c.deadline(), undefined);
    assert.equal(c.due(1e12), false);
  });

  it('an answer that etcd is out counts as contact only while the lease surely lived', () => {
    const c = new DisconnectClock(cfg, 0);
    c.etcdOut(1500, 1900); // answered before 0 + TTL: the lease lived when quorum went
    assert.equal(c.deadline(), 6500);
    c.etcdOut(5000, 6000); // answered past 1500 + TTL: the lease may have run out before
    assert.equal(c.deadline(), 6500);
  });

  it('the deadline is never before the servers can have given the tasks away (any send/receive timings)', () => {
    // etcd renews at some instant between send and answer; the lease runs TTL past the newest
    // renewal; the node is NotReady no earlier, and its tasks are Lost grace later.
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(10_000), fc.nat(2_000)), { minLength: 1, maxLength: 20 }), fc.nat(1), (renewals, frac) => {
        const c = new DisconnectClock(cfg, 0);
        let lastEtcd = 0;
        let t = 0;
        for (const [gap, rtt] of renewals) {
          t += gap;
          const atEtcd = t + rtt * frac; // somewhere in the round trip
          c.contact(t);
          lastEtcd = Math.max(lastEtcd, atEtcd);
        }
        const lostAt = lastEtcd + cfg.ttlMs + cfg.afterMs!;
        assert.ok(c.deadline()! <= lostAt);
      }),
    );
  });
});

describe('parseStopAfterDisconnect', () => {
  it('seconds, off, or absent', () => {
    assert.equal(parseStopAfterDisconnect(undefined), undefined);
    assert.equal(parseStopAfterDisconnect('off'), 'off');
    assert.equal(parseStopAfterDisconnect('0'), 0);
    assert.equal(parseStopAfterDisconnect('2.5'), 2.5);
    assert.throws(() => parseStopAfterDisconnect('-1'), { message: '--stop-after-disconnect: "-1" is neither a number of seconds (0 or more) nor "off"' });
    assert.throws(() => parseStopAfterDisconnect('soon'), { message: '--stop-after-disconnect: "soon" is neither a number of seconds (0 or more) nor "off"' });
  });
});

describe('DisconnectGuard', () => {
  const guard = (override?: number | 'off') => {
    let now = 0;
    const stops: string[] = [];
    let resumes = 0;
    const log = memoryLogger();
    const g = new DisconnectGuard({ log, ttlSeconds: 2, override, defaultGraceSeconds: 10, stop: (r) => (stops.push(r), 3), resume: () => resumes++, now: () => now });
    return { g, stops, log, set: (t: number) => (now = t), resumes: () => resumes };
  };

  it('learns the grace from the servers, stops once past the deadline, resumes on the next heartbeat', () => {
    const t = guard();
    t.g.renewed(0, { ttlSeconds: 2, nodeLostGraceSeconds: 3 });
    t.set(4999);
    t.g.check();
    assert.equal(t.stops.length, 0);
    t.set(5000);
    t.g.check();
    t.g.check();
    assert.equal(t.stops.length, 1);
    assert.match(t.stops[0]!, /cut off from the cluster for 5\.0 s \(heartbeat TTL 2 s \+ 3 s\)/);
    assert.equal(t.log.lines.filter((l) => l.level === 'warn').length, 1, 'one line');
    t.set(6000);
    t.g.renewed(5900);
    assert.equal(t.resumes(), 1);
  });

  it('a resumed process past its deadline stops before the renewal that answered moves it', () => {
    const t = guard();
    t.g.renewed(0, { nodeLostGraceSeconds: 3 });
    t.set(60_000); // SIGSTOPped meanwhile
    t.g.renewed(59_000);
    assert.equal(t.stops.length, 1);
    assert.equal(t.resumes(), 1);
  });

  it('counts from the first heartbeat that landed, not from its start', () => {
    const t = guard();
    t.set(60_000); // the servers took a minute to answer at start
    t.g.check();
    t.g.renewed(59_000, { nodeLostGraceSeconds: 3 });
    assert.equal(t.stops.length, 0);
    assert.equal(t.resumes(), 0);
  });

  it('--stop-after-disconnect overrides the servers; off never stops', () => {
    const t = guard(1);
    t.g.renewed(0, { nodeLostGraceSeconds: 30 });
    t.set(3000);
    t.g.check();
    assert.equal(t.stops.length, 1);
    const off = guard('off');
    off.g.renewed(0);
    off.set(1e9);
    off.g.check();
    assert.equal(off.stops.length, 0);
  });
});
