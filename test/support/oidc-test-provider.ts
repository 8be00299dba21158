/**
 * A real OpenID provider (the `oidc-provider` package) on a loopback port, for
 * sign-in tests: one confidential client, users with a name and groups, and the
 * package's own login and consent pages, which a test fills in with fetch
 * (signInThroughProvider) or a browser.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import Provider from "oidc-provider";

export interface TestUser {
  name: string;
  groups: string[];
}

export interface OidcTestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  close(): Promise<void>;
}

export async function startOidcTestProvider(options: { users: Record<string, TestUser>; redirectUris: string[]; postLogoutRedirectUris?: string[] }): Promise<OidcTestProvider> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = "gpu-roi-test";
  const clientSecret = "gpu-roi-test-secret-0123456789abcdef";
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: options.redirectUris,
        post_logout_redirect_uris: options.postLogoutRedirectUris ?? [],
        grant_types: ["authorization_code"],
        response_types: ["code"],
      },
    ],
    // The groups claim travels in the ID token, as Keycloak, Entra ID and Okta send it when configured to.
    conformIdTokenClaims: false,
    claims: { openid: ["sub"], profile: ["name", "groups"], email: ["email"] },
    findAccount: async (_ctx, id) => {
      const user = options.users[id];
      if (!user) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, name: user.name, groups: user.groups }) };
    },
    features: { devInteractions: { enabled: true } },
    // Explicit lifetimes (seconds): the package otherwise prints a notice for each default it uses.
    ttl: { AccessToken: 3600, AuthorizationCode: 60, Grant: 3600, IdToken: 3600, Interaction: 600, Session: 3600 },
    pkce: { required: () => true },
  });
  server.on("request", provider.callback());
  return {
    issuer,
    clientId,
    clientSecret,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A cookie jar per host, enough to follow a sign-in across gpu-roi and the provider with fetch. */
export class CookieJar {
  private readonly cookies = new Map<string, Map<string, string>>();

  store(url: string, response: Response): void {
    const host = new URL(url).host;
    const jar = this.cookies.get(host) ?? new Map<string, string>();
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(";");
      const separator = pair.indexOf("=");
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      const expired = attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute)) || value === "";
      if (expired) jar.delete(name);
      else jar.set(name, value);
    }
    this.cookies.set(host, jar);
  }

  header(url: string): string {
    return [...(this.cookies.get(new URL(url).host) ?? new Map()).entries()].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  get(url: string, name: string): string | undefined {
    return this.cookies.get(new URL(url).host)?.get(name);
  }
}

/** One request with the jar's cookies, redirects not followed; the jar keeps what comes back. */
export async function fetchWithJar(jar: CookieJar, url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const cookie = jar.header(url);
  if (cookie) headers.set("cookie", cookie);
  const response = await fetch(url, { ...init, headers, redirect: "manual" });
  jar.store(url, response);
  return response;
}

/**
 * Follows a sign-in from gpu-roi's login URL through the provider's login and
 * consent pages (as `login`) back to gpu-roi's callback; returns the callback's
 * response (not followed) and every URL visited.
 */
export async function signInThroughProvider(jar: CookieJar, loginUrl: string, login: string): Promise<{ callback: Response; visited: string[] }> {
  const visited: string[] = [];
  let url = loginUrl;
  let init: RequestInit = {};
  for (let step = 0; step < 20; step++) {
    visited.push(url);
    const response = await fetchWithJar(jar, url, init);
    init = {};
    if (new URL(url).pathname.endsWith("/api/auth/callback")) return { callback: response, visited };
    const location = response.headers.get("location");
    if (location) {
      url = new URL(location, url).href;
      continue;
    }
    const html = await response.text();
    if (response.status !== 200) throw new Error(`sign-in stopped at ${url}: ${response.status} ${html.slice(0, 500)}`);
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="([a-z]+)"/.exec(html)?.[1];
    if (!action || !prompt) throw new Error(`sign-in stopped at ${url}: no form in ${html.slice(0, 500)}`);
    url = new URL(action, url).href;
    const form = new URLSearchParams(prompt === "login" ? { prompt, login, password: "any" } : { prompt });
    init = { method: "POST", body: form, headers: { "content-type": "application/x-www-form-urlencoded" } };
  }
  throw new Error(`sign-in did not reach the callback: ${visited.join(" -> ")}`);
}
