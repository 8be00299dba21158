/**
 * At most `maxRunning` pieces of work at once in this process, at most
 * `maxWaiting` more queued; beyond that work is refused at once rather than
 * queued without bound (each queued request holds its memory while it waits).
 */
export class ConcurrencyLimitError extends Error {
  constructor(readonly running: number, readonly waiting: number) {
    super(`${running} running and ${waiting} waiting`);
    this.name = "ConcurrencyLimitError";
  }
}

export class ConcurrencyLimiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly maxRunning: number,
    readonly maxWaiting: number,
  ) {}

  /**
   * Runs `work` once a slot is free; throws ConcurrencyLimitError (nothing run)
   * when `maxWaiting` are already queued. Work starts in an event-loop turn of its
   * own, so requests waiting for I/O (a health check) are served between two
   * pieces of work even when each blocks the loop while it computes.
   */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running < this.maxRunning) {
      this.running += 1;
      await new Promise<void>((resolve) => setImmediate(resolve));
    } else {
      if (this.waiting.length >= this.maxWaiting) throw new ConcurrencyLimitError(this.running, this.waiting.length);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  /** Work running and queued now. */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  private release(): void {
    const next = this.waiting.shift();
    // The slot passes to the next in line (the running count stays), in a turn of its own.
    if (next) setImmediate(next);
    else this.running -= 1;
  }
}
