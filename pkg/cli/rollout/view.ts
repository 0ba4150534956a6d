/**
 * How `--wait` and `rollout status` show progress: a live bar per service
 * on a terminal (cli-progress, loaded only then), a line per change otherwise.
 */
import type { Ctx } from '../context.js';
import { progressLine, type Progress } from './progress.js';

export interface ProgressView {
  update(p: Progress): void;
  stop(): void;
}

class PlainView implements ProgressView {
  private last = new Map<string, string>();
  constructor(private readonly ctx: Ctx) {}

  update(p: Progress): void {
    const line = p.done ? `${p.ref}: rollout complete, ${p.healthy}/${p.desired} healthy${p.revision !== undefined ? ` (revision ${p.revision})` : ''}` : progressLine(p);
    if (this.last.get(p.ref) === line) return;
    this.last.set(p.ref, line);
    this.ctx.out(line + '\n');
  }

  stop(): void {}
}

interface Bar {
  update(value: number, payload: object): void;
  setTotal(total: number): void;
}
interface MultiBar {
  create(total: number, start: number, payload: object): Bar;
  stop(): void;
}

class TtyView implements ProgressView {
  private bars = new Map<string, Bar>();
  private constructor(private readonly multi: MultiBar) {}

  static async create(ctx: Ctx): Promise<TtyView> {
    const { default: cliProgress } = await import('cli-progress');
    const multi = new cliProgress.MultiBar(
      {
        format: '{ref} [{bar}] {value}/{total} healthy | {running} running | {state}',
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        barsize: 20,
        // the real stream behind a synchronous writer (sync-out.ts): the bars move the cursor
        stream: ((ctx.io.stdout as { stream?: NodeJS.WritableStream }).stream ?? ctx.io.stdout) as NodeJS.WritableStream,
      },
      cliProgress.Presets.shades_classic,
    );
    return new TtyView(multi as unknown as MultiBar);
  }

  update(p: Progress): void {
    const payload = { ref: p.ref, running: p.running, state: p.done ? 'complete' : p.state + (p.revision !== undefined ? ` rev ${p.revision}` : '') };
    let bar = this.bars.get(p.ref);
    if (!bar) {
      bar = this.multi.create(Math.max(p.desired, 0), 0, payload);
      this.bars.set(p.ref, bar);
    }
    bar.setTotal(Math.max(p.desired, 0));
    bar.update(p.healthy, payload);
  }

  stop(): void {
    this.multi.stop();
  }
}

export async function progressView(ctx: Ctx): Promise<ProgressView> {
  return ctx.io.stdout.isTTY ? TtyView.create(ctx) : new PlainView(ctx);
}
