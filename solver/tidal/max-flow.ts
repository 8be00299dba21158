/** Dinic's maximum flow on a small directed graph (capacities in GPU-hours). */
export class FlowNetwork {
  private readonly head: number[];
  private readonly to: number[] = [];
  private readonly capacity: number[] = [];
  private readonly next: number[] = [];

  constructor(readonly size: number) {
    this.head = new Array(size).fill(-1);
  }

  /** Adds an edge; returns its id (flow on it = initial capacity - residual). */
  addEdge(from: number, to: number, capacity: number): number {
    const id = this.to.length;
    this.to.push(to, from);
    this.capacity.push(capacity, 0);
    this.next.push(this.head[from], this.head[to]);
    this.head[from] = id;
    this.head[to] = id + 1;
    return id;
  }

  /** Flow carried by edge `id` (the residual of its reverse edge). */
  flowOn(id: number): number {
    return this.capacity[id + 1];
  }

  maxFlow(source: number, sink: number): number {
    let total = 0;
    const level = new Int32Array(this.size);
    const iterator = new Int32Array(this.size);
    const bfs = (): boolean => {
      level.fill(-1);
      level[source] = 0;
      const queue = [source];
      for (let q = 0; q < queue.length; q++) {
        const v = queue[q];
        for (let e = this.head[v]; e >= 0; e = this.next[e]) {
          if (this.capacity[e] > 1e-9 && level[this.to[e]] < 0) {
            level[this.to[e]] = level[v] + 1;
            queue.push(this.to[e]);
          }
        }
      }
      return level[sink] >= 0;
    };
    const dfs = (v: number, pushed: number): number => {
      if (v === sink) return pushed;
      for (; iterator[v] >= 0; iterator[v] = this.next[iterator[v]]) {
        const e = iterator[v];
        const w = this.to[e];
        if (this.capacity[e] > 1e-9 && level[w] === level[v] + 1) {
          const got = dfs(w, Math.min(pushed, this.capacity[e]));
          if (got > 1e-9) {
            this.capacity[e] -= got;
            // The paired edge of e (forward 2k <-> reverse 2k+1); e may itself be a reverse edge.
            this.capacity[e ^ 1] += got;
            return got;
          }
        }
      }
      return 0;
    };
    while (bfs()) {
      for (let v = 0; v < this.size; v++) iterator[v] = this.head[v];
      for (let f = dfs(source, Number.POSITIVE_INFINITY); f > 1e-9; f = dfs(source, Number.POSITIVE_INFINITY)) total += f;
    }
    return total;
  }
}
