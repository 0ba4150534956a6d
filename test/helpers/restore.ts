/**
 * README's restore procedure for tests: `hack/backup.sh restore FILE DIR`
 * into a new data dir for one member, then etcd started on it (hack/etcd.sh,
 * plain http) on a free port whose peer URL the restore was given.
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { ROOT } from './agent.js';
import { freePort } from './etcd.js';

export interface RestoredEtcd {
  endpoint: string;
  stop(): void;
}

export async function restoreEtcd(file: string, dataDir: string): Promise<RestoredEtcd> {
  const port = await freePort();
  execFileSync(resolve(ROOT, 'hack/backup.sh'), ['restore', file, dataDir, '--name', 's1', '--peer-url', `http://127.0.0.1:${port + 1}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  const hack = resolve(ROOT, 'hack/etcd.sh');
  execFileSync(hack, ['start', '--port', String(port), '--dir', dataDir], { env: { ...process.env, ETCD_TLS: '0' }, stdio: ['ignore', 'pipe', 'inherit'], timeout: 60_000 });
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => execFileSync(hack, ['stop', '--port', String(port)], { timeout: 60_000 }) };
}
