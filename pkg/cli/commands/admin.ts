/**
 * `stowctl admin backup FILE` and `stowctl admin defrag` (docs/api.md, Admin;
 * an admin of every namespace only):
 *
 *   backup   GET /api/v1/admin/snapshot ──► FILE, atomically (snapshot-file.ts);
 *            prints its size and etcd revision
 *   defrag   POST /api/v1/admin/defrag: every etcd member in turn; prints each
 *            member's size before and after; exit 1 if any member failed
 *
 * Restoring a backup is the operator's job, with etcd stopped (README, Backup
 * and restore; hack/backup.sh restore).
 */
import { type Ctx } from '../context.js';
import type { MemberDefrag } from '../../api/types.js';
import { CliError, ExitError } from '../errors.js';
import { writeSnapshotFile } from '../snapshot-file.js';
import { renderTable } from '../printers/table.js';

/** Set by the server on a snapshot (pkg/server/admin.ts). */
const REVISION_HEADER = 'x-stowage-snapshot-revision';

export async function runBackup(ctx: Ctx, file: string): Promise<void> {
  const res = await ctx.client.open('GET', '/api/v1/admin/snapshot', { signal: ctx.signal });
  const revision = res.headers.get(REVISION_HEADER) ?? 'unknown';
  if (!res.body) throw new CliError('the server answered the snapshot with no body');
  const { bytes } = await writeSnapshotFile(file, res.body as unknown as AsyncIterable<Uint8Array>);
  if (ctx.g.output === 'json') ctx.out(JSON.stringify({ file, bytes, revision }, null, 2) + '\n');
  else ctx.out(`${file}: ${bytes} bytes, etcd revision ${revision}\n`);
}

export async function runDefrag(ctx: Ctx): Promise<void> {
  const { members } = await ctx.client.post<{ members: MemberDefrag[] }>('/api/v1/admin/defrag', {});
  if (ctx.g.output === 'json') ctx.out(JSON.stringify({ members }, null, 2) + '\n');
  else ctx.out(defragTable(members));
  const failed = members.filter((m) => m.error);
  if (failed.length > 0) {
    ctx.err(`error: ${failed.length} of ${members.length} etcd members were not defragmented: ${failed.map((m) => `${m.name || m.id}: ${m.error}`).join('; ')}\n`);
    throw new ExitError(1);
  }
}

export function defragTable(members: readonly MemberDefrag[]): string {
  const size = (n: number | undefined) => (n === undefined ? '-' : mib(n));
  return renderTable(
    ['MEMBER', 'ENDPOINT', 'BEFORE', 'AFTER', 'TOOK'],
    members.map((m) => [m.name || m.id, m.endpoint || '-', size(m.dbSizeBefore), size(m.dbSizeAfter), m.error ? `failed: ${m.error}` : m.durationMs === undefined ? '-' : `${m.durationMs}ms`]),
  );
}

/** 20.0Ki, 2.0Mi, 1.5Gi: etcd's databases range from kilobytes to gigabytes. */
const mib = (n: number): string => (n < 1 << 20 ? `${(n / 1024).toFixed(1)}Ki` : n < 1 << 30 ? `${(n / (1 << 20)).toFixed(1)}Mi` : `${(n / (1 << 30)).toFixed(1)}Gi`);
