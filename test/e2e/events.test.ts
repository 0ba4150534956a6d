/**
 * `stowctl events --for service/NAME` explains, in order, a rolling upgrade
 * and a node loss, with a real server, etcd, two Docker agents:
 *
 *   rollout:   DeploymentStarted ─► new task Scheduled ─► Started ─► old task Killing ─► DeploymentComplete
 *   node loss: (kill -9 an agent) task NodeNotReady ─► NodeLost ─► service TaskLost
 *                                  ─► replacement Scheduled ─► Started
 *
 * The rows are read as the command prints them (ordered by last seen), and
 * `-w` started before the node loss streams those events as they come.
 */
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT } from '../helpers/agent.js';
import { stowctlCommand } from '../helpers/commands.js';
import { ensureDocker, testNodeName } from '../helpers/docker.js';
import { isHealthy, isLive, serviceTasks, startCluster, stowctl, until, type Cluster } from '../helpers/stowage.js';

const GRACE_S = 3;
const manifest = (greeting: string) => `apiVersion: stowage/v1
kind: Service
metadata: {name: story}
spec:
  instances: 2
  image: localhost/stowage-busybox:1
  command: ["/bin/sh", "-c", "exec httpd -f -p $PORT0 -h /www"]
  env: {GREETING: ${greeting}}
  resources: {cpus: 0.1, mem: 32, disk: 0}
  ports: [{name: http}]
  killGracePeriodSeconds: 1
  healthChecks:
    - {protocol: HTTP, port: http, gracePeriodSeconds: 3, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 2}
  upgradeStrategy: {minimumHealthCapacity: 1, maximumOverCapacity: 0.5}
`;

interface Row {
  type: string;
  reason: string;
  object: string;
  count: number;
  message: string;
}

/** The table's rows (columns are at least two spaces apart; a message keeps its single spaces). */
function rows(out: string): Row[] {
  const lines = out.trimEnd().split('\n');
  assert.match(lines[0]!, /^LAST SEEN +TYPE +REASON +OBJECT +COUNT +MESSAGE$/);
  return lines.slice(1).map((l) => {
    const [, type, reason, object, count, ...message] = l.split(/ {2,}/);
    return { type: type!, reason: reason!, object: object!, count: Number(count), message: message.join('  ') };
  });
}

