/**
 * At most n at once; the rest wait in order. The docker engine starts 50
 * containers sooner when they come 8-16 at a time than all 50 at once
 * (measured: median start 2.2-3.0 s vs 3.7-4.7 s, the last one no later).
 */
export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly n: number) {}

  async run<T>(f: () => Promise<T>): Promise<T> {
    if (this.active >= this.n) await new Promise<void>((r) => this.waiting.push(r));
    else this.active++;
    try {
      return await f();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
