/**
 * manifests/examples/three-tier end to end: db, app and web on real Docker,
 * each tier reaching the next through its service port on the host's
 * `stowage proxy` (the address comes in <DEP>_HTTP_ADDR because of
 * `dependencies`), and one request to the web tier's service port answered
 * with rows that went through all three tiers. The example's service ports
 * are moved to free ones so the test does not collide with a running cluster.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { dump, load } from 'js-yaml';
import { ROOT } from '../helpers/agent.js';
import { ensureDocker, testNodeName } from '../helpers/docker.js';
import { freePort } from '../helpers/etcd.js';
import { spawnProxy, type ProxyProc } from '../helpers/stowage-proxy.js';
import { startCluster, stowctl, until, type Cluster } from '../helpers/stowage.js';

const DIR = resolve(ROOT, 'manifests/examples/three-tier');

async function freeServicePort(taken: Set<number>): Promise<number> {
  for (;;) {
    const p = await freePort();
    if ((p < 36000 || p > 38999) && !taken.has(p)) return taken.add(p), p;
  }
}

describe('three-tier example (real etcd, Docker, proxy)', () => {
  let c: Cluster;
  let proxy: ProxyProc;
  let webPort = 0;

  before(async () => {
    ensureDocker();
    c = await startCluster({ nodes: [testNodeName('tt')], serverArgs: ['--service-port-range', '1025-65000'] });
    proxy = await spawnProxy(c.server.url);
  });
  after(async () => {
    await proxy?.stop();
    await c?.stop();
  });

  it('answers through web -> app -> db', async () => {
    const taken = new Set<number>();
    const docs: string[] = [];
    for (const tier of ['db', 'app', 'web']) {
      const o = load(readFileSync(resolve(DIR, `${tier}.yaml`), 'utf8')) as { spec: { ports: { servicePort?: number }[] } };
      const sp = await freeServicePort(taken);
      o.spec.ports[0]!.servicePort = sp;
      if (tier === 'web') webPort = sp;
      docs.push(dump(o));
    }
    const r = await stowctl(c.server.url, ['apply', '-f', '-'], { stdin: docs.join('---\n') });
    assert.equal(r.code, 0, r.err + r.out);
    const body = await until('an answer through all three tiers', async () => {
      const res = await fetch(`http://127.0.0.1:${webPort}/`).catch(() => undefined);
      const text = res?.ok ? await res.text() : '';
      return text.includes('total=') ? text : undefined;
    }, 150_000, 500);
    assert.match(body, /^web\[tt-web-[^\]]+\] <- app\[tt-app-[^\]]+\] <- db\[tt-db-[^\]]+\] apples=3$/m);
    assert.match(body, /^web\[tt-web-[^\]]+\] <- app\[tt-app-[^\]]+\] total=16$/m);
  });
});
