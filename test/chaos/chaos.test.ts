/**
 * The chaos test (real three-member etcd, two servers, three Docker agents
 * on a private engine): during a rolling upgrade of a 20-instance service
 * and a job every 2 s, the leader is killed with -9 every few seconds, one
 * agent and one etcd member are killed and started again, and the engine
 * restarts once. Nothing is lost and nothing is done twice: see
 * test/chaos/scenario.ts for what is checked. Bounded to about 3 minutes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { keepLogs } from '../helpers/job-slots.js';
import { describeFigures, runChaos } from './scenario.js';

describe('chaos: faults of every process during a rollout and a job every 2 s', () => {
  it('ends with 20 healthy tasks of the new template, no doubled task or slot, and events that tell it', async () => {
    const out = await runChaos({ faultMs: 60_000, leaderKillEveryMs: 8_000, settleMs: 90_000, progress: (l) => console.log(`# ${l}`) });
    const logs = keepLogs('chaos', out.servers);
    const figures = describeFigures(out.figures);
    for (const l of figures) console.log(`# ${l}`);
    const why = `\n${figures.join('\n')}\n(server logs in ${logs})`;
    assert.deepEqual(out.problems, [], `guarantees broken:\n${out.problems.join('\n')}${why}`);
    const f = out.figures;
    assert.ok(f.faults.leaderKills >= 4 && f.faults.agentRestarts === 1 && f.faults.etcdKills === 1 && f.faults.dockerdRestarts === 1, `every fault was injected${why}`);
    // the story the events tell: a new leader per kill, the node that went away and came back, the rollout
    for (const reason of ['LeaderElected', 'NodeNotReady', 'NodeReady', 'DeploymentStarted', 'RollingUpdate', 'DeploymentComplete']) {
      assert.ok((f.events[reason] ?? 0) > 0, `an event ${reason} was written${why}`);
    }
    assert.ok(f.leaderElections >= f.faults.leaderKills, `a LeaderElected per leader kill${why}`);
  });
});
