import { redirect } from "next/navigation";
import { authSettingsFrom } from "@/server/config/server-settings";
import { pagePrincipal, pageRequest, PAGE_PATH_HEADER } from "./page-request";
import { SignOutButton } from "./sign-out-button";

const ROLE_NAMES = { admin: "admin", analyst: "analyst", member: "team member" } as const;

/**
 * Who is viewing, in the top bar, with sign-out; the warning banner when sign-in
 * is off by choice (GPU_ROI_AUTH=none). A page request without a principal on a
 * server with sign-in goes to the provider's sign-in first, returning here after.
 */
export async function ViewerBar() {
  const auth = authSettingsFrom();
  const resolution = await pagePrincipal();
  if (resolution.principal === null) {
    if (resolution.refusal.status === 401 && auth.mode === "oidc") {
      const path = (await pageRequest()).headers.get(PAGE_PATH_HEADER) ?? "/";
      redirect(`/api/auth/login?returnTo=${encodeURIComponent(path)}`);
    }
    return (
      <p className="sign-in-refused" role="alert">
        {resolution.refusal.message}
      </p>
    );
  }
  const principal = resolution.principal;
  return (
    <>
      {auth.mode === "none" && (
        <p className="auth-off-banner" role="alert">
          Sign-in is off (GPU_ROI_AUTH=none): anyone who can reach this server sees every team&apos;s costs.
        </p>
      )}
      {principal.kind === "session" && (
        <div className="viewer" data-testid="viewer">
          <span>
            {principal.displayName} · {ROLE_NAMES[principal.role]}
            {principal.role === "member" ? ` (${principal.teams.join(", ")})` : ""}
          </span>
          <SignOutButton />
        </div>
      )}
    </>
  );
}
