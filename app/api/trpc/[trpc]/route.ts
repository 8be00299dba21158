import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { HEAVY_READ_RETRY_AFTER_S } from "@/server/api/trpc/heavy-read-procedure";
import { createTrpcContext } from "@/server/api/trpc/init";
import { limitTrpcRequest, MAX_TRPC_BATCH_CALLS } from "@/server/api/trpc/request-limits";
import { appRouter } from "@/server/api/trpc/root";
import { timedRoute } from "@/server/api/rest/timed-route";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const ENDPOINT = "/api/trpc";

const handler = timedRoute(ENDPOINT, async (request) => {
  const limited = await limitTrpcRequest(request, ENDPOINT);
  if (limited instanceof Response) return limited;
  return fetchRequestHandler({
    endpoint: ENDPOINT,
    req: limited,
    router: appRouter,
    createContext: createTrpcContext,
    // tRPC's own check, behind the clearer one above.
    maxBatchSize: MAX_TRPC_BATCH_CALLS,
    responseMeta: ({ errors }) =>
      errors.some((error) => error.code === "TOO_MANY_REQUESTS") ? { headers: new Headers({ "retry-after": String(HEAVY_READ_RETRY_AFTER_S) }) } : {},
  });
});

export { handler as GET, handler as POST };
