/**
 * A task cannot go around the API: from inside its container (busybox, host
 * network, the way every task runs) it tries what issue 12 found open —
 *
 *   wget http://127.0.0.1:<etcd>/v3/kv/range  and /v3/kv/put /stowage/pwned
 *   wget https://127.0.0.1:<etcd>/v3/kv/range (TLS, but no client certificate)
 *   wget http://127.0.0.1:<api>/api/v1/tasks   (no token)
 *
 * and etcd refuses it both ways while the API answers 401. The etcd client
 * key stays with the server and the agent: the container has no mount and
 * no environment that names it.
 *
 * busybox wget does speak TLS to etcd (with hack/ca.sh's RSA certificates an
 * etcd without --client-cert-auth answers the same request), so its refusal
 * here is for want of a client certificate. It cannot agree on a signature
 * algorithm with Node's OpenSSL 3, so the API is reached over plain http here
 * (HTTPS on the API is test/integration/tls.test.ts).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { spawnAgent, type AgentProc } from '../helpers/agent.js';
import { ensureDocker, removeNodeContainers, testNodeName } from '../helpers/docker.js';
import { startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { spawnServer, type ServerProc } from '../helpers/stowage.js';
import { etcdTlsFlags, writeTokens } from '../helpers/tls.js';
import { until } from '../helpers/wait.js';

const RANGE = JSON.stringify({ key: Buffer.from('/stowage/').toString('base64'), range_end: Buffer.from('/stowage0').toString('base64') });
const PUT = JSON.stringify({ key: Buffer.from('/stowage/pwned').toString('base64'), value: Buffer.from('x').toString('base64') });

/** Each attempt prints one line: NAME: <what wget said> rc=<exit code>. busybox wget's -T segfaults: timeout bounds it. */
const SCRIPT = [
  `try() { n=$1; shift; out=$(timeout 5 wget -q -O - "$@" 2>&1); rc=$?; echo "$n: $(echo "$out" | tr '\\n' ' ') rc=$rc"; }`,
  // the control: the API answers this client at all
  `try API_HEALTHZ "http://127.0.0.1:$API_PORT/healthz"`,
  `try ETCD_HTTP --post-data '${RANGE}' "http://127.0.0.1:$ETCD_PORT/v3/kv/range"`,
  `try ETCD_HTTP_PUT --post-data '${PUT}' "http://127.0.0.1:$ETCD_PORT/v3/kv/put"`,
  `try ETCD_HTTPS --no-check-certificate --post-data '${RANGE}' "https://127.0.0.1:$ETCD_PORT/v3/kv/range"`,
  `try ETCD_HTTPS_PUT --no-check-certificate --post-data '${PUT}' "https://127.0.0.1:$ETCD_PORT/v3/kv/put"`,
  `try API "http://127.0.0.1:$API_PORT/api/v1/tasks"`,
  'echo DONE',
  'exec sleep 1000',
].join('\n');

