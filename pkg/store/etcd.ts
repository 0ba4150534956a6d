/**
 * One place that knows how to build an etcd3 client for Stowage: bounded
 * deadlines on unary calls (a dead etcd answers "unavailable" within
 * seconds instead of hanging a request), quick watch reconnects, no
 * circuit breaker (a server must recover by itself the moment etcd returns),
 * and every unary call timed into stowage_etcd_request_duration_seconds{op}
 * by a gRPC interceptor (streams, watch and lease keep-alive, are not).
 */
import { createRequire } from 'node:module';
import type * as grpc from '@grpc/grpc-js';
import { Etcd3, isRecoverableError } from 'etcd3';
import { ExponentialBackoff, handleWhen, noop, retry } from 'cockatiel';
import { etcdRequestDuration } from '../metrics/metrics.js';
import './etcd-watch-fix.js';

/** The grpc-js that etcd3 itself runs on (not a dependency of ours). */
const require = createRequire(import.meta.url);
const grpcJs = createRequire(require.resolve('etcd3'))('@grpc/grpc-js') as typeof grpc;

/** Observe one call's latency, from its start to its status (success or error). */
function timed(op: string): grpc.Interceptor {
  return (options, nextCall) => {
    const end = etcdRequestDuration.startTimer({ op });
    return new grpcJs.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        next(metadata, {
          onReceiveStatus(status, nextStatus) {
            end();
            nextStatus(status);
          },
        });
      },
    });
  };
}
/** One interceptor per operation, made once. */
const timers = new Map<string, grpc.Interceptor>();
const timerOf = (op: string): grpc.Interceptor => {
  let t = timers.get(op);
  if (!t) timers.set(op, (t = timed(op)));
  return t;
};

export interface EtcdOptions {
  /** Comma-separated or listed URLs: http://127.0.0.1:2379 */
  endpoints: string | string[];
  /** Deadline of unary calls in milliseconds. */
  callTimeoutMs?: number;
  /** https:// endpoints: the CA to verify etcd with (none: the system's) and a client certificate (etcd's --client-cert-auth). */
  tls?: EtcdTls;
  /** etcd's own users (`etcdctl auth enable`). */
  auth?: { username: string; password: string };
}

export interface EtcdTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export function parseEndpoints(endpoints: string | string[]): string[] {
  const list = (Array.isArray(endpoints) ? endpoints : endpoints.split(','))
    .map((e) => e.trim())
    .filter((e) => e.length > 0);
  if (list.length === 0) throw new RangeError('--etcd: at least one endpoint is required, e.g. http://127.0.0.1:2379');
  for (const e of list) {
    if (!/^https?:\/\/[^/]+$/.test(e)) {
      throw new RangeError(`--etcd: "${e}" is not an endpoint URL; expected http://HOST:PORT`);
    }
  }
  return list;
}

/**
 * grpc-js names the server it dials (SNI) by its host even when that is an IP
 * (https://127.0.0.1:2379), and Node warns once per process (DEP0123) on
 * stderr, outside the JSON log. The handshake and the certificate check are
 * right either way; only that warning is dropped.
 */
let sniWarningMuted = false;
function muteIpServernameWarning(): void {
  if (sniWarningMuted) return;
  sniWarningMuted = true;
  const emit = process.emitWarning.bind(process) as (...a: unknown[]) => void;
  process.emitWarning = ((...args: unknown[]) => {
    const [, typeOrOpts, code] = args;
    const c = typeof typeOrOpts === 'object' && typeOrOpts !== null ? (typeOrOpts as { code?: string }).code : code;
    if (c === 'DEP0123') return;
    emit(...args);
  }) as typeof process.emitWarning;
}

export function newEtcdClient(opts: EtcdOptions): Etcd3 {
  const hosts = parseEndpoints(opts.endpoints);
  if (hosts.some((h) => h.startsWith('https://'))) muteIpServernameWarning();
  const timeout = opts.callTimeoutMs ?? 5000;
  return new Etcd3({
    hosts,
    ...(opts.tls
      ? {
          // grpc-js takes null for "the system's roots"; etcd3's type says Buffer
          credentials: { rootCertificate: opts.tls.ca ?? (null as unknown as Buffer), ...(opts.tls.key && opts.tls.cert ? { privateKey: opts.tls.key, certChain: opts.tls.cert } : {}) },
        }
      : {}),
    ...(opts.auth ? { auth: { username: opts.auth.username, password: opts.auth.password } } : {}),
    dialTimeout: 2000,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeout, interceptors: [timerOf(ctx.method)] }),
    faultHandling: {
      host: () => noop,
      global: hosts.length > 1 ? retry(handleWhen(isRecoverableError), { maxAttempts: hosts.length }) : noop,
      watchBackoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 1000 }).next(),
    },
    grpcOptions: {
      'grpc.keepalive_time_ms': 5000,
      'grpc.keepalive_timeout_ms': 2000,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1000,
      'grpc.max_receive_message_length': 256 * 1024 * 1024,
    },
  });
}
