/**
 * The subscribers of one runtime signal (events, reconnects): each runtime
 * keeps one set per signal; a handler that throws is logged and does not
 * keep the others from running.
 */
import { errMsg, type Logger } from '../../log/logger.js';

export class Handlers<T> {
  private readonly set = new Set<(x: T) => void>();

  constructor(private readonly log: Logger) {}

  /** Subscribe; returns the unsubscribe. */
  add(h: (x: T) => void): () => void {
    this.set.add(h);
    return () => this.set.delete(h);
  }

  emit(x: T): void {
    for (const h of this.set) {
      try {
        h(x);
      } catch (e) {
        this.log.error('runtime handler threw', { error: errMsg(e) });
      }
    }
  }

  clear(): void {
    this.set.clear();
  }
}
