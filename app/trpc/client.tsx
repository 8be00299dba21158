"use client";

import { QueryClientProvider, type QueryClient } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { useState, type ReactNode } from "react";
import { MAX_TRPC_BATCH_CALLS } from "@/server/api/trpc/batch-limit";
import type { AppRouter } from "@/server/api/trpc/root";
import { makeQueryClient } from "./query-client";

export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

let browserQueryClient: QueryClient | undefined;
let signInCheck: Promise<void> | null = null;

/**
 * A page's query was refused with 401. When sign-in is on and the session has
 * ended (GET /api/auth/session is 401 too), the browser goes to sign in and comes
 * back here; on an open server, or while still signed in, nothing happens.
 */
function sendToSignInIfSignedOut(): void {
  signInCheck ??= fetch("/api/auth/session", { cache: "no-store" })
    .then((response) => {
      if (response.status !== 401) return;
      const returnTo = `${window.location.pathname}${window.location.search}`;
      window.location.assign(`/api/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
    })
    .catch(() => undefined)
    .finally(() => {
      signInCheck = null;
    });
}

function getQueryClient(): QueryClient {
  // On the server every request gets its own client; in the browser one is kept.
  if (typeof window === "undefined") return makeQueryClient();
  browserQueryClient ??= makeQueryClient(sendToSignInIfSignedOut);
  return browserQueryClient;
}

export function TrpcReactProvider({ children }: { children: ReactNode }) {
  const queryClient = getQueryClient();
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      links: [
        // Admin actions ride on the admin session's HttpOnly cookie (app/trpc/admin-session.ts), which fetch sends same-origin.
        httpBatchLink({ url: "/api/trpc", maxItems: MAX_TRPC_BATCH_CALLS }),
      ],
    }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
