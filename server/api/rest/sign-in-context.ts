import { authSettingsFrom } from "../../config/server-settings";
import { getServerDatabase } from "../../db/server-database";
import type { SignInContext } from "./sign-in-handler";

/** The sign-in endpoints' context in the server process. */
export function serverSignInContext(): SignInContext {
  return { auth: authSettingsFrom(), db: getServerDatabase().sql, nowMs: Date.now };
}
