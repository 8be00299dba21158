/**
 * At most `maxRunning` pieces of work at once in this process, at most
 * `maxWaiting` more queued, none queued longer than `maxWaitMs`; beyond that work
 * is refused rather than queued without bound (each queued request holds its
 * connection and memory while it waits).
 */
export class ConcurrencyLimitError extends Error {
  constructor(
    readonly reason: "queue full" | "waited too long",
    readonly running: number,
    readonly waiting: number,
  ) {
    super(`${reason}: ${running} running and ${waiting} waiting`);
    this.name = "ConcurrencyLimitError";
  }
}

/** The caller gave up (its request was aborted) before its work started: nothing was run. */
export class AbandonedWorkError extends Error {
  constructor() {
    super("abandoned before it started");
    this.name = "AbandonedWorkError";
  }
}

interface Waiter {
  /** Hands the slot over: the waiter now holds it. */
  start: () => void;
}

export class ConcurrencyLimiter {
  private running = 0;
  private readonly waiting: Waiter[] = [];

  constructor(
    readonly maxRunning: number,
    readonly maxWaiting: number,
    readonly maxWaitMs: number,
  ) {}

  /**
   * Runs `work` once a slot is free. Throws ConcurrencyLimitError (nothing run)
   * when `maxWaiting` are already queued or the slot did not come within
   * `maxWaitMs`, and AbandonedWorkError when `signal` aborts while it waits. Work
   * starts in an event-loop turn of its own, so requests waiting for I/O (a
   * health check) are served between two pieces of work even when each blocks
   * the loop while it computes.
   */
  async run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) throw new AbandonedWorkError();
    if (this.running < this.maxRunning) {
      this.running += 1;
    } else {
      if (this.waiting.length >= this.maxWaiting) throw new ConcurrencyLimitError("queue full", this.running, this.waiting.length);
      await this.queue(signal);
    }
    try {
      await new Promise<void>((resolve) => setImmediate(resolve));
      return await work();
    } finally {
      this.release();
    }
  }

  /** Work running and queued now. */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  /** Waits for a slot handed over by release(); leaves the queue on timeout or abort. */
  private queue(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const leave = (error: Error) => {
        const index = this.waiting.indexOf(waiter);
        if (index >= 0) this.waiting.splice(index, 1);
        cleanUp();
        reject(error);
      };
      const onAbort = () => leave(new AbandonedWorkError());
      const timer = setTimeout(() => leave(new ConcurrencyLimitError("waited too long", this.running, this.waiting.length - 1)), this.maxWaitMs);
      const cleanUp = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      const waiter: Waiter = {
        start: () => {
          cleanUp();
          resolve();
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    // The slot passes to the next in line (the running count stays); run() starts its work in a turn of its own.
    if (next) next.start();
    else this.running -= 1;
  }
}
