/** The model's cost per step by experiment (allocation.get input), shared by the server prefetch and the page. */
export function modelTrendInput(model: string, window: string) {
  return {
    window,
    aggregate: "experiment",
    // Filter values cannot hold a comma (it separates filters).
    filter: `model:${model.replace(/,/g, "")}`,
    accumulate: false,
    step: window === "24h" ? ("1h" as const) : ("1d" as const),
  };
}
