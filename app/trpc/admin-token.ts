import { useSyncExternalStore } from "react";
import { ADMIN_TOKEN_STORAGE_KEY } from "./client";

// Every component showing admin actions follows the one token kept for this tab.
const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function setAdminToken(token: string): void {
  if (token) window.sessionStorage.setItem(ADMIN_TOKEN_STORAGE_KEY, token);
  else window.sessionStorage.removeItem(ADMIN_TOKEN_STORAGE_KEY);
  for (const listener of listeners) listener();
}

/** The admin token kept for this tab (sessionStorage), "" when none; the server render sees none. */
export function useAdminToken(): [string, (token: string) => void] {
  const token = useSyncExternalStore(
    subscribe,
    () => window.sessionStorage.getItem(ADMIN_TOKEN_STORAGE_KEY) ?? "",
    () => "",
  );
  return [token, setAdminToken];
}
