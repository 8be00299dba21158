import { describe, expect, it } from "vitest";
import { FlowNetwork } from "../../../solver/tidal/max-flow.ts";

interface Edge {
  from: number;
  to: number;
  capacity: number;
}

/** Minimum s-t cut by enumerating every node set that holds the source and not the sink. */
function minCutByEnumeration(size: number, edges: readonly Edge[], source: number, sink: number): number {
  const inner = Array.from({ length: size }, (_, v) => v).filter((v) => v !== source && v !== sink);
  let best = Number.POSITIVE_INFINITY;
  for (let mask = 0; mask < 1 << inner.length; mask++) {
    const sourceSide = new Set([source, ...inner.filter((_, i) => mask & (1 << i))]);
    const cut = edges.filter((e) => sourceSide.has(e.from) && !sourceSide.has(e.to)).reduce((s, e) => s + e.capacity, 0);
    best = Math.min(best, cut);
  }
  return best;
}

describe("FlowNetwork.maxFlow", () => {
  it("equals the minimum cut, and the flow on every edge respects capacity and conservation, also when edges arrive between calls", () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let graph = 0; graph < 300; graph++) {
      const size = 8;
      const edges: Edge[] = [];
      for (let i = 0; i < 28; i++) {
        const from = Math.floor(random() * size);
        const to = Math.floor(random() * size);
        if (from !== to) edges.push({ from, to, capacity: 1 + Math.floor(random() * 9) });
      }
      const network = new FlowNetwork(size);
      // Edges into the sink arrive one at a time with a max flow after each (as the tidal planner opens slots).
      const ids: number[] = [];
      let value = 0;
      for (const e of edges) {
        ids.push(network.addEdge(e.from, e.to, e.capacity));
        if (e.to === size - 1) value += network.maxFlow(0, size - 1);
      }
      value += network.maxFlow(0, size - 1);
      expect(value).toBe(minCutByEnumeration(size, edges, 0, size - 1));
      const net = new Array(size).fill(0);
      edges.forEach((e, i) => {
        const flow = network.flowOn(ids[i]);
        expect(flow).toBeGreaterThanOrEqual(0);
        expect(flow).toBeLessThanOrEqual(e.capacity);
        net[e.from] -= flow;
        net[e.to] += flow;
      });
      for (let v = 1; v < size - 1; v++) expect(net[v]).toBe(0);
      expect(net[size - 1]).toBe(value);
    }
  });

  it("continues from its current flow when edges are added later", () => {
    const network = new FlowNetwork(3);
    network.addEdge(0, 1, 5);
    network.addEdge(1, 2, 2);
    expect(network.maxFlow(0, 2)).toBe(2);
    network.addEdge(1, 2, 4);
    expect(network.maxFlow(0, 2)).toBe(3);
  });
});
