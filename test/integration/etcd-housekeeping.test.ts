/**
 * etcd housekeeping on a real `stowage server --tokens` and etcd:
 *
 *   - the leader compacts by itself (--compaction-interval 1s): the compacted
 *     revision moves (metric and one log line per compaction), and a watch
 *     resuming from before it answers 410 Gone;
 *   - the database size and quota gauges, and the warning past 80% of a tiny
 *     --etcd-quota-bytes;
 *   - the admin routes: a snapshot (stowctl admin backup: the file, whole,
 *     mode 0600, that etcdctl reads), defragmentation of each member
 *     (stowctl admin defrag), and 401 / 403 for everyone but an admin;
 *   - every call of an admin route in the audit log;
 *   - hack/backup.sh save (etcdctl) and restore's refusal of a used data dir.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Etcd3 } from 'etcd3';
import { run } from '../../pkg/cli/program.js';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { ROOT } from '../helpers/agent.js';
import { startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { call } from '../helpers/http.js';
import { spawnServer, type ServerProc } from '../helpers/stowage.js';
import { rememberSecrets } from '../helpers/suite-scan.js';
import { until } from '../helpers/wait.js';

const tok = () => randomBytes(24).toString('hex');
const sha = (t: string) => createHash('sha256').update(t).digest('hex');
const T = { admin: tok(), operator: tok(), viewer: tok() };
rememberSecrets(...Object.values(T));

/** One metric's value from a /metrics text; undefined when absent. */
const metric = (text: string, name: string): number | undefined => {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
};

