import { getServerMetrics } from "@/server/services/metrics";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Prometheus text exposition of this server process's metrics. */
export async function GET(): Promise<Response> {
  const { registry } = getServerMetrics();
  return new Response(await registry.metrics(), { headers: { "content-type": registry.contentType } });
}
