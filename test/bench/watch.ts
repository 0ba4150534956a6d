/**
 * `npm run bench:watch`: memory and delay of many API watch streams on a big cluster.
 *
 *   etcd ◄── stowage server (leader: API, loops; watch streams from the shared cache)
 *     ▲  └── stowage server --no-watch-cache (standby; a list + etcd watch per stream: the
 *     │        way before the cache, measured first for comparison, then stopped)
 *     └── stowage agent --driver sim --nodes 1000
 *
 *   1. Service "big" with 10,000 sim instances, all Running
 *   2. private-path server: RSS with no stream, with 20 streams   (--private-streams N, 0: skip)
 *   3. cache server: RSS with no stream (the baseline), 1 stream, 200 streams
 *      GET /api/v1/tasks?watch=1, each drained by this process; every initial list complete
 *   4. scale "big" to 2,000: each stream's delay behind etcd (time it saw the last task
 *      change minus the time that change reached this process's own etcd watch; the max
 *      over streams is the slowest stream), the worst lag at any moment, the server's RSS
 *
 * Goals: under 1 MiB per stream; the slowest stream under 1 s behind.
 * Flags: --nodes N --instances N --scale-to N --streams N --private-streams N; --cpu-prof
 * writes a V8 CPU profile of the cache server to .run/profiles/ (open it in Chrome DevTools).
 * STOWAGE_BIN=<bin/stowage of another build> measures that build instead of the sources.
 * Memory is read after a full GC, asked of each server's V8 inspector (--inspect on
 * 127.0.0.1, driven over Node 20's --experimental-websocket).
 */
import { request, type ClientRequest } from 'node:http';
import { mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { IWatchResponse, Watcher } from 'etcd3';
import { API_VERSION, type Node, type Service, type Task } from '../../pkg/api/types.js';
import { lookupKind } from '../../pkg/api/kinds.js';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { specPrefix, statusPrefix } from '../../pkg/store/keys.js';
import { Store } from '../../pkg/store/store.js';
import { startEtcd } from '../helpers/etcd.js';
import { ROOT, spawnAgent } from '../helpers/agent.js';
import { SERVICE, TASK, spawnServer, sleep, until, type ServerProc } from '../helpers/stowage.js';

const NODE = lookupKind('Node')!;
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const NODES = arg('nodes', 1000);
const INSTANCES = arg('instances', 10_000);
const SCALE_TO = arg('scale-to', 2000);
const STREAMS = arg('streams', 200);
const PRIVATE_STREAMS = arg('private-streams', 20);
const PROFILE = process.argv.includes('--cpu-prof');
const MiB = 1 << 20;
const mib = (b: number) => `${(b / MiB).toFixed(1)} MiB`;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Node 20's WebSocket (--experimental-websocket), as far as this file uses it. */
interface Ws {
  send(data: string): void;
  close(): void;
  addEventListener(type: 'open' | 'error' | 'message', f: (e: { data?: unknown }) => void): void;
}
const WebSocketCtor = (globalThis as { WebSocket?: new (url: string) => Ws }).WebSocket;

/**
 * A process's V8 inspector (it runs with --inspect=127.0.0.1:0): a full
 * garbage collection before each memory reading, so that a figure is what
 * the process holds, not what it has not collected yet.
 */
class Inspector {
  private id = 0;
  private readonly pending = new Map<number, () => void>();
  private constructor(private readonly ws: Ws) {
    ws.addEventListener('message', (e) => {
      const m = JSON.parse(String(e.data)) as { id?: number };
      if (m.id !== undefined) this.pending.get(m.id)?.();
    });
  }

  static async of(server: ServerProc): Promise<Inspector | undefined> {
    if (!WebSocketCtor) return undefined;
    const url = await until('the inspector URL', () => server.output.map((l) => /Debugger listening on (ws:\/\/\S+)/.exec(l)?.[1]).find(Boolean), 10_000, 50);
    const ws = new WebSocketCtor(url);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve());
      ws.addEventListener('error', () => reject(new Error(`inspector ${url}: cannot connect`)));
    });
    return new Inspector(ws);
  }

  gc(): Promise<void> {
    const id = ++this.id;
    return new Promise((resolve) => {
      this.pending.set(id, () => {
        this.pending.delete(id);
        resolve();
      });
      this.ws.send(JSON.stringify({ id, method: 'HeapProfiler.collectGarbage' }));
    });
  }

  close(): void {
    this.ws.close();
  }
}