describe('etcd housekeeping and the admin routes', () => {
  let etcd: TestEtcd;
  let client: Etcd3;
  let server: ServerProc;
  let dir: string;
  const tokenFile = (t: string) => {
    const f = join(dir, `token-${sha(t).slice(0, 8)}`);
    writeFileSync(f, t, { mode: 0o600 });
    return f;
  };
  const as = (token: string | undefined, method: string, path: string) => call(server.url, method, path, undefined, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  const stowctl = async (token: string, args: string[]) => {
    let out = '';
    let err = '';
    const code = await run(['--server', server.url, '--token-file', tokenFile(token), ...args], { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, env: {} });
    return { code, out, err };
  };
  const metrics = async () => (await call(server.url, 'GET', '/metrics')).text;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stowage-housekeeping-'));
    const tokens = join(dir, 'tokens.yaml');
    writeFileSync(
      tokens,
      [
        'tokens:',
        `  - {user: alice, role: admin, sha256: ${sha(T.admin)}}`,
        `  - {user: bob, role: operator, sha256: ${sha(T.operator)}}`,
        `  - {user: dave, role: viewer, sha256: ${sha(T.viewer)}}`,
        '',
      ].join('\n'),
    );
    etcd = await startEtcd();
    client = newEtcdClient({ endpoints: etcd.endpoint });
    server = await spawnServer(etcd.endpoint, ['--tokens', tokens, '--audit-log', join(dir, 'audit.log'), '--compaction-interval', '1s', '--etcd-quota-bytes', '1Ki']);
  });

  after(async () => {
    await server?.stop();
    client?.close();
    etcd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the leader compacts one interval behind; a watch from before the compaction answers 410', async () => {
    const old = String((await client.put('/housekeeping/k').value('1').exec()).header.revision);
    // writes keep the revision moving, so each tick has something to compact
    const writer = setInterval(() => void client.put('/housekeeping/k').value(String(Date.now())).exec().catch(() => undefined), 100);
    try {
      const first = await until('a compaction past the first write', async () => {
        const r = metric(await metrics(), 'stowage_etcd_compacted_revision');
        return r !== undefined && r > Number(old) ? r : undefined;
      }, 20_000);
      await until('a later compaction', async () => (metric(await metrics(), 'stowage_etcd_compacted_revision') ?? 0) > first, 20_000);
    } finally {
      clearInterval(writer);
    }
    const lines = server.output.filter((l) => l.includes('"etcd compacted"'));
    assert.ok(lines.length >= 2, 'one log line per compaction');
    assert.match(lines[0]!, /"revision":"\d+"/);
    // etcd itself refuses the old revision now
    await assert.rejects(client.get('/housekeeping/k').revision(old).exec(), /compacted/);
    const w = await as(T.admin, 'GET', `/api/v1/services?watch=1&resourceVersion=${old}`);
    assert.equal(w.status, 410, w.text);
    assert.match(w.json.message, new RegExp(`resourceVersion ${old} is older than etcd keeps \\(compacted\\)`));
  });

  it("reports etcd's database size and quota, and warns past 80% of it", async () => {
    const text = await until('the size gauge', async () => {
      const t = await metrics();
      return metric(t, 'stowage_etcd_db_size_bytes') ? t : undefined;
    });
    assert.equal(metric(text, 'stowage_etcd_quota_bytes'), 1024);
    assert.ok(metric(text, 'stowage_etcd_db_size_bytes')! > 1024);
    const warn = server.output.filter((l) => l.includes('past 80% of its quota'));
    assert.equal(warn.length, 1, 'one warning when it crosses, not one per check');
    assert.match(warn[0]!, /"level":"warn"/);
  });

  it('401 without a token; 403 for a viewer and an operator', async () => {
    for (const [method, path] of [['GET', '/api/v1/admin/snapshot'], ['POST', '/api/v1/admin/defrag']] as const) {
      assert.equal((await as(undefined, method, path)).status, 401);
      const viewer = await as(T.viewer, method, path);
      assert.equal(viewer.status, 403, viewer.text);
      assert.match(viewer.json.message, /^user dave \(viewer of every namespace\) may not admin etcd\/(snapshot|defrag) \(admin only\)$/);
      const operator = await as(T.operator, method, path);
      assert.equal(operator.status, 403, operator.text);
      assert.match(operator.json.message, /^user bob \(operator of every namespace\) may not admin etcd\/\w+ \(admin only\)$/);
    }
    const r = await stowctl(T.viewer, ['admin', 'backup', join(dir, 'refused.db')]);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /may not admin etcd\/snapshot/);
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes('refused')), [], 'no file, not even a temporary one');
  });

  it('stowctl admin backup writes a whole snapshot that etcdctl reads, mode 0600', async () => {
    const file = join(dir, 'backup.db');
    const r = await stowctl(T.admin, ['admin', 'backup', file]);
    assert.equal(r.code, 0, r.err);
    const m = /^(.+): (\d+) bytes, etcd revision (\d+)\n$/.exec(r.out);
    assert.ok(m, r.out);
    assert.equal(m[1], file);
    const st = statSync(file);
    assert.equal(st.size, Number(m[2]));
    assert.equal(st.mode & 0o777, 0o600);
    const status = JSON.parse(execFileSync('etcdctl', ['--write-out', 'json', 'snapshot', 'status', file], { env: { ...process.env, ETCDCTL_API: '3' } }).toString()) as { revision: number; totalKey: number };
    assert.ok(status.revision >= Number(m[3]), `the snapshot holds revision ${status.revision}, at least ${m[3]}`);
    assert.ok(status.totalKey > 0);
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), [], 'no temporary file left');
  });

  it('a client that leaves in the middle of a snapshot costs the server nothing: it stays leader, its watches and lease live on', async () => {
    // a database of a few MiB: a snapshot of many chunks, more than the server holds before it pauses etcd
    const big = 'x'.repeat(100_000);
    for (let i = 0; i < 40; i++) await client.put(`/housekeeping/big/${i}`).value(big).exec();
    const cutBefore = server.output.filter((l) => l.includes('"snapshot cut off"')).length;
    await new Promise<void>((resolve, reject) => {
      const req = request(`${server.url}/api/v1/admin/snapshot`, { headers: { authorization: `Bearer ${T.admin}` } }, (res) => {
        assert.equal(res.statusCode, 200);
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (e) => (req.destroyed ? undefined : reject(e)));
      req.end();
    });
    await until('the server noting the cut-off', () => server.output.filter((l) => l.includes('"snapshot cut off"')).length > cutBefore);
    // two more compactions by the same leader: its loops ran on, its lease held
    const at = metric(await metrics(), 'stowage_etcd_compacted_revision') ?? 0;
    const writer = setInterval(() => void client.put('/housekeeping/k').value(String(Date.now())).exec().catch(() => undefined), 100);
    try {
      await until('a compaction after the cut-off', async () => (metric(await metrics(), 'stowage_etcd_compacted_revision') ?? 0) > at, 20_000);
    } finally {
      clearInterval(writer);
    }
    const text = await metrics();
    assert.equal(metric(text, 'stowage_leader'), 1);
    assert.equal(metric(text, 'stowage_leader_transitions_total'), 1, server.output.filter((l) => /leader|lease/.test(l)).join('\n'));
    assert.deepEqual(server.output.filter((l) => /lease lost|no longer leader|watching again/.test(l)), []);
  });

  it('hack/backup.sh: save with etcdctl; restore refuses a data dir that is not empty', () => {
    const file = join(dir, 'etcdctl.db');
    const hack = join(ROOT, 'hack/backup.sh');
    const out = execFileSync(hack, ['save', file], { env: { ...process.env, ETCD_ENDPOINTS: etcd.endpoint }, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
    assert.match(out, /REVISION/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const r = spawnSync(hack, ['restore', file, dir], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim(), `hack/backup.sh: DIR: ${dir} exists and is not empty; restore into a new data dir (etcd's own stays untouched until you switch)`);
  });

  it('the audit log records every call of the admin routes, refused or not', () => {
    const lines = readFileSync(join(dir, 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const admin = lines.filter((l) => l.verb === 'admin').map((l) => `${l.user} ${l.kind}/${l.sub} ${l.code}`);
    assert.ok(admin.includes('alice etcd/snapshot 200'), admin.join('\n'));
    assert.ok(admin.includes('dave etcd/snapshot 403'), admin.join('\n'));
    assert.ok(admin.includes('bob etcd/defrag 403'), admin.join('\n'));
  });

  it('stowctl admin defrag defragments each member and prints its size before and after', async () => {
    const a = await as(T.admin, 'POST', '/api/v1/admin/defrag');
    assert.equal(a.status, 200, a.text);
    assert.equal(a.json.members.length, 1);
    const m0 = a.json.members[0];
    assert.equal(m0.endpoint, etcd.endpoint);
    assert.equal(m0.error, undefined);
    assert.ok(m0.dbSizeBefore > 0 && m0.dbSizeAfter > 0 && m0.dbSizeAfter <= m0.dbSizeBefore, JSON.stringify(m0));
    const r = await stowctl(T.admin, ['admin', 'defrag']);
    assert.equal(r.code, 0, r.err);
    const [header, row] = r.out.trimEnd().split('\n');
    assert.match(header!, /^MEMBER\s+ENDPOINT\s+BEFORE\s+AFTER\s+TOOK$/);
    assert.match(row!, new RegExp(`^\\S+\\s+${etcd.endpoint.replace(/[.:/]/g, '\\$&')}\\s+\\d+\\.\\d[KMG]i\\s+\\d+\\.\\d[KMG]i\\s+\\d+ms$`));
  });
});
