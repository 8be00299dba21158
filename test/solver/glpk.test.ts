import { describe, expect, it } from "vitest";
import { solve } from "../../solver/glpk.ts";
import { solveInWorker } from "../../solver/solve-in-worker.ts";
import type { LinearModel } from "../../solver/linear-model.ts";
import { denseLp, symmetricBinPacking } from "./hard-models.ts";

const smallLp: LinearModel = {
  name: "diet",
  direction: "minimize",
  objective: [
    { name: "x", coef: 1 },
    { name: "y", coef: 1 },
  ],
  constraints: [
    { name: "a", terms: [{ name: "x", coef: 2 }, { name: "y", coef: 1 }], lower: 4 },
    { name: "b", terms: [{ name: "x", coef: 1 }, { name: "y", coef: 3 }], lower: 6 },
  ],
};

describe("solve", () => {
  it("returns the optimum, the values and the row duals of an LP", async () => {
    const result = await solve(smallLp, { timeLimitMs: 5_000 });
    expect(result.status).toBe("optimal");
    expect(result.objective).toBeCloseTo(2.8, 6);
    expect(result.values.x).toBeCloseTo(1.2, 6);
    expect(result.duals?.a).toBeCloseTo(0.4, 6);
    expect(result.duals?.b).toBeCloseTo(0.2, 6);
  });

  it("solves a small MIP to optimality without duals", async () => {
    const result = await solve({ ...smallLp, integers: ["x", "y"] }, { timeLimitMs: 5_000 });
    expect(result.status).toBe("optimal");
    expect(result.objective).toBe(3);
    expect(result.duals).toBeUndefined();
  });

  it("reports infeasible models with a message", async () => {
    const twoRows = await solve(
      {
        name: "bad-rows",
        direction: "minimize",
        objective: [{ name: "x", coef: 1 }],
        constraints: [
          { name: "atLeast", terms: [{ name: "x", coef: 1 }], lower: 5 },
          { name: "atMost", terms: [{ name: "x", coef: 1 }], upper: 3 },
        ],
      },
      { timeLimitMs: 5_000 },
    );
    expect(twoRows.status).toBe("infeasible");
    const result = await solve(
      { name: "bad", direction: "minimize", objective: [{ name: "x", coef: 1 }], constraints: [{ name: "c", terms: [{ name: "x", coef: 1 }], lower: 5, upper: 3 }] },
      { timeLimitMs: 5_000 },
    );
    expect(result.status).toBe("infeasible");
    expect(result.message).toMatch(/cannot/);
  });

  it("honours the time limit on a MIP it cannot prove optimal", async () => {
    const started = performance.now();
    const result = await solve(symmetricBinPacking(25, 13), { timeLimitMs: 700 });
    const elapsedMs = performance.now() - started;
    expect(result.status).toBe("timedout");
    expect(elapsedMs).toBeLessThan(700 + 1_500);
    // It still returns the best packing found so far: 2 items per bin, so at least 13 bins.
    if (!Number.isNaN(result.objective)) expect(result.objective).toBeGreaterThanOrEqual(13);
  });
});

describe("solveInWorker", () => {
  it("solves in a worker thread and gives the same answer", async () => {
    const result = await solveInWorker(smallLp, { timeLimitMs: 10_000 });
    expect(result.status).toBe("optimal");
    expect(result.objective).toBeCloseTo(2.8, 6);
    expect(result.duals?.a).toBeCloseTo(0.4, 6);
  });

  it("keeps the calling thread responsive and emits progress events on a large LP", async () => {
    const progress: number[] = [];
    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    const result = await solveInWorker(denseLp(1_000, 300), { timeLimitMs: 20_000, progressEvery: 50, onProgress: (p) => progress.push(p.elapsedMs) });
    clearInterval(timer);
    expect(result.status).toBe("optimal");
    expect(progress.length).toBeGreaterThan(0);
    expect(ticks).toBeGreaterThan(0);
  });

  it("honours the time limit in the worker", async () => {
    const started = performance.now();
    const result = await solveInWorker(symmetricBinPacking(25, 13), { timeLimitMs: 700 });
    expect(result.status).toBe("timedout");
    expect(performance.now() - started).toBeLessThan(700 + 2_500);
  });
});
