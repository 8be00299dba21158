import { NextResponse, type NextRequest } from "next/server";
import { errorResponse } from "./server/api/rest/http-responses";
import {
  isPagePath,
  malformedPathSegment,
  NON_PAGE_CONTENT_SECURITY_POLICY,
  pageContentSecurityPolicy,
  SECURITY_HEADERS,
} from "./server/api/rest/security-headers";

function withSecurityHeaders(response: Response, contentSecurityPolicy: string): Response {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.headers.set(name, value);
  response.headers.set("content-security-policy", contentSecurityPolicy);
  return response;
}

/**
 * Runs before every request: refuses paths whose percent-escapes do not decode
 * (Next.js would answer them with a plain 500), and sets the security headers,
 * with a fresh script nonce for each page.
 */
export function proxy(request: NextRequest): Response {
  // The path as sent: the URL parser keeps percent-escapes as they are.
  const pathname = new URL(request.url).pathname;
  const malformed = malformedPathSegment(pathname);
  if (malformed !== null) {
    const message = `path: "${malformed}" is not a valid percent-encoded UTF-8 segment`;
    const response = pathname.startsWith("/api/")
      ? errorResponse(400, message, "path")
      : new Response(`400 Bad Request: ${message}\n`, { status: 400, headers: { "content-type": "text/plain; charset=utf-8" } });
    return withSecurityHeaders(response, NON_PAGE_CONTENT_SECURITY_POLICY);
  }
  if (!isPagePath(pathname)) return withSecurityHeaders(NextResponse.next(), NON_PAGE_CONTENT_SECURITY_POLICY);

  const nonce = Buffer.from(crypto.randomUUID()).toString("base64");
  const contentSecurityPolicy = pageContentSecurityPolicy(nonce, process.env.NODE_ENV === "development");
  // Next.js reads the nonce from the request's policy and puts it on the page's scripts.
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set("content-security-policy", contentSecurityPolicy);
  // Where sign-in returns to (app/auth/page-request.ts); whatever the client sent under this name is replaced.
  // Next's _rsc cache-buster is no part of the page's address.
  const query = new URL(request.url).searchParams;
  query.delete("_rsc");
  requestHeaders.set("x-gpu-roi-page-path", `${pathname}${query.size > 0 ? `?${query}` : ""}`);
  return withSecurityHeaders(NextResponse.next({ request: { headers: requestHeaders } }), contentSecurityPolicy);
}

export const config = {
  // Every path but ingest: with a proxy, Next.js copies each request body into
  // memory (cutting it short past 10 MB) before the route reads it, and ingest
  // takes bodies up to GPU_ROI_INGEST_MAX_BYTES (16 MiB) that it reads as a
  // stream against that limit. next.config.js gives ingest the same headers.
  matcher: ["/((?!api/v1/ingest$).*)"],
};
