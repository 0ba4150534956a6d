/**
 * docker exec for COMMAND health checks: create, start hijacked (the only way
 * dockerode hands back the output stream), drain the output, read the exit
 * code. A timeout abandons the exec (Docker cannot kill an exec'd process;
 * it ends with its container).
 */
import type Docker from 'dockerode';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { RuntimeError } from '../runtime.js';
import { statusOf, toRuntimeError } from './errors.js';

export async function execIn(container: Docker.Container, command: string[], timeoutMs: number): Promise<{ exitCode: number }> {
  const deadline = Date.now() + timeoutMs;
  const what = `exec ${JSON.stringify(command)} in ${container.id.slice(0, 12)}`;
  let exec: Docker.Exec;
  let stream: Duplex;
  try {
    exec = await container.exec({ Cmd: command, AttachStdout: true, AttachStderr: true });
    stream = (await exec.start({ hijack: true, stdin: false })) as Duplex;
  } catch (e) {
    const s = statusOf(e);
    if (s === 404) throw new RuntimeError('ContainerNotFound', `${what}: no such container`);
    if (s === 409) throw new RuntimeError('ContainerNotRunning', `${what}: the container is not running`);
    throw toRuntimeError(e, 'ExecError', what);
  }
  const ended = new Promise<void>((res) => {
    stream.once('end', res);
    stream.once('close', res);
    stream.once('error', () => res());
    stream.resume(); // the output is not needed: drain it
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((res) => (timer = setTimeout(() => res('timeout'), Math.max(0, deadline - Date.now()))));
  try {
    if ((await Promise.race([ended, timedOut])) === 'timeout') {
      stream.destroy();
      throw new RuntimeError('ExecTimeout', `${what}: no exit within ${timeoutMs} ms`, true);
    }
    // The stream ends when the process closes its output; the exit code can lag a moment.
    for (;;) {
      const info = await exec.inspect();
      if (!info.Running && info.ExitCode !== null && info.ExitCode !== undefined) return { exitCode: info.ExitCode };
      if (Date.now() > deadline) throw new RuntimeError('ExecTimeout', `${what}: no exit within ${timeoutMs} ms`, true);
      await sleep(10);
    }
  } catch (e) {
    throw toRuntimeError(e, 'ExecError', what);
  } finally {
    clearTimeout(timer);
  }
}
