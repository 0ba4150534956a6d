/**
 * Wait until every given Service's deployment is complete with all its
 * instances healthy, polling `GET` every 500 ms; fail on the first one
 * whose deployment failed, or at the timeout.
 */
import { isApiError } from '../../api/errors.js';
import { lookupKind } from '../../api/kinds.js';
import type { Service } from '../../api/types.js';
import type { Ctx } from '../context.js';
import { CliError, ExitError, UnreachableError } from '../errors.js';
import { formatDuration } from '../duration.js';
import { getObject } from '../objects.js';
import { conditionLine, progressLine, progressOf, type Progress } from './progress.js';
import { progressView } from './view.js';

const SERVICE = lookupKind('Service')!;

export interface ServiceRef {
  namespace: string;
  name: string;
}

export async function waitForServices(ctx: Ctx, refs: ServiceRef[], timeoutMs: number): Promise<Progress[]> {
  if (refs.length === 0) return [];
  const pollMs = ctx.deps.pollMs ?? 500;
  const deadline = ctx.now().getTime() + timeoutMs;
  const view = await progressView(ctx);
  const pending = new Map(refs.map((r) => [`${r.namespace}/${r.name}`, r]));
  const latest = new Map<string, Progress>();
  const done: Progress[] = [];
  let warned = false;
  try {
    for (;;) {
      for (const [key, ref] of pending) {
        let svc: Service;
        try {
          svc = await getObject<Service>(ctx.client, SERVICE, ref.namespace, ref.name);
        } catch (e) {
          // The server restarting or failing over must not end a long wait.
          if (e instanceof UnreachableError || isApiError(e, 'Unavailable')) {
            if (!warned) ctx.err(`warning: ${e.message}; still waiting\n`);
            warned = true;
            continue;
          }
          throw e;
        }
        warned = false;
        const p = progressOf(svc);
        latest.set(key, p);
        view.update(p);
        if (p.failed) {
          const conds = (svc.status?.conditions ?? []).map(conditionLine);
          throw new CliError(`rollout of ${p.ref} failed${p.message ? `: ${p.message}` : ''}`, conds);
        }
        if (p.done) {
          pending.delete(key);
          done.push(p);
        }
      }
      if (pending.size === 0) return done;
      if (ctx.signal.aborted) throw new ExitError(130);
      if (ctx.now().getTime() >= deadline) {
        const lines = [...pending.keys()].map((k) => {
          const p = latest.get(k);
          return p ? progressLine(p) : `service/${pending.get(k)!.name}: no answer from the server`;
        });
        throw new CliError(`timed out after ${formatDuration(timeoutMs)} waiting for the rollout to complete`, lines);
      }
      await ctx.sleep(pollMs);
    }
  } finally {
    view.stop();
  }
}
