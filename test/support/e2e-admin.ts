/**
 * Signing in as admin from a page, as a person does: the admin token typed into
 * the "Admin token" field and sent once; the server keeps the session in an
 * HttpOnly cookie. A browser context already signed in stays so.
 */
import type { Page } from "playwright-core";

export async function signInAsAdmin(page: Page, adminToken: string, timeoutMs = 30_000): Promise<void> {
  const known = page.locator('[data-admin-session="signed-in"], [data-admin-session="signed-out"]').first();
  await known.waitFor({ state: "visible", timeout: timeoutMs });
  if ((await known.getAttribute("data-admin-session")) === "signed-in") return;
  const form = page.getByRole("form", { name: "Admin sign-in" });
  await form.getByLabel("Admin token").fill(adminToken);
  await form.getByRole("button", { name: "Sign in" }).click();
  await page.locator('[data-admin-session="signed-in"]').waitFor({ state: "visible", timeout: timeoutMs });
}