/** Spawn a server with its inspector on (NODE_OPTIONS reaches it through bin/stowage too). */
async function spawnInspected(...a: Parameters<typeof spawnServer>): Promise<ServerProc> {
  const prev = process.env.NODE_OPTIONS;
  process.env.NODE_OPTIONS = `${prev ?? ''} --inspect=127.0.0.1:0`.trim();
  try {
    return await spawnServer(...a);
  } finally {
    if (prev === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = prev;
  }
}

interface Memory {
  rss: number;
  heap: number;
}

/** After a full GC (when the inspector is there): the median of a few RSS samples, and the V8 heap in use. */
async function settled(server: ServerProc, inspector: Inspector | undefined): Promise<Memory> {
  await sleep(1000);
  await inspector?.gc();
  await sleep(1000);
  const xs: number[] = [];
  for (let i = 0; i < 5; i++) {
    xs.push(rssOf(server.child.pid!));
    await sleep(200);
  }
  return { rss: xs.sort((a, b) => a - b)[2]!, heap: await metricOf(server, 'nodejs_heap_size_used_bytes') };
}

const NEEDLE = Buffer.from('\nid: ');

/**
 * One open watch, read as fast as it comes: counts the events of the
 * initial list (id = the list's revision) and logs (revision, time) of the
 * newest event each chunk brings. Ids are found with Buffer.indexOf, also
 * across chunk boundaries; no JSON is parsed.
 */
class StreamReader {
  bytes = 0;
  listRev: bigint | undefined;
  listCount = 0;
  lastId = 0n;
  errors = 0;
  ended = false;
  /** [revision, performance.now()] whenever a chunk brought a newer event. */
  log: [bigint, number][] = [];
  private head = '';
  private prev: Buffer = Buffer.alloc(0);
  private partial: string | undefined;
  req!: ClientRequest;

  onData(chunk: Buffer): void {
    const t = performance.now();
    this.bytes += chunk.length;
    const before = this.lastId;
    if (this.listRev === undefined) {
      this.head += chunk.toString('latin1', 0, Math.min(chunk.length, 256));
      const m = /from revision (\d+)\n/.exec(this.head);
      if (m) this.listRev = BigInt(m[1]!);
    }
    if (chunk.includes('event: ERROR')) this.errors++;
    let pos = 0;
    if (this.partial !== undefined) {
      const nl = chunk.indexOf(10);
      this.onId(this.partial + chunk.toString('latin1', 0, nl));
      this.partial = undefined;
      pos = nl + 1;
    } else if (this.prev.length > 0) {
      // an id line that starts in the last bytes of the previous chunk
      const small = Buffer.concat([this.prev, chunk.subarray(0, 40)]);
      const i = small.indexOf(NEEDLE);
      if (i >= 0 && i < this.prev.length) {
        const nl = small.indexOf(10, i + NEEDLE.length);
        this.onId(small.toString('latin1', i + NEEDLE.length, nl));
        pos = nl - this.prev.length + 1;
      }
    }
    for (let i = chunk.indexOf(NEEDLE, pos); i >= 0; i = chunk.indexOf(NEEDLE, i + NEEDLE.length)) {
      const nl = chunk.indexOf(10, i + NEEDLE.length);
      if (nl < 0) {
        this.partial = chunk.toString('latin1', i + NEEDLE.length);
        break;
      }
      this.onId(chunk.toString('latin1', i + NEEDLE.length, nl));
    }
    this.prev = this.partial !== undefined ? Buffer.alloc(0) : chunk.subarray(Math.max(0, chunk.length - NEEDLE.length + 1));
    if (this.lastId !== before) this.log.push([this.lastId, t]);
  }

  private onId(id: string): void {
    if (id === '') return;
    const r = BigInt(id);
    if (r === this.listRev) this.listCount++;
    if (r > this.lastId) this.lastId = r;
  }

  /** When this stream first saw an event at or after rev. */
  sawAt(rev: bigint): number | undefined {
    return this.log.find(([r]) => r >= rev)?.[1];
  }
}

function openStream(base: string, path: string): Promise<StreamReader> {
  const u = new URL(path, base);
  const r = new StreamReader();
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => reject(new Error(`watch: HTTP ${res.statusCode} ${body}`)));
        return;
      }
      res.on('data', (c: Buffer) => r.onData(c));
      res.on('close', () => (r.ended = true));
      resolve(r);
    });
    r.req = req;
    req.on('error', reject);
    req.end();
  });
}

