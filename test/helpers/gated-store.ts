/**
 * A real Store whose transactions wait at a gate: the first `open` ones go
 * through, the rest are held until the test opens the gate. It makes races
 * and deposition mid-reconcile happen when the test says, not by luck.
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
  ) {
    super(client);
  }

  override txn(fence?: Fence): Txn {
    const t = super.txn(fence);
    const commit = t.commit.bind(t);
    t.commit = async () => {
      if (this.sent++ >= this.open) {
        this.gate.held++;
        await this.gate.opened;
        this.gate.held--;
      }
      return commit();
    };
    return t;
  }
}
