import { authSettingsFrom } from "@/server/config/server-settings";
import { sessionResponse } from "@/server/api/rest/sign-in-handler";
import { timedRoute } from "@/server/api/rest/timed-route";
import { requestPrincipal } from "@/server/auth/server-principal";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = timedRoute("/api/auth/session", async (request) => {
  const resolution = await requestPrincipal(request);
  return sessionResponse(resolution.principal, resolution.principal === null ? resolution.refusal : null, authSettingsFrom());
});