/** Open n streams (`atOnce` at a time) and wait until each has its whole initial list. */
async function openStreams(server: ServerProc, n: number, store: Store, atOnce: number): Promise<{ readers: StreamReader[]; ms: number }> {
  const t0 = performance.now();
  const readers: StreamReader[] = [];
  for (let i = 0; i < n; i += atOnce) {
    readers.push(...(await Promise.all(Array.from({ length: Math.min(atOnce, n - i) }, () => openStream(server.url, '/api/v1/tasks?watch=1')))));
  }
  const listed = new Map<bigint, number>();
  await until(`${n} streams to receive their initial lists`, async () => {
    for (const r of readers) {
      if (r.listRev === undefined) return false;
      if (!listed.has(r.listRev)) listed.set(r.listRev, (await store.list(TASK, undefined, String(r.listRev))).items.length);
    }
    return readers.every((r) => r.listCount === listed.get(r.listRev!));
  }, 300_000, 200);
  return { readers, ms: performance.now() - t0 };
}

const metricOf = async (server: ServerProc, name: string) => {
  const t = await (await fetch(`${server.url}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(t)?.[1] ?? NaN);
};

async function main(): Promise<void> {
  const etcd = await startEtcd();
  const client = newEtcdClient({ endpoints: etcd.endpoint });
  const store = new Store(client);
  let server: ServerProc | undefined;
  let privateServer: ServerProc | undefined;
  let agent: Awaited<ReturnType<typeof spawnAgent>> | undefined;
  const watchers: Watcher[] = [];
  const inspectors: (Inspector | undefined)[] = [];
  let inspector: Inspector | undefined;
  const readers: StreamReader[] = [];
  try {
    const profDir = resolve(ROOT, '.run/profiles');
    if (PROFILE) mkdirSync(profDir, { recursive: true });
    server = await spawnInspected(etcd.endpoint, ['--log-level', 'warn'], PROFILE ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []);
    inspectors.push((inspector = await Inspector.of(server)));
    agent = await spawnAgent(['--etcd', etcd.endpoint, '--driver', 'sim', '--nodes', String(NODES), '--node-prefix', 'sim-', '--cpus', '2', '--mem', '2048', '--disk', '1000'], { readyTimeoutMs: 120_000 });
    await until(`${NODES} nodes Ready`, async () => (await store.list<Node>(NODE)).items.filter((n) => n.object.status?.state === 'Ready').length === NODES, 120_000, 500);

    // Every task change, with the time it reached this process: the reference for the streams' delays.
    const commitTime = new Map<bigint, number>();
    const state = new Map<string, string>();
    let lastChange = 0n;
    let lastChangeAt = 0;
    const noteChange = (res: IWatchResponse) => {
      const t = performance.now();
      for (const e of res.events) {
        const rev = BigInt(e.kv.mod_revision);
        if (!commitTime.has(rev)) commitTime.set(rev, t);
        if (rev > lastChange) {
          lastChange = rev;
          lastChangeAt = t;
        }
      }
    };
    const sp = specPrefix(TASK, 'default');
    const tp = statusPrefix(TASK, 'default');
    const ws = await client.watch().prefix(sp).create();
    ws.on('data', (res: IWatchResponse) => {
      noteChange(res);
      for (const e of res.events) if (e.type === 'Delete') state.delete(e.kv.key.toString().slice(sp.length));
    });
    const wt = await client.watch().prefix(tp).create();
    wt.on('data', (res: IWatchResponse) => {
      noteChange(res);
      for (const e of res.events) {
        const name = e.kv.key.toString().slice(tp.length);
        if (e.type === 'Delete') state.delete(name);
        else state.set(name, (JSON.parse(e.kv.value.toString()) as { state: string }).state);
      }
    });
    watchers.push(ws, wt);
    const running = () => [...state.values()].filter((x) => x === 'Running').length;

    const svc: Service = {
      apiVersion: API_VERSION,
      kind: 'Service',
      metadata: { name: 'big', namespace: 'default' },
      spec: { image: 'localhost/stowage-busybox:1', command: ['sleep', 'infinity'], instances: INSTANCES, resources: { cpus: 0.1, mem: 64, disk: 0 } } as Service['spec'],
    };
    const t0 = performance.now();
    const applied = await fetch(`${server.url}/api/v1/apply`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items: [svc] }) });
    if (!applied.ok) throw new Error(`apply: ${applied.status} ${await applied.text()}`);
    await until(`${INSTANCES} tasks Running`, () => running() === INSTANCES, 300_000, 200);
    process.stderr.write(`  ${INSTANCES} tasks Running after ${s(performance.now() - t0)}\n`);
    await until('the service to be complete', async () => (await store.get<Service>(SERVICE, 'default', 'big'))?.object.status?.deployment?.state === 'complete', 120_000, 500);
    const taskBytes = (await store.list<Task>(TASK)).items.reduce((n, t) => n + JSON.stringify(t.object).length, 0);

    // ---- the private path (a list and an etcd watch per stream), for comparison ----
    let priv: { base: Memory; open: Memory; n: number; ms: number } | undefined;
    if (PRIVATE_STREAMS > 0) {
      privateServer = await spawnInspected(etcd.endpoint, ['--log-level', 'warn', '--no-watch-cache'], [], { until: 'leader-known' });
      const pi = await Inspector.of(privateServer);
      inspectors.push(pi);
      const base = await settled(privateServer, pi);
      // one at a time: each lists every task from etcd, and twenty lists at once overrun the 5 s etcd deadline
      const opened = await openStreams(privateServer, PRIVATE_STREAMS, store, 1);
      const open = await settled(privateServer, pi);
      priv = { base, open, n: PRIVATE_STREAMS, ms: opened.ms };
      for (const r of opened.readers) r.req.destroy();
      pi?.close();
      await privateServer.stop();
      privateServer = undefined;
      process.stderr.write(`  private path: ${mib(base.rss)} -> ${mib(open.rss)} with ${PRIVATE_STREAMS} streams\n`);
    }

    // ---- the shared cache ----
    const pid = server.child.pid!;
    const m0 = await settled(server, inspector);
    const one = await openStreams(server, 1, store, 1);
    readers.push(...one.readers);
    const m1 = await settled(server, inspector);
    const many = await openStreams(server, STREAMS - 1, store, 20);
    readers.push(...many.readers);
    const mN = await settled(server, inspector);
    process.stderr.write(`  ${STREAMS} streams listed ${INSTANCES} tasks each in ${s(many.ms)}\n`);

    // ---- scale down, streams open ----
    for (const r of readers) r.log = [];
    const cur = await store.get<Service>(SERVICE, 'default', 'big');
    const put = await fetch(`${server.url}/api/v1/services/default/big`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...cur!.object, status: undefined, spec: { ...cur!.object.spec, instances: SCALE_TO } }),
    });
    if (!put.ok) throw new Error(`scale: ${put.status} ${await put.text()}`);
    const tScale = performance.now();
    let peak = mN.rss;
    const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 100);
    await until(`${SCALE_TO} tasks Running`, () => running() === SCALE_TO && state.size === SCALE_TO, 300_000, 200).catch(() => undefined);
    // settled: no task change for 3 s
    await until('the task keys to be quiet for 3 s', () => performance.now() - lastChangeAt > 3000, 300_000, 200);
    clearInterval(sampler);
    const last = lastChange;
    const lastAt = commitTime.get(last)!;
    await until('every stream to see the last change', () => readers.every((r) => r.lastId >= last || r.ended), 60_000, 100).catch(() => undefined);
    const delays = readers.map((r) => (r.sawAt(last) ?? Infinity) - lastAt);
    const slowest = Math.max(...delays);
    let worstLag = 0;
    for (const r of readers) for (const [rev, t] of r.log) worstLag = Math.max(worstLag, t - (commitTime.get(rev) ?? t));
    const mAfter = await settled(server, inspector);
    const cut = await metricOf(server, 'stowage_api_watch_cut_total');
    const window = await metricOf(server, 'stowage_api_watch_window_events');
    const ended = readers.filter((r) => r.ended || r.errors > 0).length;
    const received = readers.reduce((n, r) => n + r.bytes, 0);

    const mem = (m: Memory) => `RSS ${mib(m.rss)}, heap ${mib(m.heap)}`;
    const mib2 = (b: number) => `${(b / MiB).toFixed(2)} MiB`;
    const per = (a: Memory, b: Memory, n: number) => `${mib2((b.rss - a.rss) / n)} RSS, ${mib2((b.heap - a.heap) / n)} heap per stream`;
    console.log(`\nbench:watch  ${NODES} hollow nodes, ${INSTANCES} sim tasks (${mib(taskBytes)} of task JSON), ${STREAMS} streams of GET /api/v1/tasks?watch=1, then scale to ${SCALE_TO}`);
    console.log(`  memory after a full GC${inspector ? '' : ' (not forced: run with --experimental-websocket)'}`);
    if (priv) {
      console.log(`  private path (--no-watch-cache, as before the cache; standby server)`);
      console.log(`    no stream ${mem(priv.base)}; ${priv.n} streams ${mem(priv.open)}`);
      console.log(`    ${per(priv.base, priv.open, priv.n)}; lists took ${s(priv.ms)}`);
    }
    console.log(process.env.STOWAGE_BIN ? `  ${process.env.STOWAGE_BIN} (leader server, loops running)` : `  shared watch cache (leader server, loops running)`);
    console.log(`    no stream (baseline)       ${mem(m0)}`);
    console.log(`    1 stream                   ${mem(m1)}   (the cache itself: ${mib(m1.rss - m0.rss)} RSS)`);
    console.log(`    ${STREAMS} streams                ${mem(mN)}`);
    console.log(`    per stream                 ${per(m0, mN, STREAMS)} (goal < 1 MiB); beyond the first: ${per(m1, mN, STREAMS - 1)}`);
    console.log(`    ${STREAMS} initial lists            ${s(many.ms)} for all (${mib(received)} read in the whole run)`);
    console.log(`    scale ${INSTANCES} -> ${SCALE_TO}             last task change ${s(lastAt - tScale)} after the PUT (revision ${last}); ${mem(mAfter)} after, RSS peak ${mib(peak)}`);
    console.log(`    slowest stream             ${Number.isFinite(slowest) ? s(slowest) : 'never saw it'} behind the last change (goal < 1 s); median ${s(delays.sort((a, b) => a - b)[delays.length >> 1]!)}`);
    console.log(`    worst lag at any moment    ${s(worstLag)} (any stream, any event of the scale-down)`);
    console.log(`    streams cut off / ended    ${Number.isNaN(cut) ? 'n/a' : cut} / ${ended}; window ${Number.isNaN(window) ? 'n/a' : window} events`);
  } finally {
    for (const i of inspectors) i?.close();
    for (const r of readers) r.req.destroy();
    for (const w of watchers) await w.cancel().catch(() => undefined);
    await privateServer?.stop('SIGKILL');
    await server?.stop('SIGINT');
    await agent?.stop('SIGKILL');
    client.close();
    etcd.stop();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
