/**
 * One informer per kind per process, shared by every loop and started on
 * first use. Informers keep running when leadership is lost, so a standby
 * that wins later starts with a warm cache.
 */
import { lookupKind } from '../api/kinds.js';
import type { AnyResource } from '../api/types.js';
import type { Logger } from '../log/logger.js';
import type { Store } from '../store/store.js';
import { Informer } from './informer.js';

export class InformerFactory {
  private readonly informers = new Map<string, { inf: Informer<any>; started: Promise<void> }>();

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
  ) {}

  /** The informer of a kind, synced. */
  async get<T extends AnyResource>(kindName: string): Promise<Informer<T>> {
    const kind = lookupKind(kindName);
    if (!kind) throw new RangeError(`unknown kind ${kindName}`);
    let e = this.informers.get(kind.plural);
    if (!e) {
      const inf = new Informer<T>(this.store, kind, this.log.child({ informer: kind.plural }));
      e = { inf, started: inf.start() };
      this.informers.set(kind.plural, e);
    }
    await e.started;
    return e.inf as Informer<T>;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.informers.values()].map((e) => e.inf.stop()));
    this.informers.clear();
  }
}
