/**
 * The admin routes (docs/api.md, Admin): etcd's housekeeping through the API,
 * for admins only (a snapshot holds every namespace's objects and secrets).
 *
 *   GET  /api/v1/admin/snapshot   an etcd snapshot, streamed as it is read
 *                                 (application/octet-stream; its revision in
 *                                 the x-stowage-snapshot-revision header)
 *   POST /api/v1/admin/defrag     defragment every member, one after the other;
 *                                 each member's size before and after
 *
 * A snapshot that fails half-way is cut off (the connection is reset), so a
 * client never mistakes a partial file for a whole one. One whose client left
 * is read to its end and dropped (maintenance.ts): an unfinished snapshot
 * holds etcd's backend, and a defragmentation would wait for it for ever.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../api/errors.js';
import { errMsg, type Logger } from '../log/logger.js';
import type { EtcdMaintenance } from '../store/maintenance.js';
import { sendJson } from './respond.js';

export const SNAPSHOT_REVISION_HEADER = 'x-stowage-snapshot-revision';

export async function serveAdmin(m: EtcdMaintenance | undefined, log: Logger, req: IncomingMessage, res: ServerResponse, verb: string, sub: string): Promise<number> {
  if (!m) throw new ApiError('NotFound', 'this server has no etcd maintenance client');
  switch (sub) {
    case 'snapshot': {
      if (verb !== 'GET') throw new ApiError('BadRequest', `${verb} is not supported on /api/v1/admin/snapshot; use GET`);
      const snap = await m.snapshot();
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'cache-control': 'no-store', [SNAPSHOT_REVISION_HEADER]: snap.revision });
      let bytes = 0;
      // the client may leave at any moment, also while no write waits: note it once, for every wait
      let gone = res.destroyed;
      let wake: (() => void) | undefined;
      res.once('close', () => {
        gone = true;
        wake?.();
      });
      try {
        for await (const c of snap.chunks) {
          if (gone) throw new Error('the client left');
          bytes += c.length;
          if (!res.write(c) && !gone) {
            await new Promise<void>((r) => {
              wake = r;
              res.once('drain', r);
            });
            wake = undefined;
          }
        }
        if (gone) throw new Error('the client left');
      } catch (e) {
        log.warn('snapshot cut off', { revision: snap.revision, bytes, error: errMsg(e) });
        res.destroy();
        return 500;
      }
      res.end();
      log.info('snapshot sent', { revision: snap.revision, bytes });
      return 200;
    }
    case 'defrag': {
      if (verb !== 'POST') throw new ApiError('BadRequest', `${verb} is not supported on /api/v1/admin/defrag; use POST`);
      const members = await m.defrag();
      for (const r of members) {
        if (r.error) log.warn('etcd member not defragmented', { ...r });
        else log.info('etcd member defragmented', { ...r });
      }
      sendJson(res, 200, { members });
      return 200;
    }
    default:
      throw new ApiError('NotFound', `no route /api/v1/admin/${sub}; the admin routes are /api/v1/admin/snapshot (GET) and /api/v1/admin/defrag (POST)`);
  }
}
