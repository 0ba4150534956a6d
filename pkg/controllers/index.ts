/** The leader-only loops a server runs, wired to the shared informers. */
import { EventRecorder } from '../events/recorder.js';
import type { InformerFactory } from '../informer/factory.js';
import type { Logger } from '../log/logger.js';
import type { Runnable } from '../manager/manager.js';
import type { Store } from '../store/store.js';
import type { Fence } from '../store/txn.js';
import { ClusterMetrics } from './cluster-metrics.js';
import { GarbageCollector } from './gc/controller.js';
import { NodeLifecycleController } from './nodes/controller.js';
import { SchedulerController } from './scheduler/controller.js';
import { DEFAULT_HEALTH_POLICY, type HealthPolicy } from './health/compute.js';
import { JobsController } from './jobs/controller.js';
import { LeaderEvents } from './leader-events.js';
import { ServicesController } from './services/controller.js';

export interface LoopOptions {
  nodeLostGraceMs: number;
  /** The health brake and surge-replace (services loop); defaults in health/compute.ts. */
  health?: Partial<HealthPolicy>;
}

export interface LoopDeps {
  store: Store;
  informers: InformerFactory;
  log: Logger;
  opts: LoopOptions;
  /** The leader's fencing token, for writes made outside a loop (events). */
  fence: () => Fence;
  /** This server, as the election knows it (for the LeaderElected event). */
  identity?: string;
}

export function leaderLoops(deps: LoopDeps): Runnable[] {
  const { store, informers, log } = deps;
  const recorder = new EventRecorder(store, 'leader', log, deps.fence);
  return [
    new SchedulerController({ store, informers, log, recorder }),
    new NodeLifecycleController({ store, informers, log, recorder, graceMs: deps.opts.nodeLostGraceMs }),
    new GarbageCollector({ store, informers, log }),
    new ServicesController({ store, informers, log, recorder, options: deps.opts.health ? { health: { ...DEFAULT_HEALTH_POLICY, ...deps.opts.health } } : undefined }),
    new JobsController({ store, informers, log, recorder }),
    new ClusterMetrics(informers),
    ...(deps.identity ? [new LeaderEvents({ recorder, identity: deps.identity })] : []),
  ];
}
