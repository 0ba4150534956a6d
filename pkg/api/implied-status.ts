/**
 * The status an object has before anything wrote its status key. A Task is
 * created without one (one put fewer per task): until the scheduler binds
 * it, or writes why it waits, it is Pending. Every reader that joins an
 * object with its status key (the store's get and list, the informers, the
 * API's watch cache) fills it in, so no reader sees a Task without a state;
 * its status revision stays "0" (absent), which is what a CAS on the status
 * key compares against.
 */
export function impliedStatus(kind: string | undefined): unknown {
  return kind === 'Task' ? { state: 'Pending' } : undefined;
}
