/**
 * Group read: object reads asked for in the same turn of the event loop go
 * to etcd as one read-only transaction (two ranges each, spec and status,
 * up to etcd's budget), so a burst of reads — a thousand nodes reporting
 * their usage as they start — costs a few round trips instead of a
 * thousand. Every read of a transaction sees the same revision, as a read
 * alone would see one.
 *
 *   get(spec, status) ──► pending ──(setImmediate)──► txn of ranges, maxOps / 2 reads each
 *                                                      ├─ answered ─► each read its two kvs
 *                                                      └─ threw ────► each read that error
 */
import type { Etcd3, IKeyValue } from 'etcd3';

interface Read {
  spec: string;
  status: string;
  resolve: (kvs: { spec?: IKeyValue; status?: IKeyValue }) => void;
  reject: (e: unknown) => void;
}

export class GroupRead {
  private pending: Read[] = [];
  private scheduled = false;
  /** Transactions sent, for tests. */
  sent = 0;

  constructor(
    private readonly client: Etcd3,
    private readonly maxOps: number,
  ) {}

  /** The spec and status key's values, read with the other reads of this turn. */
  get(spec: string, status: string): Promise<{ spec?: IKeyValue; status?: IKeyValue }> {
    return new Promise((resolve, reject) => {
      this.pending.push({ spec, status, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const reads = this.pending;
    this.pending = [];
    const per = Math.max(1, Math.floor(this.maxOps / 2));
    for (let i = 0; i < reads.length; i += per) void this.send(reads.slice(i, i + per));
  }

  private async send(reads: Read[]): Promise<void> {
    this.sent++;
    try {
      const res = await this.client.kv.txn({
        compare: [],
        success: reads.flatMap((r) => [{ request_range: { key: Buffer.from(r.spec) } }, { request_range: { key: Buffer.from(r.status) } }]),
        failure: [],
      });
      reads.forEach((r, i) => r.resolve({ spec: res.responses[2 * i]?.response_range?.kvs[0], status: res.responses[2 * i + 1]?.response_range?.kvs[0] }));
    } catch (e) {
      for (const r of reads) r.reject(e);
    }
  }
}
