/**
 * Procedure calls one batched request to /api/trpc may name. Its own module so
 * the browser's httpBatchLink (app/trpc/client.tsx) and the server's check
 * (request-limits.ts) read one number without the client bundling server code.
 */
export const MAX_TRPC_BATCH_CALLS = 10;
