/**
 * The leader-only loops a server runs, wired to the shared informers.
 */
import type { InformerFactory } from '../informer/factory.js';
import type { Logger } from '../log/logger.js';
import type { Runnable } from '../manager/manager.js';
import type { ApiServer } from '../server/http.js';
import type { Store } from '../store/store.js';

export interface LoopOptions {
  nodeLostGraceMs: number;
}

export interface LoopDeps {
  store: Store;
  informers: InformerFactory;
  log: Logger;
  api: ApiServer;
  opts: LoopOptions;
}

export function leaderLoops(_deps: LoopDeps): Runnable[] {
  return [];
}
