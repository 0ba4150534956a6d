/**
 * Every container a run ever had, by its task uid (label stowage.task), and
 * when it ran: a poll of the engine's containers (running or not) every
 * `everyMs`; a container seen for the first time is inspected for its
 * StartedAt, one seen ended (or gone) for its FinishedAt.
 *
 *   new id ──► inspect: started   running ──► exited: inspect FinishedAt
 *                                         └─► gone before we saw it end: ended by the poll that missed it
 *
 * While the engine does not answer (it restarts) the polls fail and are
 * counted; the next answer sees what changed meanwhile (a container killed
 * by the restart is exited, its FinishedAt says when).
 */
import Docker from 'dockerode';
import { sampleEvery } from '../helpers/wait.js';

export interface Life {
  id: string;
  task: string;
  /** Task name as the agent labelled it (<ns>/<name>), for messages. */
  name: string;
  startedMs?: number;
  /** Undefined while it runs. */
  endedMs?: number;
}

export interface Overlap {
  task: string;
  name: string;
  a: string;
  b: string;
  ms: number;
}

const time = (iso: string | undefined): number | undefined => {
  const t = iso ? Date.parse(iso) : NaN;
  // Docker's "never": 0001-01-01T00:00:00Z
  return Number.isFinite(t) && t > 0 ? t : undefined;
};

/**
 * Pairs of containers of one task uid that ran at the same time, each with
 * how long (a running container runs until `nowMs`); longest first.
 */
export function overlaps(lives: Iterable<Life>, nowMs: number): Overlap[] {
  const byTask = new Map<string, Life[]>();
  for (const l of lives) if (l.startedMs !== undefined) byTask.set(l.task, [...(byTask.get(l.task) ?? []), l]);
  const out: Overlap[] = [];
  for (const [task, ls] of byTask) {
    for (let i = 0; i < ls.length; i++)
      for (let j = i + 1; j < ls.length; j++) {
        const a = ls[i]!;
        const b = ls[j]!;
        const ms = Math.min(a.endedMs ?? nowMs, b.endedMs ?? nowMs) - Math.max(a.startedMs!, b.startedMs!);
        if (ms > 0) out.push({ task, name: a.name, a: a.id.slice(0, 12), b: b.id.slice(0, 12), ms });
      }
  }
  return out.sort((x, y) => y.ms - x.ms);
}

export interface Recorder {
  lives: Map<string, Life>;
  /** Polls that got no answer (the engine was down). */
  failedPolls(): number;
  stop(): Promise<void>;
}

export function recordContainers(socket: string, everyMs = 300): Recorder {
  const docker = new Docker({ socketPath: socket, timeout: 5000 });
  const lives = new Map<string, Life>();
  let failed = 0;
  const inspect = async (l: Life) => {
    const i = await docker.getContainer(l.id).inspect();
    l.startedMs ??= time(i.State.StartedAt);
    if (!i.State.Running) l.endedMs = time(i.State.FinishedAt) ?? Date.now();
  };
  const poll = async () => {
    let cs: Docker.ContainerInfo[];
    const at = Date.now();
    try {
      cs = await docker.listContainers({ all: true, filters: { label: ['stowage.task'] } });
    } catch {
      failed++;
      return;
    }
    const seen = new Set<string>();
    for (const c of cs) {
      seen.add(c.Id);
      let l = lives.get(c.Id);
      if (!l) {
        l = { id: c.Id, task: c.Labels['stowage.task'] ?? '?', name: c.Labels['stowage.name'] ?? '?' };
        lives.set(c.Id, l);
        await inspect(l).catch(() => undefined);
      } else if (l.endedMs === undefined && (c.State !== 'running' || l.startedMs === undefined)) {
        await inspect(l).catch(() => undefined);
      }
    }
    // gone while we thought it ran: it ended before this poll (at the latest)
    for (const l of lives.values()) if (l.endedMs === undefined && !seen.has(l.id)) l.endedMs = at;
  };
  const s = sampleEvery(everyMs, poll);
  return { lives, failedPolls: () => failed, stop: s.stop };
}
