/** The unit-cost queries of a model's page (unitCosts.get inputs), shared by the server prefetch and the page. */
export function modelUnitCostQueries(window: string) {
  return {
    /** Serving figures and measured throughput per GPU model in the page's window. */
    byGpuModel: { window, aggregate: "model,gpuModel" },
    /** Training to date: the longest window the server accepts. */
    trainingToDate: { window: "400d", aggregate: "model", unit: "samples" },
  };
}
