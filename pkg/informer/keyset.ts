/**
 * A live set of the keys under one prefix (list, then watch; re-list when
 * the watch is canceled). For things that are not resources, such as the
 * agents' heartbeat keys: present while the agent's lease lives.
 */
import type { Etcd3, IWatchResponse, Watcher } from 'etcd3';
import { errMsg, type Logger } from '../log/logger.js';
import { prefixEnd } from '../store/store.js';
import { Backoff } from '../util/backoff.js';
import { warnUnlessEtcdDown } from '../store/etcd-health.js';

export type KeyHandler = (name: string, present: boolean) => void;

export class KeySet {
  private readonly keys = new Set<string>();
  private readonly handlers: KeyHandler[] = [];
  private watcher: Watcher | undefined;
  private stopped = false;

  constructor(
    private readonly client: Etcd3,
    private readonly prefix: string,
    private readonly log: Logger,
  ) {}

  has(name: string): boolean {
    return this.keys.has(name);
  }

  names(): string[] {
    return [...this.keys];
  }

  onChange(h: KeyHandler): () => void {
    this.handlers.push(h);
    return () => this.handlers.splice(this.handlers.indexOf(h), 1);
  }

  async start(): Promise<void> {
    this.stopped = false;
    const backoff = new Backoff();
    while (!this.stopped) {
      try {
        const res = await this.client.kv.range({ key: Buffer.from(this.prefix), range_end: prefixEnd(this.prefix), keys_only: true });
        const now = new Set(res.kvs.map((kv) => kv.key.toString().slice(this.prefix.length)));
        for (const k of [...this.keys]) if (!now.has(k)) this.set(k, false);
        for (const k of now) this.set(k, true);
        // kept from the moment it exists, so stop() can always detach it
        const w = this.client.watch().prefix(this.prefix).startRevision(String(BigInt(res.header.revision) + 1n)).watcher();
        this.watcher = w;
        w.on('data', (r: IWatchResponse) => {
          for (const ev of r.events) this.set(ev.kv.key.toString().slice(this.prefix.length), ev.type !== 'Delete');
        });
        w.on('error', (e: Error) => {
          if (this.stopped) return;
          warnUnlessEtcdDown(this.log, 'key watch canceled; re-listing', { prefix: this.prefix, error: errMsg(e) }, e);
          void w.cancel().catch(() => undefined);
          void this.start();
        });
        return;
      } catch (e) {
        const ms = backoff.next();
        warnUnlessEtcdDown(this.log, 'key list failed; retrying', { prefix: this.prefix, error: errMsg(e), retryInMs: ms }, e);
        await new Promise((r) => setTimeout(r, ms));
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const w = this.watcher;
    this.watcher = undefined;
    if (w) await Promise.race([w.cancel().catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
  }

  private set(name: string, present: boolean): void {
    if (this.keys.has(name) === present) return;
    if (present) this.keys.add(name);
    else this.keys.delete(name);
    for (const h of this.handlers) h(name, present);
  }
}
