/**
 * "Leader changed" as an Event: when this server wins the election it
 * records LeaderElected about the leader lease, naming itself. Successive
 * leaders within 10 minutes form one series (its count is the number of
 * changes, its message the newest leader), so a flapping leader is one row.
 *
 *   election won ──► leader-only runnables start ──► LeaderElected (fenced write)
 */
import type { AnyResource } from '../api/types.js';
import type { Recorder } from '../events/recorder.js';
import type { RunContext, Runnable } from '../manager/manager.js';

/** What leader events are about: the lease the servers campaign for (not a stored kind). */
export const LEADER_LEASE: AnyResource = {
  apiVersion: 'stowage/v1',
  kind: 'Lease',
  metadata: { name: 'stowage-leader', namespace: 'default' },
  spec: {},
} as AnyResource;

export class LeaderEvents implements Runnable {
  readonly name = 'leader-events';
  readonly leaderOnly = true;

  constructor(private readonly d: { recorder: Recorder; identity: string }) {}

  async start(_ctx: RunContext): Promise<void> {
    this.d.recorder.normal(LEADER_LEASE, 'LeaderElected', `${this.d.identity} became the leader`);
  }

  async stop(): Promise<void> {}
}
