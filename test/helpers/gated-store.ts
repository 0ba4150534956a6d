/**
 * A real Store whose transactions wait at a gate: the first `open` ones go
 * through, the rest are held until the test opens the gate. It makes races
 * and deposition mid-reconcile happen when the test says, not by luck.
 *
 * `holds` picks which transactions the gate counts and holds, by the keys
 * they write (e.g. only those that create JobRuns); the others go straight
 * through, uncounted. By default every transaction counts.
 */
import type { Etcd3 } from 'etcd3';
import { Store } from '../../pkg/store/store.js';
import type { Fence, Txn } from '../../pkg/store/txn.js';

export class Gate {
  /** Transactions waiting at the gate now. */
  held = 0;
  private release!: () => void;
  readonly opened = new Promise<void>((r) => (this.release = r));
  open(): void {
    this.release();
  }
}

export class GatedStore extends Store {
  private sent = 0;

  constructor(
    client: Etcd3,
    readonly gate = new Gate(),
    /** Transactions let through before the gate holds them. */
    public open = 0,
    /** Which transactions count and may be held, by the keys they put or delete. */
    readonly holds: (keys: readonly string[]) => boolean = () => true,
  ) {
    super(client);
  }

  override txn(fence?: Fence): Txn {
    const t = super.txn(fence);
    // the keys the transaction writes, one per operation (reset takes some back)
    const keys: string[] = [];
    const put = t.put.bind(t);
    const del = t.del.bind(t);
    const reset = t.reset.bind(t);
    t.put = (key, value, lease) => (keys.push(key), put(key, value, lease));
    t.del = (key) => (keys.push(key), del(key));
    t.reset = (m) => {
      keys.length = m.ops;
      reset(m);
    };
    const commit = t.commit.bind(t);
    t.commit = async () => {
      if (this.holds(keys) && this.sent++ >= this.open) {
        this.gate.held++;
        await this.gate.opened;
        this.gate.held--;
      }
      return commit();
    };
    return t;
  }
}
