/**
 * hack/dockerd.sh, as every e2e file and CI use it: a second `start` while
 * the engine runs answers at once, because the engine it launched does not
 * hold the script's start lock (when it did, every later start waited
 * forever). It runs with --live-restore unless DOCKERD_LIVE_RESTORE=0. On an
 * engine of the test's own.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { promisify } from 'node:util';
import { privateDockerd, type PrivateDockerd } from '../helpers/docker.js';
import { ROOT } from '../helpers/agent.js';

const run = promisify(execFile);

describe('hack/dockerd.sh', () => {
  let engine: PrivateDockerd;
  const name = 'dockerd-lock';

  before(() => {
    engine = privateDockerd(name, { liveRestore: true }); // the default, checked below
  });
  after(() => engine?.stop());

  it('the engine holds no descriptor of the start lock', () => {
    const tag = `dockerd-${basename(engine.socket, '.sock')}`;
    const pid = readFileSync(resolve(ROOT, `.run/${tag}.pid`), 'utf8').trim();
    const fds = readdirSync(`/proc/${pid}/fd`).map((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return '';
      }
    });
    assert.ok(fds.length > 0, `read the descriptors of dockerd ${pid}`);
    assert.deepEqual(fds.filter((f) => f.endsWith('.lock')), [], 'no lock file open in the engine');
  });

  it('runs the engine with --live-restore by default', async () => {
    const r = await run('docker', ['info', '--format', '{{.LiveRestoreEnabled}}'], { env: { ...process.env, DOCKER_HOST: `unix://${engine.socket}` }, timeout: 20_000 });
    assert.equal(r.stdout.trim(), 'true');
  });

  it('a second start while it runs answers at once', async () => {
    const t0 = Date.now();
    const r = await run(resolve(ROOT, 'hack/dockerd.sh'), ['start', '--socket', engine.socket], { cwd: ROOT, timeout: 20_000 });
    assert.match(r.stderr, /already running/);
    assert.ok(Date.now() - t0 < 15_000, `took ${Date.now() - t0} ms`);
  });
});
