/**
 * A process is a set of runnables. The manager starts the ones anyone may
 * run at once, and the leader-only ones when the election is won; it stops
 * those the moment leadership is lost (their writes are fenced anyway, so
 * a slow stop cannot corrupt anything) and starts them again on the next win.
 *
 *   start() ──► always-on runnables
 *   election 'elected' ──► leader-only runnables start(fence)
 *   election 'deposed' ──► leader-only runnables stop()
 */
import { errMsg, type Logger } from '../log/logger.js';
import type { Election } from '../election/election.js';
import type { Fence } from '../store/txn.js';
import * as metrics from '../metrics/metrics.js';

export interface RunContext {
  /** The fencing token to pass with every write (undefined once deposed). */
  fence: () => Fence | undefined;
}

export interface Runnable {
  readonly name: string;
  readonly leaderOnly: boolean;
  start(ctx: RunContext): Promise<void>;
  stop(): Promise<void>;
}

export class Manager {
  private readonly runnables: Runnable[] = [];
  private leaderRunning = false;
  /** Serializes leader start/stop so a quick lose-win never overlaps. */
  private transition: Promise<void> = Promise.resolve();

  constructor(
    private readonly election: Election | undefined,
    private readonly log: Logger,
  ) {}

  add(r: Runnable): void {
    this.runnables.push(r);
  }

  async start(): Promise<void> {
    const ctx: RunContext = { fence: () => this.election?.fence() };
    for (const r of this.runnables.filter((x) => !x.leaderOnly)) await r.start(ctx);
    if (!this.election) return;
    this.election.on('elected', () => this.queue(() => this.startLeader(ctx)));
    this.election.on('deposed', () => this.queue(() => this.stopLeader()));
    await this.election.start();
  }

  private queue(f: () => Promise<void>): void {
    this.transition = this.transition.then(f, f);
  }

  private async startLeader(ctx: RunContext): Promise<void> {
    if (this.leaderRunning || !this.election?.isLeader) return;
    this.leaderRunning = true;
    metrics.leader.set(1);
    metrics.leaderTransitions.inc();
    for (const r of this.runnables.filter((x) => x.leaderOnly)) {
      try {
        await r.start(ctx);
        this.log.info('started', { runnable: r.name });
      } catch (e) {
        this.log.error('runnable failed to start', { runnable: r.name, error: errMsg(e) });
      }
    }
  }

  private async stopLeader(): Promise<void> {
    metrics.leader.set(0);
    if (!this.leaderRunning) return;
    this.leaderRunning = false;
    await Promise.all(
      this.runnables
        .filter((x) => x.leaderOnly)
        .map((r) => r.stop().catch((e) => this.log.error('runnable failed to stop', { runnable: r.name, error: errMsg(e) }))),
    );
  }

  async stop(): Promise<void> {
    this.queue(() => this.stopLeader());
    await this.transition;
    if (this.election) await this.election.stop();
    await this.transition;
    for (const r of this.runnables.filter((x) => !x.leaderOnly)) await r.stop().catch(() => undefined);
  }
}