describe('events e2e: stowctl events --for service/NAME', () => {
  let c: Cluster;
  const nodes = [testNodeName('ev-a'), testNodeName('ev-b')];
  const events = async () => {
    const r = await stowctl(c.server.url, ['events', '--for', 'service/story']);
    assert.equal(r.code, 0, r.err);
    return rows(r.out);
  };
  /** Index of the row with this reason about this object (and message), or -1. */
  const at = (rs: Row[], reason: string, object: string, message?: RegExp) =>
    rs.findIndex((r) => r.reason === reason && r.object === object && (!message || message.test(r.message)));

  before(async () => {
    ensureDocker();
    c = await startCluster({ nodes, serverArgs: ['--node-lost-grace', String(GRACE_S)] });
  });
  after(async () => {
    await c?.stop();
  });

  it('the leader\'s election is an event: LeaderElected about the leader lease, naming the server', async () => {
    const rs = await until('LeaderElected', async () => {
      const r = await stowctl(c.server.url, ['events']);
      return r.code === 0 && r.out.startsWith('LAST SEEN') && rows(r.out).find((x) => x.reason === 'LeaderElected');
    }, 30_000, 200);
    assert.equal(rs.object, 'lease/stowage-leader');
    assert.match(rs.message, /^\S+\/\d+@127\.0\.0\.1:\d+ became the leader$/);
  });

  it('explains a rolling upgrade in order: started, each new task scheduled then started, each old one killed (why), complete', async () => {
    let r = await stowctl(c.server.url, ['apply', '-f', '-', '--wait', '--timeout', '60s'], { stdin: manifest('v1') });
    assert.equal(r.code, 0, r.err + r.out);
    const old = (await serviceTasks(c.store, 'story')).filter(isLive).map((t) => t.metadata.name);
    assert.equal(old.length, 2);
    r = await stowctl(c.server.url, ['apply', '-f', '-', '--wait', '--timeout', '60s'], { stdin: manifest('v2') });
    assert.equal(r.code, 0, r.err + r.out);
    const fresh = (await serviceTasks(c.store, 'story')).filter(isLive).map((t) => t.metadata.name).filter((n) => !old.includes(n));
    assert.equal(fresh.length, 2);

    // events are written best effort, after the work: wait until the story is all there
    const rs = await until('the rollout\'s events', async () => {
      const x = await events();
      const done = at(x, 'DeploymentComplete', 'service/story', /^revision 2 rolled out/) >= 0
        && fresh.every((n) => at(x, 'Started', `task/${n}`) >= 0) && old.every((n) => at(x, 'Killing', `task/${n}`) >= 0);
      return done && x;
    }, 30_000, 200);
    const started = at(rs, 'DeploymentStarted', 'service/story', /^rolling out revision 2 to 2 instance\(s\)$/);
    const complete = at(rs, 'DeploymentComplete', 'service/story', /^revision 2 rolled out: 2 instance\(s\) ready$/);
    assert.ok(started >= 0 && started < complete, JSON.stringify(rs, null, 1));
    for (const n of fresh) {
      const scheduled = at(rs, 'Scheduled', `task/${n}`, new RegExp(`^assigned default/${n} to (${nodes.join('|')})$`));
      const run = at(rs, 'Started', `task/${n}`);
      assert.ok(started < scheduled && scheduled < run && run < complete, `${n}: ${started} < ${scheduled} < ${run} < ${complete}`);
    }
    for (const n of old) {
      const killing = at(rs, 'Killing', `task/${n}`, /: replaced by revision 2; out of endpoints now, draining 2s before its container is stopped$/);
      assert.ok(started < killing && killing < complete, `${n}: ${started} < ${killing} < ${complete}`);
    }
    // each old container then stops: its agent's Killed follows the loop's Killing
    const ended = await until('the old containers stopped', async () => {
      const x = await events();
      return old.every((n) => at(x, 'Killed', `task/${n}`) >= 0) && x;
    }, 30_000, 200);
    for (const n of old) assert.ok(at(ended, 'Killing', `task/${n}`) < at(ended, 'Killed', `task/${n}`, /^container \w+ stopped \(grace 1s\)$/), n);
    // minimumHealthCapacity 1: a new task was started before the first old one was killed
    const firstKill = Math.min(...old.map((n) => at(rs, 'Killing', `task/${n}`)));
    assert.ok(fresh.some((n) => at(rs, 'Started', `task/${n}`) < firstKill));
    // nothing about other objects, and the series: two deployments, one DeploymentStarted row
    assert.ok(rs.every((x) => x.object === 'service/story' || x.object.startsWith('task/story-')));
    assert.equal(rs[started]!.count, 2);
  });

  it('explains a node loss in order: the task unreachable, then lost, the service replacing it, the replacement scheduled and started; -w streams it live', async () => {
    const live = (await serviceTasks(c.store, 'story')).filter(isHealthy);
    assert.equal(live.length, 2);
    const doomed = live[0]!.status!.nodeName!;
    const other = nodes.find((n) => n !== doomed)!;
    const onDoomed = (await serviceTasks(c.store, 'story')).filter((t) => isLive(t) && t.status!.nodeName === doomed).map((t) => t.metadata.name);
    assert.deepEqual(onDoomed.sort(), live.filter((t) => t.status!.nodeName === doomed).map((t) => t.metadata.name).sort(), 'only the healthy tasks are on the node');
    const before = new Set(live.map((t) => t.metadata.name));

    // `events -w` from before the loss; killed by its PID at the end
    const [cmd, ...pre] = stowctlCommand();
    const w = spawn(cmd!, [...pre, 'events', '--for', 'service/story', '-w'], {
      cwd: ROOT, env: { ...process.env, STOWAGE_SERVER: c.server.url }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let streamed = '';
    w.stdout!.on('data', (d: Buffer) => (streamed += d.toString()));
    const exited = new Promise((r) => w.once('exit', r));
    try {
      await until('the watch listing', () => /^LAST SEEN/.test(streamed), 30_000, 100);
      const listed = streamed;

      await c.agents.get(doomed)!.stop('SIGKILL');
      await until(`2 healthy tasks on ${other}`, async () => {
        const ts = (await serviceTasks(c.store, 'story')).filter(isHealthy);
        return ts.length === 2 && ts.every((t) => t.status!.nodeName === other);
      }, (GRACE_S + 30) * 1000, 200);
      const replacements = (await serviceTasks(c.store, 'story')).filter(isHealthy).map((t) => t.metadata.name).filter((n) => !before.has(n));
      assert.equal(replacements.length, onDoomed.length);

      const rs = await until('the node loss\'s events', async () => {
        const x = await events();
        return replacements.every((n) => at(x, 'Started', `task/${n}`) >= 0) && onDoomed.every((n) => at(x, 'NodeLost', `task/${n}`) >= 0) && x;
      }, 30_000, 200);
      const lostRow = at(rs, 'TaskLost', 'service/story');
      assert.ok(lostRow >= 0, JSON.stringify(rs, null, 1));
      assert.match(rs[lostRow]!.message, new RegExp(`^task (${onDoomed.join('|')}) .*; replacing it$`));
      assert.equal(rs[lostRow]!.count, onDoomed.length, JSON.stringify(rs, null, 1));
      for (const n of onDoomed) {
        const unreachable = at(rs, 'NodeNotReady', `task/${n}`, new RegExp(`^node ${doomed} stopped heartbeating: task ${n} is Unreachable$`));
        const lost = at(rs, 'NodeLost', `task/${n}`, new RegExp(`^node ${doomed} is lost: task ${n} is Lost and will be replaced$`));
        assert.ok(unreachable >= 0 && unreachable < lost && lost < lostRow, `${n}: ${unreachable} < ${lost} < ${lostRow}`);
        assert.equal(rs[lost]!.type, 'Warning');
      }
      for (const n of replacements) {
        const scheduled = at(rs, 'Scheduled', `task/${n}`, new RegExp(`^assigned default/${n} to ${other}$`));
        const run = at(rs, 'Started', `task/${n}`, new RegExp(`started on ${other}$`));
        assert.ok(lostRow < scheduled && scheduled < run, `${n}: ${lostRow} < ${scheduled} < ${run}`);
      }

      console.log((await stowctl(c.server.url, ['events', '--for', 'service/story'])).out.replace(/^/gm, '# '));
      // the same story arrived on the -w stream after its listing
      await until('the stream to show the loss and the replacements', () => {
        const later = streamed.slice(listed.length);
        return onDoomed.every((n) => later.includes(`NodeLost`) && later.includes(`task/${n}`)) && replacements.every((n) => new RegExp(`Started +task/${n} `).test(later));
      }, 30_000, 100);
    } finally {
      w.kill('SIGTERM');
      await exited;
    }
  });
});
