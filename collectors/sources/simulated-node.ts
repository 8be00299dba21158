/**
 * One node of the FleetSimulator as a collector source, for demos and tests: it
 * reads the simulated GPUs at whatever time the agent's clock says.
 */
import type { GpuSource, SourcePoll } from "../agent";
import { FleetSimulator, type FleetConfig } from "../simulator/fleet-simulator";

export interface SimulatedNodeSourceOptions {
  /** Fleet the node belongs to (default: seed 42, one node of 8 GPUs). */
  fleet?: Partial<FleetConfig>;
  nodeIndex?: number;
}

export function simulatedNodeSource(options: SimulatedNodeSourceOptions = {}): GpuSource & { hostname: string } {
  const nodeIndex = options.nodeIndex ?? 0;
  const simulator = new FleetSimulator({ seed: 42, nodeCount: nodeIndex + 1, gpusPerNode: 8, clusterName: "sim", ...options.fleet });
  return {
    name: "simulator",
    hostname: simulator.nodes[nodeIndex].hostname,
    async poll(atMs: number): Promise<SourcePoll> {
      return { kind: "readings", gpus: simulator.snapshot(nodeIndex, atMs).gpus, work: simulator.workCounters(nodeIndex, atMs) };
    },
  };
}
