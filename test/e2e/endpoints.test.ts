/**
 * Endpoints on real Docker agents (two nodes, one server, real etcd):
 *
 * - a 3-instance service with a readiness check gets 3 endpoints, each an
 *   address that answers with its own task's name;
 * - `docker kill` of one container takes it out of the endpoints (timed);
 * - a scale-down drains: the killed task leaves the endpoints (the watch
 *   says so) while its container still runs and still answers, and the
 *   container stops only after drainSeconds.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Endpoints, Task } from '../../pkg/api/types.js';
import { dockerCli, dockerInspect, ensureDocker, testNodeName } from '../helpers/docker.js';
import { openSse } from '../helpers/sse.js';
import { getService, probe, serviceTasks, startCluster, stowctl, until, type Cluster } from '../helpers/stowage.js';

const DRAIN = 3;
const manifest = (instances: number) => `apiVersion: stowage/v1
kind: Service
metadata: {name: ep-web}
spec:
  instances: ${instances}
  image: localhost/stowage-busybox:1
  command: ["/bin/sh", "-c", "mkdir -p /tmp/w && echo $STOWAGE_TASK > /tmp/w/index.html && exec httpd -f -p $PORT0 -h /tmp/w"]
  resources: {cpus: 0.1, mem: 32}
  ports: [{name: http, servicePort: 0}]
  drainSeconds: ${DRAIN}
  killGracePeriodSeconds: 2
  readinessChecks: [{protocol: HTTP, port: http, path: /, intervalSeconds: 1, timeoutSeconds: 0.5}]
`;

describe('endpoints e2e (Docker)', () => {
  let c: Cluster;
  const nodes = [testNodeName('ep-a'), testNodeName('ep-b')];

  before(async () => {
    ensureDocker();
    c = await startCluster({ nodes });
  });
  after(async () => {
    await c?.stop();
  });

  const endpoints = async (): Promise<Endpoints> => {
    const r = await fetch(`${c.server.url}/api/v1/services/default/ep-web/endpoints`);
    assert.equal(r.status, 200);
    return (await r.json()) as Endpoints;
  };
  const addrs = (e: Endpoints) => e.ports[0]!.addresses;
  const containerOf = async (t: Task) => {
    const id = dockerCli(['ps', '-aq', '--no-trunc', '--filter', `label=stowage.task=${t.metadata.uid}`]).trim().split('\n')[0]!;
    assert.ok(id, `a container of ${t.metadata.name}`);
    return id;
  };

  it('a 3-instance service with readiness gets 3 endpoints, each answering as its task', async () => {
    const r = await stowctl(c.server.url, ['apply', '-f', '-', '--wait', '--timeout', '90s'], { stdin: manifest(3) });
    assert.equal(r.code, 0, r.err + r.out);
    const e = await until('3 endpoints', async () => {
      const x = await endpoints();
      return addrs(x).length === 3 && x;
    }, 30_000);
    const svc = (await getService(c.store, 'ep-web'))!;
    assert.equal(e.ports[0]!.servicePort, svc.spec.ports![0]!.servicePort);
    assert.ok(e.ports[0]!.servicePort! >= 10000 && e.ports[0]!.servicePort! <= 10999);
    for (const a of addrs(e)) {
      assert.equal(a.host, '127.0.0.1');
      assert.equal((await probe(a.port))?.trim(), a.task, `${a.host}:${a.port} is ${a.task}`);
      assert.ok(nodes.includes(a.node));
    }
    const get = await stowctl(c.server.url, ['get', 'endpoints', 'ep-web']);
    assert.equal(get.code, 0, get.err);
    assert.match(get.out, new RegExp(`^SERVICE +PORT +SERVICE-PORT +ADDRESSES\\nep-web +http +${e.ports[0]!.servicePort} +127\\.0\\.0\\.1:\\d+,127\\.0\\.0\\.1:\\d+,127\\.0\\.0\\.1:\\d+\\n$`));
    const wide = await stowctl(c.server.url, ['get', 'services', '-o', 'wide']);
    assert.match(wide.out, new RegExp(`http:${e.ports[0]!.servicePort}\\n`));
  });

  it('a killed container leaves the endpoints', async () => {
    const before = addrs(await endpoints());
    const victim = (await serviceTasks(c.store, 'ep-web')).find((t) => t.metadata.name === before[0]!.task)!;
    const id = await containerOf(victim);
    const t0 = Date.now();
    dockerCli(['kill', id]);
    await until('the killed task out of the endpoints', async () => !addrs(await endpoints()).some((a) => a.task === victim.metadata.name), 10_000, 20);
    const ms = Date.now() - t0;
    console.log(`# a killed container left the endpoints in ${ms} ms`);
    await until('3 endpoints again', async () => addrs(await endpoints()).length === 3, 60_000);
  });

  it(`a scale-down drains: out of the endpoints at once, the container serves on, then stops after drainSeconds (${DRAIN})`, async () => {
    const before = addrs(await endpoints());
    assert.equal(before.length, 3);
    const watch = await openSse(c.server.url, '/api/v1/endpoints?watch=1');
    try {
      await watch.until('the initial ADDED', () => watch.events.length >= 1);
      // the scale as `stowctl scale` does it (GET, then PUT), timed from the PUT
      const cur = await (await fetch(`${c.server.url}/api/v1/services/default/ep-web`)).json();
      const { status: _s, ...body } = { ...cur, spec: { ...cur.spec, instances: 2 } };
      const t0 = Date.now();
      const r = await fetch(`${c.server.url}/api/v1/services/default/ep-web`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(r.status, 200, await r.text());
      const killed = await until('a task being killed', async () => (await serviceTasks(c.store, 'ep-web')).find((t) => t.spec.desiredState === 'Killed'), 10_000, 20);
      assert.equal(killed.spec.drainSeconds, DRAIN);
      const name = killed.metadata.name;
      const out = () => watch.events.some((ev) => ev.event === 'MODIFIED' && !(JSON.parse(ev.data) as Endpoints).ports[0]!.addresses.some((a) => a.task === name));
      await watch.until('the watch drops the killed task', out, 10_000);
      const left = Date.now() - t0;
      const id = await containerOf(killed);
      const port = before.find((a) => a.task === name)!.port;
      // out of the endpoints, still running, still answering
      const state = (await dockerInspect(id)).State;
      assert.equal(state.Running, true, `the container runs on during the drain (out of endpoints after ${left} ms)`);
      assert.equal((await probe(port))?.trim(), name, 'and still serves open and late connections');
      const ended = await until('the killed task ends', async () => {
        const t = (await serviceTasks(c.store, 'ep-web')).find((x) => x.metadata.name === name);
        return (!t || t.status?.state === 'Killed') && true;
      }, 30_000, 50);
      assert.ok(ended);
      const finished = Date.parse((await dockerInspect(id).catch(() => undefined))?.State.FinishedAt ?? '') || Date.now();
      const drained = finished - t0;
      console.log(`# drain: out of endpoints after ${left} ms, container stopped ${drained} ms after the scale`);
      assert.ok(drained >= DRAIN * 1000, `stopped ${drained} ms after the scale: before the drain of ${DRAIN} s ended`);
      assert.ok(left < DRAIN * 1000, `left the endpoints ${left} ms after the scale: not before the container stopped`);
      assert.equal(addrs(await endpoints()).length, 2);
    } finally {
      watch.close();
    }
  });
});
