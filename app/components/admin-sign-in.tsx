"use client";

import { useState } from "react";
import { useAdminSession } from "../trpc/admin-session";

/** Sign in as admin with GPU_ROI_ADMIN_TOKEN (kept by the server as an HttpOnly session, never by the page), or sign out. */
export function AdminSignIn({ placeholder }: { placeholder: string }) {
  const session = useAdminSession();
  const [token, setToken] = useState("");
  if (session.isAdmin) {
    return (
      <div className="admin-bar" data-admin-session="signed-in">
        <span className="admin-state">Signed in as admin</span>
        {!session.viaSignIn && (
          <button type="button" disabled={session.pending} onClick={() => session.signOut()}>
            Sign out
          </button>
        )}
      </div>
    );
  }
  return (
    <form
      className="admin-bar"
      aria-label="Admin sign-in"
      data-admin-session={session.known ? "signed-out" : "unknown"}
      onSubmit={(event) => {
        event.preventDefault();
        if (!token) return;
        session.signIn(token);
        setToken("");
      }}
    >
      <input
        type="password"
        aria-label="Admin token"
        autoComplete="current-password"
        placeholder={session.adminApiEnabled ? placeholder : "admin API disabled (GPU_ROI_ADMIN_TOKEN not set)"}
        disabled={!session.known || !session.adminApiEnabled}
        value={token}
        onChange={(event) => setToken(event.target.value)}
      />
      <button type="submit" disabled={!token || session.pending}>
        Sign in
      </button>
      {session.error && <span className="field-error">{session.error}</span>}
    </form>
  );
}
