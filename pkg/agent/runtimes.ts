/**
 * What differs between the drivers, in one place: the runtime of a node,
 * where the disk capacity comes from, health checks, events, parallelism.
 *
 *   docker: one node, DockerRuntime on the engine's socket, Events written,
 *           many reconciles at once, container starts 32 at a time
 *   sim:    1..N hollow nodes, SimRuntime in memory, no Events (too many),
 *           few reconciles per node (starts are instant)
 */
import Docker from 'dockerode';
import type { Logger } from '../log/logger.js';
import type { AgentOptions } from './agent.js';
import type { AgentConfig } from './flags.js';
import { DockerRuntime } from './runtime/docker.js';
import { SimRuntime } from './runtime/sim.js';

export type DriverOptions = Omit<AgentOptions, 'config' | 'log'>;

/** How long to wait for the engine's event stream before listing anyway (the list catches up). */
const EVENTS_READY_MS = 5000;

export function driverOptions(config: AgentConfig, log: Logger): DriverOptions {
  if (config.driver === 'docker') {
    return {
      runtimeFor: async (node) => {
        const rt = new DockerRuntime({ nodeName: node, socketPath: config.dockerSocket, log });
        await Promise.race([rt.ready(), new Promise((r) => setTimeout(r, EVENTS_READY_MS))]);
        return rt;
      },
      dataRoot: async () => {
        const info = (await new Docker({ socketPath: config.dockerSocket }).info()) as { DockerRootDir?: string };
        return info.DockerRootDir ?? '/var/lib/docker';
      },
      events: true,
      execOnlyHealth: false,
      workersPerNode: 64,
      // as many as a service's usual burst: 20 instances go to the engine at once, as 20 x docker run -d do
      parallelStarts: 32,
    };
  }
  return {
    runtimeFor: async (node) => new SimRuntime({ nodeName: node, log }),
    dataRoot: async () => '/',
    events: false,
    execOnlyHealth: true,
    workersPerNode: 4,
    resyncMs: 60_000,
  };
}
