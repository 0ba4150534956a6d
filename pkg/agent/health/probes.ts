/**
 * The three probes of a health check (Marathon's HTTP, TCP and COMMAND), run
 * by the agent against its own tasks; readiness checks use the HTTP one.
 * Tasks use host networking, so HTTP and TCP go to 127.0.0.1:<host port>.
 * Each answers {healthy, message} and never throws: a probe that cannot run
 * is a failed check with the reason.
 */
import http from 'node:http';
import net from 'node:net';
import { errMsg } from '../../log/logger.js';
import type { Runtime } from '../runtime/runtime.js';

export interface ProbeResult {
  healthy: boolean;
  message: string;
}

/** A probe that answered healthy but after its timeout counts as failed (Marathon's timeoutSeconds). */
export function judgeTimeout(result: ProbeResult, tookMs: number, timeoutSeconds: number): ProbeResult {
  if (!result.healthy || tookMs <= timeoutSeconds * 1000) return result;
  return { healthy: false, message: `answered after ${tookMs} ms, over the ${timeoutSeconds} s timeout: ${result.message}` };
}

/**
 * GET http://127.0.0.1:<port><path>; healthy on 200–399, or, given okCodes
 * (a readiness check's httpStatusCodesForReady), on those codes only.
 * Redirects are not followed (a 3xx is healthy, as in Marathon).
 */
export function httpProbe(port: number, path: string, timeoutMs: number, okCodes?: readonly number[]): Promise<ProbeResult> {
  const url = `http://127.0.0.1:${port}${path.startsWith('/') ? path : `/${path}`}`;
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    // agent: false: a fresh connection each time, so a check never rides a socket the app already closed.
    const req = http.get(url, { agent: false, headers: { 'user-agent': 'stowage-health/1' } }, (res) => {
      const code = res.statusCode ?? 0;
      res.resume(); // the body is not needed
      const ok = okCodes ? okCodes.includes(code) : code >= 200 && code < 400;
      done({ healthy: ok, message: `GET ${url}: HTTP ${code}` });
      res.destroy();
    });
    const timer = setTimeout(() => {
      done({ healthy: false, message: `GET ${url}: no answer within ${timeoutMs} ms` });
      req.destroy();
    }, timeoutMs);
    req.once('error', (e) => done({ healthy: false, message: `GET ${url}: ${errMsg(e)}` }));
  });
}

/** Healthy when a TCP connection to 127.0.0.1:<port> opens within the timeout. */
export function tcpProbe(port: number, timeoutMs: number): Promise<ProbeResult> {
  const addr = `127.0.0.1:${port}`;
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    const done = (r: ProbeResult) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done({ healthy: false, message: `TCP ${addr}: no connection within ${timeoutMs} ms` }), timeoutMs);
    sock.once('connect', () => done({ healthy: true, message: `TCP ${addr}: connected` }));
    sock.once('error', (e) => done({ healthy: false, message: `TCP ${addr}: ${errMsg(e)}` }));
  });
}

/** Runs the command in the task's container; healthy on exit code 0. */
export async function commandProbe(runtime: Runtime, containerId: string, command: string[], timeoutMs: number): Promise<ProbeResult> {
  const what = `command ${JSON.stringify(command)}`;
  try {
    const { exitCode } = await runtime.exec(containerId, command, timeoutMs);
    return { healthy: exitCode === 0, message: `${what}: exit code ${exitCode}` };
  } catch (e) {
    return { healthy: false, message: `${what}: ${errMsg(e)}` };
  }
}
