import { handleLogout } from "@/server/api/rest/sign-in-handler";
import { serverSignInContext } from "@/server/api/rest/sign-in-context";
import { timedRoute } from "@/server/api/rest/timed-route";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = timedRoute("/api/auth/logout", (request) => handleLogout(request, serverSignInContext()));
