import type { LinearModel } from "../../solver/linear-model.ts";

/**
 * Bin packing with items of 34 units into bins of 100: only 2 fit per bin, but
 * the LP relaxation believes 2.94 do, so branch and bound explores a huge,
 * symmetric tree. GLPK cannot prove optimality in seconds; used to test time limits.
 */
export function symmetricBinPacking(items: number, bins: number): LinearModel {
  const constraints = [];
  const binaries: string[] = [];
  for (let i = 0; i < items; i++) {
    constraints.push({ name: `item${i}`, terms: Array.from({ length: bins }, (_, b) => ({ name: `x${i}_${b}`, coef: 1 })), lower: 1, upper: 1 });
    for (let b = 0; b < bins; b++) binaries.push(`x${i}_${b}`);
  }
  for (let b = 0; b < bins; b++) {
    constraints.push({
      name: `bin${b}`,
      terms: [...Array.from({ length: items }, (_, i) => ({ name: `x${i}_${b}`, coef: 34 })), { name: `y${b}`, coef: -100 }],
      upper: 0,
    });
    binaries.push(`y${b}`);
  }
  return {
    name: "symmetric-bin-packing",
    direction: "minimize",
    objective: Array.from({ length: bins }, (_, b) => ({ name: `y${b}`, coef: 1 })),
    constraints,
    binaries,
  };
}

/** A dense LP large enough to take seconds: many simplex iterations, so progress events fire. */
export function denseLp(variables: number, rows: number): LinearModel {
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const constraints = Array.from({ length: rows }, (_, r) => ({
    name: `r${r}`,
    terms: Array.from({ length: variables }, (_, v) => ({ name: `v${v}`, coef: random() < 0.2 ? 1 + Math.floor(random() * 9) : 0 })).filter((t) => t.coef > 0),
    lower: 10 + Math.floor(random() * 90),
  }));
  return {
    name: "dense-lp",
    direction: "minimize",
    objective: Array.from({ length: variables }, (_, v) => ({ name: `v${v}`, coef: 1 + Math.floor(random() * 20) })),
    constraints,
  };
}
