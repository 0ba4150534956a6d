/**
 * etcd's Maintenance and compaction RPCs, for the admin routes (snapshot,
 * defrag) and the server's housekeeping (compaction, the quota gauge):
 *
 *   snapshot()   one member streams its whole backend: the backup file
 *   status()     the revision and database size a member reports
 *   defrag()     member by member, the raft leader last: status, Defragment, status
 *                (one member at a time, as etcd's docs advise: a member
 *                defragmenting answers nothing)
 *   compact(r)   drop the history before revision r (keys' latest values stay)
 *
 * Defragment and Status act on the member the call reaches, so defrag()
 * opens a client of its own to each member's client URL, with the same TLS
 * material and user as the server's client.
 */
import type { Etcd3, ISnapshotResponse } from 'etcd3';
import { newEtcdClient, type EtcdOptions } from './etcd.js';
import { classifyEtcdError } from './errors.js';
import type { MemberDefrag } from '../api/types.js';

export type { MemberDefrag };


export interface EtcdStatus {
  revision: string;
  dbSize: number;
  memberId: string;
}

/** What a snapshot stream yields: its revision (from its first header) and its chunks. */
export interface SnapshotStream {
  /** The revision the snapshot holds (at least this: etcd 3.4 sends no header, then it is read just before). */
  revision: string;
  chunks: AsyncIterable<Buffer>;
}

const hexId = (id: string): string => BigInt(id).toString(16);

export class EtcdMaintenance {
  constructor(
    private readonly client: Etcd3,
    /** How to reach each member on its own (endpoints are replaced by the member's URL). */
    private readonly opts: Omit<EtcdOptions, 'endpoints'>,
  ) {}

  async status(): Promise<EtcdStatus> {
    try {
      const s = await this.client.maintenance.status();
      return { revision: s.header.revision, dbSize: Number(s.dbSize), memberId: hexId(s.header.member_id) };
    } catch (e) {
      throw classifyEtcdError(e);
    }
  }

  /** Compact the key-value history before `revision` (not physical: etcd frees the space in the background). */
  async compact(revision: string): Promise<void> {
    try {
      await this.client.kv.compact({ revision, physical: false });
    } catch (e) {
      throw classifyEtcdError(e);
    }
  }

  /**
   * Start a snapshot; the chunks come as the member sends them. The first
   * message is awaited here, so an etcd that is down fails before anything
   * is answered.
   */
  async snapshot(): Promise<SnapshotStream> {
    let before: string;
    let stream: Awaited<ReturnType<Etcd3['maintenance']['snapshot']>>;
    try {
      before = (await this.status()).revision;
      stream = await this.client.maintenance.snapshot();
    } catch (e) {
      throw classifyEtcdError(e);
    }
    // a grpc-js stream is a Node Readable: pause it while the HTTP client is behind
    const flow = stream as unknown as { pause(): void; resume(): void };
    const queue = new ChunkQueue(() => flow.pause(), () => flow.resume());
    stream.on('data', (m: ISnapshotResponse) => queue.push(m));
    stream.on('end', () => queue.end());
    stream.on('error', (e: Error) => queue.fail(classifyEtcdError(e)));
    const first = await queue.first();
    const rev = first?.header?.revision;
    return { revision: rev && rev !== '0' ? rev : before, chunks: queue.blobs() };
  }

  /** Defragment every member, one after the other; a member that fails is reported and the next is tried. */
  async defrag(): Promise<MemberDefrag[]> {
    let members;
    let leader: string;
    try {
      members = (await this.client.cluster.memberList({})).members;
      leader = (await this.client.maintenance.status()).leader;
    } catch (e) {
      throw classifyEtcdError(e);
    }
    // the raft leader last: while it defragments, writes wait; the followers' turns cost nothing of the kind
    members = [...members.filter((m) => m.ID !== leader), ...members.filter((m) => m.ID === leader)];
    const out: MemberDefrag[] = [];
    for (const m of members) {
      const endpoint = m.clientURLs[0];
      const r: MemberDefrag = { name: m.name, id: hexId(m.ID), endpoint: endpoint ?? '' };
      out.push(r);
      if (!endpoint) {
        r.error = 'the member has no client URL (not started yet)';
        continue;
      }
      // a defragmentation of a large database takes long: a minute before giving up on it
      const c = newEtcdClient({ ...this.opts, endpoints: endpoint, callTimeoutMs: 60_000 });
      try {
        r.dbSizeBefore = Number((await c.maintenance.status()).dbSize);
        const t0 = Date.now();
        await c.maintenance.defragment();
        r.durationMs = Date.now() - t0;
        r.dbSizeAfter = Number((await c.maintenance.status()).dbSize);
      } catch (e) {
        r.error = classifyEtcdError(e).message;
      } finally {
        c.close();
      }
    }
    return out;
  }
}

/** The snapshot's messages as they arrive, read once in order. */
class ChunkQueue {
  /** Messages held before the stream is paused (etcd sends 32 KiB each). */
  private static readonly HIGH = 64;
  constructor(
    private readonly pause: () => void,
    private readonly resume: () => void,
  ) {}
  /**
   * The reader stopped early (the HTTP client left): the rest is read and
   * dropped. Not cancelled: etcd3 counts an error on a stream, a cancel too,
   * as a failure of its member's connection and resets its channels.
   */
  private discarding = false;
  private paused = false;
  private readonly items: ISnapshotResponse[] = [];
  private done = false;
  private error: Error | undefined;
  private wake: (() => void) | undefined;

  push(m: ISnapshotResponse): void {
    if (this.discarding) return;
    this.items.push(m);
    if (!this.paused && this.items.length >= ChunkQueue.HIGH) {
      this.paused = true;
      this.pause();
    }
    this.poke();
  }
  end(): void {
    this.done = true;
    this.poke();
  }
  fail(e: Error): void {
    this.error = e;
    this.poke();
  }
  private poke(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
  private async next(): Promise<ISnapshotResponse | undefined> {
    for (;;) {
      if (this.error) throw this.error;
      if (this.items.length > 0) {
        if (this.paused && this.items.length <= ChunkQueue.HIGH / 2) {
          this.paused = false;
          this.resume();
        }
        return this.items.shift();
      }
      if (this.done) return undefined;
      await new Promise<void>((r) => (this.wake = r));
    }
  }
  private head: ISnapshotResponse | undefined;
  /** The first message, kept for blobs(). */
  async first(): Promise<ISnapshotResponse | undefined> {
    this.head = await this.next();
    return this.head;
  }
  async *blobs(): AsyncIterable<Buffer> {
    try {
      if (this.head?.blob?.length) yield this.head.blob;
      for (let m = await this.next(); m; m = await this.next()) if (m.blob?.length) yield m.blob;
    } finally {
      if (!this.done && !this.error) {
        this.discarding = true;
        this.items.length = 0;
        if (this.paused) this.resume();
      }
    }
  }
}
