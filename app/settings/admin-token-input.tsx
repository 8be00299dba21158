"use client";

import { useAdminToken } from "../trpc/admin-token";

/** The admin token for this tab: the settings' write actions (prices, collector tokens) need it. */
export function AdminTokenInput() {
  const [adminToken, setAdminToken] = useAdminToken();
  return (
    <div className="admin-bar">
      <input type="password" aria-label="Admin token" placeholder="admin token (to change settings)" value={adminToken} onChange={(event) => setAdminToken(event.target.value)} />
    </div>
  );
}
