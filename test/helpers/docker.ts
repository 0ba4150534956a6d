/**
 * A real Docker engine for e2e tests, through the hack/ scripts:
 * ensureDocker() uses the shared engine on /var/run/docker.sock (starting one
 * only if none answers) with the test image built; privateDockerd() starts an
 * engine of the test's own, on its own socket and data root, for tests that
 * must stop or restart it without killing anybody else's containers.
 *
 * Tests name their node uniquely (testNodeName) and remove what they created
 * by its label in after(): removeNodeContainers(node).
 */
import Docker from 'dockerode';
import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { until } from './wait.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DOCKERD = resolve(ROOT, 'hack/dockerd.sh');
const BUILD_IMAGE = resolve(ROOT, 'hack/build-image.sh');

export const IMAGE = 'localhost/stowage-busybox:1';
export const DEFAULT_SOCKET = '/var/run/docker.sock';

// Every synchronous call has a timeout: it blocks the event loop, so no test timeout could end it.
const run = (file: string, args: string[], env: NodeJS.ProcessEnv = process.env) =>
  execFileSync(file, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 }).toString();

/** An engine answers on the socket and has the test image. */
export function ensureDocker(socket = DEFAULT_SOCKET, env: NodeJS.ProcessEnv = process.env): void {
  const flags = socket === DEFAULT_SOCKET ? [] : ['--socket', socket];
  try {
    run(DOCKERD, ['start', ...flags], env);
    run(BUILD_IMAGE, flags);
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`no Docker engine for the tests: ${err.stderr?.toString().trim() || err.message}`);
  }
}

/** A node name no other test (or engineer) uses: its containers are this test's alone. */
export const testNodeName = (what: string): string => `e2e-${what}-${process.pid}-${Date.now().toString(36)}`;

/** Remove every container labelled stowage.node=<node> on the engine; returns how many. */
export async function removeNodeContainers(node: string, socket = DEFAULT_SOCKET): Promise<number> {
  const docker = new Docker({ socketPath: socket });
  const cs = await docker.listContainers({ all: true, filters: { label: [`stowage.node=${node}`] } });
  await Promise.all(cs.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => {})));
  return cs.length;
}

/** Docker's own inspect of a container (to check what the runtime asked for). */
export function dockerInspect(id: string, socket = DEFAULT_SOCKET): Promise<Docker.ContainerInspectInfo> {
  return new Docker({ socketPath: socket }).getContainer(id).inspect();
}

/** `docker <args>` against the socket (e.g. kill), returning stdout. */
export function dockerCli(args: string[], socket = DEFAULT_SOCKET): string {
  return execFileSync('docker', args, { env: { ...process.env, DOCKER_HOST: `unix://${socket}` }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 }).toString();
}

export interface PrivateDockerd {
  socket: string;
  /** Whether it runs with --live-restore. */
  readonly liveRestore: boolean;
  /**
   * Stop and start it again (SIGTERM). With live-restore its containers keep
   * running and the new engine takes them back; without, they are stopped
   * (as when a host's dockerd is restarted). `liveRestore` changes the mode
   * of the engine started (the stop is the running engine's).
   */
  restart(o?: { liveRestore?: boolean }): void;
  /** Stop it (SIGTERM), leaving its data: start() brings it back. */
  halt(): void;
  start(): void;
  /** Stop it and delete its data root. */
  stop(): void;
}

/**
 * An engine of this test process's own, with the test image, on
 * /run/stowage-<name>-<pid>.sock; with --live-restore (hack/dockerd.sh's
 * default) unless `liveRestore: false`. A test that restarts it says which
 * it wants.
 */
export function privateDockerd(name: string, o: { liveRestore?: boolean } = {}): PrivateDockerd {
  const socket = `/run/stowage-${name}-${process.pid}.sock`;
  const flags = ['--socket', socket];
  let liveRestore = o.liveRestore ?? true;
  const env = () => ({ ...process.env, DOCKERD_LIVE_RESTORE: liveRestore ? '1' : '0' });
  ensureDocker(socket, env());
  return {
    socket,
    get liveRestore() {
      return liveRestore;
    },
    restart: (r = {}) => {
      run(DOCKERD, ['stop', ...flags], env());
      liveRestore = r.liveRestore ?? liveRestore;
      run(DOCKERD, ['start', ...flags], env());
    },
    halt: () => {
      run(DOCKERD, ['stop', ...flags], env());
    },
    start: () => {
      run(DOCKERD, ['start', ...flags], env());
    },
    stop: () => {
      run(DOCKERD, ['stop', '--purge', ...flags], env());
    },
  };
}

/** Poll until fn returns something truthy, or fail with what it was waiting for. */
export const waitFor = <T>(what: string, fn: () => T | Promise<T>, timeoutMs = 10_000): Promise<NonNullable<T>> =>
  until(what, fn as () => Promise<NonNullable<T>>, timeoutMs, 20);
