/**
 * The soak's figures, one row a minute: the server's RSS (/proc/<pid>/status),
 * etcd's database size (maintenance status: dbSize allocated on disk,
 * dbSizeInUse after compaction), the age of the oldest retried key (the
 * server's stowage_workqueue_oldest_retry_seconds, max over controllers,
 * scraped every few seconds so that a minute's row shows the worst seen in
 * it), and the tasks in etcd (total, Running) and events.
 */
import { readFileSync } from 'node:fs';
import { lookupKind } from '../../pkg/api/kinds.js';
import type { Task } from '../../pkg/api/types.js';
import { specPrefix } from '../../pkg/store/keys.js';
import type { SoakCluster } from './soak.js';
import { TASK } from './stowage.js';

const EVENT = lookupKind('Event')!;
const MiB = 1048576;

export interface Row {
  minute: number;
  /** Printed instead of the minute ("end"). */
  label?: string;
  rssMiB: number;
  dbMiB: number;
  dbInUseMiB: number;
  /** The oldest retry age seen since the last row, seconds. */
  retryS: number;
  tasks: number;
  running: number;
  events: number;
}

export function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The max over controllers of stowage_workqueue_oldest_retry_seconds, or undefined if the gauge is absent. */
export async function oldestRetrySeconds(serverUrl: string): Promise<number | undefined> {
  const text = await (await fetch(`${serverUrl}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
  const values = [...text.matchAll(/^stowage_workqueue_oldest_retry_seconds\{controller="[^"]+"\} (\S+)$/gm)].map((m) => Number(m[1]));
  return values.length ? Math.max(...values) : undefined;
}

export class Figures {
  readonly rows: Row[] = [];
  /** The worst retry age seen in the whole run, and since the last row. */
  maxRetryS = 0;
  private windowRetryS = 0;
  /** Scrapes of /metrics that failed or lacked the gauge (each a hole in the retry-age record). */
  missedScrapes = 0;
  private timer: NodeJS.Timeout | undefined;
  private scraping: Promise<void> = Promise.resolve();

  constructor(private readonly c: SoakCluster) {}

  /** Scrape the retry age every everyMs until stop(). */
  start(everyMs = 5000): void {
    this.timer = setInterval(() => {
      this.scraping = this.scrape();
    }, everyMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.scraping;
  }

  private async scrape(): Promise<void> {
    const v = await oldestRetrySeconds(this.c.server.url).catch(() => undefined);
    if (v === undefined) {
      this.missedScrapes++;
      return;
    }
    this.windowRetryS = Math.max(this.windowRetryS, v);
    this.maxRetryS = Math.max(this.maxRetryS, v);
  }

  /** Take one row (and scrape once more first). */
  async sample(minute: number, label?: string): Promise<Row> {
    await this.scrape();
    const st = await this.c.client.maintenance.status({});
    const tasks = (await this.c.store.list<Task>(TASK, 'default')).items;
    const events = await this.c.client.getAll().prefix(specPrefix(EVENT)).count();
    const row: Row = {
      minute,
      ...(label ? { label } : {}),
      rssMiB: rssOf(this.c.server.child.pid!) / MiB,
      dbMiB: Number(st.dbSize) / MiB,
      dbInUseMiB: Number(st.dbSizeInUse) / MiB,
      retryS: this.windowRetryS,
      tasks: tasks.length,
      running: tasks.filter((t) => t.object.status?.state === 'Running').length,
      events,
    };
    this.windowRetryS = 0;
    this.rows.push(row);
    return row;
  }

  /** The row nearest after the given minute (or the last). */
  at(minute: number): Row {
    return this.rows.find((r) => r.minute >= minute) ?? this.rows[this.rows.length - 1]!;
  }
}

export const HEADER = 'minute  server RSS MiB  etcd db MiB (in use)  oldest retry s  tasks (Running)  events';

export function formatRow(r: Row): string {
  const min = r.label ?? String(r.minute);
  return `${min.padStart(6)}  ${r.rssMiB.toFixed(0).padStart(14)}  ${`${r.dbMiB.toFixed(1)} (${r.dbInUseMiB.toFixed(1)})`.padStart(20)}  ${r.retryS.toFixed(1).padStart(14)}  ${`${r.tasks} (${r.running})`.padStart(15)}  ${String(r.events).padStart(6)}`;
}

/** Growth from a to b as a share of a (0.1 = 10 %). */
export const growth = (a: number, b: number): number => (a > 0 ? (b - a) / a : 0);
export const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`;

/**
 * etcd here compacts every 5 minutes, keeping 5 minutes of history
 * (hack/etcd.sh: --auto-compaction-retention 5m): its size in use is a
 * sawtooth of that period, and RSS moves with each garbage collection. So a
 * figure is compared window to window, not minute to minute.
 */
export const WINDOW_MIN = 5;

export interface Flatness {
  /** False when the run is too short for two windows that do not overlap. */
  judged: boolean;
  /** Minutes of the first window and of the last one. */
  first: [number, number];
  last: [number, number];
  before: number;
  after: number;
  growth: number;
}

/**
 * A figure over the WINDOW_MIN minutes from fromMinute, against the same
 * figure over the last WINDOW_MIN minutes of the run; `agg` is how a window
 * is summed up (mean for RSS, max for a sawtooth's peak).
 */
export function flatness(rows: Row[], pick: (r: Row) => number, agg: 'mean' | 'max', fromMinute: number): Flatness {
  const minutes = rows.filter((r) => r.label === undefined);
  const of = (w: Row[]) => (w.length === 0 ? 0 : agg === 'max' ? Math.max(...w.map(pick)) : w.map(pick).reduce((a, b) => a + b, 0) / w.length);
  const firstW = minutes.filter((r) => r.minute >= fromMinute && r.minute < fromMinute + WINDOW_MIN);
  const lastW = minutes.slice(-WINDOW_MIN);
  const before = of(firstW);
  const after = of(lastW);
  return {
    judged: firstW.length === WINDOW_MIN && lastW.length === WINDOW_MIN && lastW[0]!.minute >= fromMinute + WINDOW_MIN,
    first: [fromMinute, fromMinute + WINDOW_MIN - 1],
    last: [lastW[0]?.minute ?? 0, lastW[lastW.length - 1]?.minute ?? 0],
    before,
    after,
    growth: growth(before, after),
  };
}
