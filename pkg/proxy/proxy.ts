/**
 * The proxy's listeners, kept equal to the service ports in endpoints:
 * `apply()` takes everything the watch knows, plans (plan.ts) and opens,
 * updates and closes listeners (listener.ts) accordingly.
 */
import type { Endpoints } from '../api/types.js';
import type { Logger } from '../log/logger.js';
import type { Strategy } from './balance.js';
import { ServicePortListener, type ListenerOptions } from './listener.js';
import { desiredPorts, diffListeners, type OpenListener } from './plan.js';

export interface ProxyOptions extends Omit<ListenerOptions, 'strategy' | 'log'> {
  strategy: Strategy;
  log: Logger;
}

export class Proxy {
  private readonly listeners = new Map<number, ServicePortListener>();
  /** What each listener serves, as last applied. */
  private readonly serving = new Map<number, OpenListener>();
  private conflicts = '';

  constructor(private readonly o: ProxyOptions) {}

  apply(endpoints: Iterable<Endpoints>): void {
    const plan = desiredPorts(endpoints);
    const said = JSON.stringify(plan.conflicts);
    if (said !== this.conflicts) {
      this.conflicts = said;
      for (const c of plan.conflicts) this.o.log.warn('two services claim one service port; the first keeps it', { ...c });
    }
    const changes = diffListeners(this.serving, plan.ports);
    for (const port of changes.close) {
      this.listeners.get(port)?.close();
      this.listeners.delete(port);
      this.serving.delete(port);
    }
    for (const t of changes.update) {
      this.listeners.get(t.servicePort)?.update(t.addresses);
      this.serving.set(t.servicePort, { owner: t.owner, addresses: t.addresses });
      this.o.log.debug('instances changed', { servicePort: t.servicePort, owner: t.owner, instances: t.addresses.map((a) => `${a.host}:${a.port}`) });
    }
    for (const t of changes.open) {
      const { log, strategy, ...rest } = this.o;
      this.listeners.set(t.servicePort, new ServicePortListener(t, { ...rest, strategy, log }));
      this.serving.set(t.servicePort, { owner: t.owner, addresses: t.addresses });
    }
  }

  /** The listener on a service port (for tests and status). */
  listener(servicePort: number): ServicePortListener | undefined {
    return this.listeners.get(servicePort);
  }

  get ports(): number[] {
    return [...this.listeners.keys()].sort((a, b) => a - b);
  }

  /** Stop listening everywhere and end open connections. */
  close(): void {
    for (const l of this.listeners.values()) l.destroy();
    this.listeners.clear();
    this.serving.clear();
  }
}
