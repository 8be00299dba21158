import { defaultShouldDehydrateQuery, QueryCache, QueryClient } from "@tanstack/react-query";

/** A query refused with 401: the viewer is not (or no longer) signed in, or a token was refused. */
export function isUnauthorizedError(error: unknown): boolean {
  const data = (error as { data?: { httpStatus?: unknown } } | null)?.data;
  return data?.httpStatus === 401;
}

/**
 * @param onUnauthorized called when a query is refused with 401 (the browser's
 *   client checks whether the session ended and, if so, goes to sign in).
 */
export function makeQueryClient(onUnauthorized?: () => void): QueryClient {
  return new QueryClient({
    queryCache: onUnauthorized ? new QueryCache({ onError: (error) => (isUnauthorizedError(error) ? onUnauthorized() : undefined) }) : undefined,
    defaultOptions: {
      // Usage arrives every minute; data younger than 30 s is fresh enough.
      queries: { staleTime: 30_000, refetchInterval: 60_000 },
      dehydrate: {
        shouldDehydrateQuery: (query) => defaultShouldDehydrateQuery(query) || query.state.status === "pending",
      },
    },
  });
}
