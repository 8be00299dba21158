"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

/**
 * The admin session of this browser. The admin token goes to the server once,
 * at sign-in; the server answers with an HttpOnly cookie that page script
 * cannot read, and the page only learns whether it is signed in.
 */
const SESSION_URL = "/api/v1/admin-session";
const SESSION_QUERY_KEY = ["gpu-roi", "admin-session"] as const;

interface AdminSessionJson {
  admin: boolean;
  expiresAt: string | null;
  adminApiEnabled: boolean;
  /** Admin through OIDC sign-in (not the admin token): signing out is the top bar's. */
  viaSignIn?: boolean;
}

async function sessionRequest(method: "GET" | "POST" | "DELETE", body?: { token: string }): Promise<AdminSessionJson> {
  const response = await fetch(SESSION_URL, {
    method,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
    cache: "no-store",
  });
  const json = (await response.json().catch(() => null)) as (AdminSessionJson & { error?: { message: string } }) | null;
  if (!response.ok || json === null) throw new Error(json?.error?.message ?? `admin session: HTTP ${response.status}`);
  return json;
}

export interface AdminSession {
  /** Signed in as admin (false until the server has said so). */
  isAdmin: boolean;
  /** The server has answered whether this browser is signed in. */
  known: boolean;
  /** False when the server has no GPU_ROI_ADMIN_TOKEN: nobody can sign in. */
  adminApiEnabled: boolean;
  /** Admin through OIDC sign-in rather than the admin token's session. */
  viaSignIn: boolean;
  signIn: (token: string) => void;
  signOut: () => void;
  pending: boolean;
  error: string | null;
}

/** Every component showing admin actions follows the one session of this browser. */
export function useAdminSession(): AdminSession {
  const queryClient = useQueryClient();
  const session = useQuery({ queryKey: SESSION_QUERY_KEY, queryFn: () => sessionRequest("GET"), staleTime: 60_000, refetchInterval: 5 * 60_000 });
  const onSuccess = (json: AdminSessionJson) => {
    queryClient.setQueryData(SESSION_QUERY_KEY, json);
    // What admin-only queries answered before belongs to the previous state.
    void queryClient.invalidateQueries({ predicate: (query) => query.queryKey[1] !== SESSION_QUERY_KEY[1] });
  };
  const signIn = useMutation({ mutationFn: (token: string) => sessionRequest("POST", { token }), onSuccess });
  const signOut = useMutation({ mutationFn: () => sessionRequest("DELETE"), onSuccess });
  return {
    isAdmin: session.data?.admin === true,
    known: session.data !== undefined,
    adminApiEnabled: session.data?.adminApiEnabled !== false,
    viaSignIn: session.data?.viaSignIn === true,
    signIn: (token) => signIn.mutate(token),
    signOut: () => signOut.mutate(),
    pending: signIn.isPending || signOut.isPending,
    error: signIn.error?.message ?? signOut.error?.message ?? null,
  };
}
