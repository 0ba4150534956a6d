/**
 * Which revision a rollback goes back to (pure): the choice behind
 * `POST /api/v1/services/<ns>/<name>/rollback` and `stowctl rollout undo`.
 *
 *   status.revisions [.., {2, h2}, {3, h3}]   spec template = h3 (current)
 *   undo            ──► template of 2 (the newest that is not current)
 *   undo --to N     ──► template of N (404 if unknown, 400 if current)
 */
import { ApiError } from './errors.js';
import { templateHash, templateOf } from './template.js';
import type { Service, ServiceRevision } from './types.js';

/** The revision to go back to, or an ApiError that names the problem. */
export function rollbackTarget(svc: Service, revision?: number): ServiceRevision {
  const ref = `service/${svc.metadata.name}`;
  const history = svc.status?.revisions ?? [];
  const hash = templateHash(templateOf(svc.spec));
  if (revision !== undefined) {
    const r = history.find((x) => x.revision === revision);
    if (!r) {
      const known = history.map((x) => x.revision).join(', ');
      throw new ApiError('NotFound', `revision ${revision} of ${ref} not found; known revisions: ${known || 'none yet'}`, [
        { field: 'revision', rule: 'exists', message: `unknown revision ${revision}` },
      ]);
    }
    if (r.hash === hash) throw new ApiError('BadRequest', `revision ${revision} is the current template of ${ref}; nothing to roll back`);
    return r;
  }
  const prev = [...history].reverse().find((x) => x.hash !== hash);
  if (!prev) {
    throw new ApiError('BadRequest', `nothing to roll back to: ${ref} has ${history.length ? 'only its current revision' : 'no revision history yet'}`);
  }
  return prev;
}
