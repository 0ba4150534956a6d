/**
 * etcd leases kept alive on someone else's behalf: a server holds the
 * heartbeat leases of the agents on its API (`/api/v1/agent/sessions`).
 * The leases live in etcd, so any server can renew or revoke one that
 * another granted; the agent's periodic call, through whichever server it
 * reaches, is what keeps its lease alive, and when the calls stop the
 * lease runs out within its TTL.
 *
 *   grant(ttl) ──► lease id
 *   keepAlive(id) ──► one request on a keepalive stream shared by every
 *                     lease of this process (answers come back in order)
 *   revoke(id), keys(id)
 */
import type { Etcd3, IDuplexStream, ILeaseKeepAliveRequest, ILeaseKeepAliveResponse } from 'etcd3';
import { unavailable } from './errors.js';

type Stream = IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse>;

interface Waiter {
  id: string;
  done: (ttl: number) => void;
  fail: (e: unknown) => void;
}

/** How long one keepalive may take before the stream is taken for dead. */
const KEEPALIVE_TIMEOUT_MS = 5000;

export class LeaseKeeper {
  private stream: Promise<Stream> | undefined;
  private waiters: Waiter[] = [];

  constructor(private readonly client: Etcd3) {}

  async grant(ttlSeconds: number): Promise<string> {
    try {
      const r = await this.client.leaseClient.leaseGrant({ TTL: ttlSeconds });
      return String(r.ID);
    } catch (e) {
      throw unavailable(e);
    }
  }

  /** Renew the lease; resolves with its new TTL, 0 when it no longer exists. */
  async keepAlive(id: string): Promise<number> {
    const stream = await this.open();
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => this.reset(stream, new Error('etcd did not answer a lease keepalive in time')), KEEPALIVE_TIMEOUT_MS);
      this.waiters.push({
        id,
        done: (ttl) => {
          clearTimeout(timer);
          resolve(ttl);
        },
        fail: (e) => {
          clearTimeout(timer);
          reject(unavailable(e));
        },
      });
      stream.write({ ID: id });
    });
  }

  async revoke(id: string): Promise<void> {
    try {
      await this.client.leaseClient.leaseRevoke({ ID: id });
    } catch (e) {
      if (/not found/i.test(String(e))) return; // expired already: nothing to revoke
      throw unavailable(e);
    }
  }

  /** The keys on the lease (undefined when it does not exist). */
  async keys(id: string): Promise<string[] | undefined> {
    try {
      const r = await this.client.leaseClient.leaseTimeToLive({ ID: id, keys: true });
      if (Number(r.TTL) <= 0) return undefined;
      return (r.keys ?? []).map((k) => k.toString());
    } catch (e) {
      if (/not found/i.test(String(e))) return undefined;
      throw unavailable(e);
    }
  }

  close(): void {
    const s = this.stream;
    this.stream = undefined;
    void s?.then((x) => x.end(), () => undefined);
    for (const w of this.waiters.splice(0)) w.fail(new Error('closed'));
  }

  private open(): Promise<Stream> {
    if (this.stream) return this.stream;
    const p = this.client.leaseClient.leaseKeepAlive().then((s) => {
      s.on('data', (res: ILeaseKeepAliveResponse) => {
        // etcd answers keepalives in the order they were sent
        const i = this.waiters.findIndex((w) => w.id === String(res.ID));
        if (i < 0) return;
        const [w] = this.waiters.splice(i, 1);
        w!.done(Math.max(0, Number(res.TTL)));
      });
      s.on('error', (e: unknown) => this.reset(s, e));
      s.on('end', () => this.reset(s, new Error('keepalive stream ended')));
      return s;
    });
    this.stream = p;
    p.catch((e: unknown) => {
      if (this.stream === p) this.stream = undefined;
      for (const w of this.waiters.splice(0)) w.fail(e);
    });
    return p;
  }

  /** The stream broke: fail what waits on it; the next keepalive opens another. */
  private reset(s: Stream, e: unknown): void {
    void this.stream?.then((cur) => {
      if (cur !== s) return;
      this.stream = undefined;
      try {
        s.end();
      } catch {
        // already gone
      }
      for (const w of this.waiters.splice(0)) w.fail(e);
    }, () => undefined);
  }
}
