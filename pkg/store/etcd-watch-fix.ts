/**
 * A fix for the etcd3 client's watch manager (etcd3 1.1.2): when etcd
 * cancels a watch (its start revision was compacted away, the usual case
 * after a client reconnects late), the client drops the watcher and emits
 * 'error'. Calling cancel() on that watcher afterwards — what any owner does
 * when it cleans up — still sent etcd a cancel request for its old id, and
 * etcd's answer, for a watcher the client no longer knew, threw "Failed to
 * find watcher for IWatchResponse" out of the stream handler: an uncaught
 * exception that stops the process. Here detaching a watcher the manager no
 * longer holds is a no-op.
 */
import { createRequire } from 'node:module';

interface WatchManagerLike {
  watchers: unknown[];
  detach(watcher: unknown): Promise<void>;
}

const require = createRequire(import.meta.url);
const { WatchManager } = require('etcd3/lib/watch') as { WatchManager: { prototype: WatchManagerLike & { stowagePatched?: boolean } } };

const proto = WatchManager.prototype;
if (!proto.stowagePatched) {
  const detach = proto.detach;
  proto.detach = function (this: WatchManagerLike, watcher: unknown): Promise<void> {
    if (!this.watchers.includes(watcher)) return Promise.resolve();
    return detach.call(this, watcher);
  };
  proto.stowagePatched = true;
}
