import { describe, expect, it } from "vitest";
import { AbandonedWorkError, ConcurrencyLimitError, ConcurrencyLimiter } from "../../../../server/api/trpc/concurrency-limiter";

/** A piece of work that runs until `finish` is called. */
function heldWork() {
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { work: () => done, finish: () => finish() };
}

describe("ConcurrencyLimiter", () => {
  it("runs at most maxRunning at once and starts the next in line when one ends", async () => {
    const limiter = new ConcurrencyLimiter(1, 2, 60_000);
    const first = heldWork();
    const started: string[] = [];
    const runs = [
      limiter.run(async () => (started.push("first"), first.work())),
      limiter.run(async () => void started.push("second")),
      limiter.run(async () => void started.push("third")),
    ];
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(["first"]);
    expect(limiter.load).toEqual({ running: 1, waiting: 2 });

    first.finish();
    await Promise.all(runs);
    expect(started).toEqual(["first", "second", "third"]);
    expect(limiter.load).toEqual({ running: 0, waiting: 0 });
  });

  it("refuses work at once, running none of it, when maxWaiting are already queued", async () => {
    const limiter = new ConcurrencyLimiter(1, 1, 60_000);
    const held = heldWork();
    const running = limiter.run(held.work);
    const queued = limiter.run(async () => "queued");
    let ran = false;

    await expect(limiter.run(async () => void (ran = true))).rejects.toEqual(new ConcurrencyLimitError("queue full", 1, 1));
    expect(ran).toBe(false);
    held.finish();
    await running;
    expect(await queued).toBe("queued");
  });

  it("frees the slot of work that failed", async () => {
    const limiter = new ConcurrencyLimiter(1, 0, 60_000);
    await expect(limiter.run(async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await limiter.run(async () => "after")).toBe("after");
  });

  it("starts each piece of work in an event-loop turn of its own, so waiting I/O is served in between", async () => {
    const limiter = new ConcurrencyLimiter(1, 10, 60_000);
    const order: string[] = [];
    const runs = [limiter.run(async () => void order.push("work 1")), limiter.run(async () => void order.push("work 2"))];
    setImmediate(() => order.push("other turn"));
    await Promise.all(runs);
    expect(order).toEqual(["work 1", "other turn", "work 2"]);
  });

  it("refuses work that did not get a slot within maxWaitMs, and leaves the queue", async () => {
    const limiter = new ConcurrencyLimiter(1, 5, 50);
    const held = heldWork();
    const running = limiter.run(held.work);
    let ran = false;

    await expect(limiter.run(async () => void (ran = true))).rejects.toEqual(new ConcurrencyLimitError("waited too long", 1, 0));
    expect(ran).toBe(false);
    expect(limiter.load).toEqual({ running: 1, waiting: 0 });
    held.finish();
    await running;
    expect(limiter.load).toEqual({ running: 0, waiting: 0 });
  });

  it("drops queued work whose caller aborted, without running it", async () => {
    const limiter = new ConcurrencyLimiter(1, 5, 60_000);
    const held = heldWork();
    const running = limiter.run(held.work);
    const abort = new AbortController();
    let ran = false;
    const queued = limiter.run(async () => void (ran = true), abort.signal);

    abort.abort();
    await expect(queued).rejects.toBeInstanceOf(AbandonedWorkError);
    held.finish();
    await running;
    expect(ran).toBe(false);
    expect(limiter.load).toEqual({ running: 0, waiting: 0 });
  });
});
