/**
 * A process is a set of runnables. The manager starts the ones anyone may
 * run at once, and the leader-only ones when the election is won; it stops
 * those the moment leadership is lost and starts them again on the next win.
 *
 *   start() ──► always-on runnables
 *   election 'elected' (term T) ──► leader-only runnables start(context of T)
 *   election 'deposed'          ──► T ends: its context's fence() throws from now on;
 *                                   leader-only runnables stop()
 *   a leader-only runnable fails to start ──► the others stop, the leader resigns
 *                                   (a standby, or this process after a wait, leads whole)
 *
 * Each term has its own context: a reconcile still in flight from term T
 * cannot borrow the token of a later term, and fails closed (Fenced) on
 * its next write.
 */
import { ApiError } from '../api/errors.js';
import { errMsg, type Logger } from '../log/logger.js';
import { notLeader, type Election } from '../election/election.js';
import type { Fence } from '../store/txn.js';
import * as metrics from '../metrics/metrics.js';

export interface RunContext {
  /** The fencing token to pass with every leader-only write; throws Fenced once the term is over. */
  fence: () => Fence;
  /** When this term was won (ms since the epoch); absent outside a term. */
  electedAt?: number;
}

export interface Runnable {
  readonly name: string;
  readonly leaderOnly: boolean;
  start(ctx: RunContext): Promise<void>;
  stop(): Promise<void>;
}

/** The context of runnables that do not lead: they have no fence to give. */
const NO_TERM: RunContext = {
  fence: () => {
    throw new ApiError('Fenced', 'not a leader-only runnable; write refused');
  },
};

/** A term's context: its token while the election still holds it, then Fenced for ever. */
export function termContext(election: Pick<Election, 'holds'>, token: Fence, electedAt = Date.now()): RunContext & { end(): void } {
  let over = false;
  return {
    electedAt,
    fence: () => {
      if (over || !election.holds(token)) {
        over = true;
        throw notLeader('this term of leadership is over');
      }
      return token;
    },
    end: () => {
      over = true;
    },
  };
}

export class Manager {
  private readonly runnables: Runnable[] = [];
  private term: (RunContext & { end(): void }) | undefined;
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
    for (const r of this.runnables.filter((x) => !x.leaderOnly)) await r.start(NO_TERM);
    if (!this.election) return;
    this.election.on('elected', (f: Fence) => {
      const at = Date.now();
      this.queue(() => this.startLeader(f, at));
    });
    this.election.on('deposed', () => {
      this.term?.end(); // at once, not after the queued stop: fail closed
      this.queue(() => this.stopLeader());
    });
    await this.election.start();
  }

  private queue(f: () => Promise<void>): void {
    this.transition = this.transition.then(f, f);
  }

  private async startLeader(token: Fence, electedAt: number): Promise<void> {
    const election = this.election!;
    if (this.term || !election.holds(token)) return;
    const term = termContext(election, token, electedAt);
    this.term = term;
    metrics.leader.set(1);
    metrics.leaderTransitions.inc();
    for (const r of this.runnables.filter((x) => x.leaderOnly)) {
      try {
        await r.start(term);
        this.log.info('started', { runnable: r.name });
      } catch (e) {
        // Leading with a loop missing would leave its work undone: step down.
        this.log.error('runnable failed to start; stepping down', { runnable: r.name, error: errMsg(e) });
        term.end();
        await this.stopLeader();
        void election.resign(`${r.name} failed to start: ${errMsg(e)}`);
        return;
      }
    }
  }

  private async stopLeader(): Promise<void> {
    metrics.leader.set(0);
    const term = this.term;
    if (!term) return;
    term.end();
    this.term = undefined;
    await Promise.all(
      this.runnables
        .filter((x) => x.leaderOnly)
        .map((r) => r.stop().catch((e) => this.log.error('runnable failed to stop', { runnable: r.name, error: errMsg(e) }))),
    );
    this.log.info('leader loops stopped');
  }

  async stop(): Promise<void> {
    this.queue(() => this.stopLeader());
    await this.transition;
    if (this.election) await this.election.stop();
    await this.transition;
    for (const r of this.runnables.filter((x) => !x.leaderOnly)) await r.stop().catch(() => undefined);
  }
}
