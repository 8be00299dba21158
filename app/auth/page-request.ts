import "server-only";
import { headers } from "next/headers";
import { cache } from "react";
import { createTrpcContext } from "@/server/api/trpc/init";
import { requestPrincipal } from "@/server/auth/server-principal";

/** Set by proxy.ts on page requests: the path and query the browser asked for (where sign-in returns to). */
export const PAGE_PATH_HEADER = "x-gpu-roi-page-path";

/**
 * The page request as the authorization layer sees it: the browser's headers
 * (cookies, Sec-Fetch-Site) on a GET. Pages resolve their viewer from it exactly
 * as the API resolves a request, so a page never shows more than the API would.
 */
export const pageRequest = cache(async (): Promise<Request> => {
  const incoming = await headers();
  return new Request(new URL(incoming.get(PAGE_PATH_HEADER) ?? "/", "http://gpu-roi.page"), { headers: new Headers(incoming) });
});

/** Who is viewing this page (once per page render). */
export const pagePrincipal = cache(async () => requestPrincipal(await pageRequest()));

/** The tRPC context of this page's viewer, for server-side prefetches and calls. */
export const pageTrpcContext = cache(async () => createTrpcContext({ req: await pageRequest() }));