describe('a task on the host network cannot open etcd or the API without credentials', () => {
  let etcd: TestEtcd;
  let server: ServerProc;
  let agent: AgentProc;
  let dir: string;
  let admin: string;
  const node = testNodeName('isolation');

  before(async () => {
    ensureDocker();
    dir = mkdtempSync(join(tmpdir(), 'stowage-isolation-'));
    etcd = await startEtcd({ tls: true });
    admin = writeTokens(join(dir, 'tokens.yaml'), [{ user: 'alice', role: 'admin' }]).get('alice')!;
    const pki = etcd.pki!;
    const [, endpoint, ...etcdFlags] = etcdTlsFlags(etcd);
    server = await spawnServer(endpoint!, [...etcdFlags, '--tokens', join(dir, 'tokens.yaml'), '--agent-ca', join(pki, 'ca.pem')], [], { built: true });
    agent = await spawnAgent(['--node', node, ...etcdTlsFlags(etcd), '--tls-cert', join(pki, 'agent.pem'), '--tls-key', join(pki, 'agent-key.pem'), '--ports', '30300-30319']);
  });

  after(async () => {
    await agent?.stop();
    await removeNodeContainers(node).catch(() => undefined);
    await server?.stop();
    etcd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('etcd refuses it over plain http and over TLS without a client certificate; the API answers 401', async () => {
    const ca = readFileSync(join(etcd.pki!, 'ca.pem'));
    const api = new URL(server.url);
    const svc = {
      apiVersion: 'stowage/v1',
      kind: 'Service',
      metadata: { name: 'intruder', namespace: 'default' },
      spec: {
        instances: 1,
        image: 'localhost/stowage-busybox:1',
        command: ['/bin/sh', '-c', SCRIPT],
        env: { ETCD_PORT: String(etcd.port), API_PORT: api.port },
        resources: { cpus: 0.1, mem: 16 },
      },
    };
    const auth = { authorization: `Bearer ${admin}` };
    const created = await fetch(`${server.url}/api/v1/services`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(svc) });
    assert.ok(created.status === 201 || created.status === 200, `${created.status} ${await created.text()}`);
    const ask = (path: string) => fetch(`${server.url}${path}`, { headers: auth }).then((r) => r.text());
    const task = await until(
      'the intruder task running',
      async () => {
        const list = JSON.parse(await ask('/api/v1/tasks?namespace=default')) as { items: { metadata: { name: string }; status?: { state?: string; containerId?: string } }[] };
        return list.items.find((t) => t.metadata.name.startsWith('intruder-') && t.status?.state === 'Running');
      },
      60_000,
      250,
    );
    const log = await until(
      'the intruder to finish trying',
      async () => {
        const text = await ask(`/api/v1/tasks/default/${task.metadata.name}/log`);
        return text.includes('DONE') ? text : undefined;
      },
      60_000,
      250,
    );
    if (process.env.ISOLATION_DEBUG) process.stderr.write(log);
    const line = (name: string) => log.split('\n').find((l) => l.startsWith(`${name}: `)) ?? assert.fail(`no ${name} line in:\n${log}`);
    for (const name of ['ETCD_HTTP', 'ETCD_HTTP_PUT', 'ETCD_HTTPS', 'ETCD_HTTPS_PUT']) {
      const l = line(name);
      assert.doesNotMatch(l, / rc=0$/, `etcd answered the task: ${l.slice(0, 300)}`);
      assert.doesNotMatch(l, /"kvs"|"header"/, `etcd answered the task: ${l.slice(0, 300)}`);
    }
    // the task's TLS client can talk to our certificates: etcd refused it for want of a client certificate
    assert.match(line('API_HEALTHZ'), / rc=0$/, `the task could not open TLS to the API at all: ${line('API_HEALTHZ')}`);
    const l = line('API');
    assert.match(l, /401 Unauthorized/, `the API did not answer 401 to a task without a token: ${l}`);
    assert.doesNotMatch(l, / rc=0$/);
    // nothing was written behind the API's back
    const client = newEtcdClient({ endpoints: etcd.endpoint, tls: { ca, cert: readFileSync(join(etcd.pki!, 'etcd-client.pem')), key: readFileSync(join(etcd.pki!, 'etcd-client-key.pem')) } });
    try {
      assert.equal(await client.get('/stowage/pwned').string(), null, 'the task wrote /stowage/pwned into etcd');
    } finally {
      client.close();
    }
    // the container has nothing that leads to the client key: no mount, no environment naming it
    const docker = new Docker();
    const [c] = await docker.listContainers({ filters: { label: [`stowage.node=${node}`] } });
    assert.ok(c, 'no container of the intruder');
    const info = await docker.getContainer(c.Id).inspect();
    assert.deepEqual(info.Mounts, []);
    const env = (info.Config.Env ?? []).join('\n');
    assert.doesNotMatch(env, /etcd-client|PRIVATE KEY|\.pem/);
  });
});
