import { getServerMetrics } from "../../services/metrics";

/** Wraps a route handler so its duration lands in gpu_roi_http_request_duration_seconds. */
export function timedRoute<Rest extends unknown[]>(route: string, handler: (request: Request, ...rest: Rest) => Promise<Response>) {
  return async (request: Request, ...rest: Rest): Promise<Response> => {
    const startedAt = process.hrtime.bigint();
    const response = await handler(request, ...rest);
    const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
    getServerMetrics().httpRequestDuration.observe({ route, method: request.method, status: String(response.status) }, seconds);
    return response;
  };
}
