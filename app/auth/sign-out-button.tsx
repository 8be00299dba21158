"use client";

import { useState } from "react";

/**
 * Ends the sign-in session (POST /api/auth/logout, from this page: same-origin),
 * then goes to the provider's sign-out page, or home. Navigating from script
 * rather than a form's redirect keeps the pages' CSP at form-action 'self'.
 */
export function SignOutButton() {
  const [pending, setPending] = useState(false);
  return (
    <button
      type="button"
      disabled={pending}
      onClick={async () => {
        setPending(true);
        const response = await fetch("/api/auth/logout", { method: "POST", headers: { accept: "application/json" } });
        const body = (await response.json().catch(() => null)) as { next?: string } | null;
        window.location.assign(response.ok && body?.next ? body.next : "/");
      }}
    >
      Sign out
    </button>
  );
}
