import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { createTrpcContext } from "@/server/api/trpc/init";
import { appRouter } from "@/server/api/trpc/root";
import { timedRoute } from "@/server/api/rest/timed-route";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const handler = timedRoute("/api/trpc", (request) =>
  fetchRequestHandler({ endpoint: "/api/trpc", req: request, router: appRouter, createContext: createTrpcContext }),
);

export { handler as GET, handler as POST };
