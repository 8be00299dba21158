/**
 * The headers every response carries, and the Content-Security-Policy of
 * pages and of everything else. Pages allow only scripts that carry the
 * request's nonce (Next.js puts it on its own scripts) and what they load;
 * ECharts and React set style attributes, so styles stay 'unsafe-inline'.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
  // For browsers without CSP frame-ancestors.
  "x-frame-options": "DENY",
};

/** For API answers, files and anything that is not a page: no script, no framing. */
export const NON_PAGE_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** A page's policy for one response; `dev` allows the eval that React's development build uses for error stacks. */
export function pageContentSecurityPolicy(nonce: string, dev: boolean): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/**
 * Whether a path may be a page. Only the APIs, Next's static files and the icon
 * are known not to be: a page's name comes from data (an experiment called
 * "run.js" is a page), so file extensions tell nothing.
 */
export function isPagePath(pathname: string): boolean {
  return !/^\/(api|_next\/static|_next\/image)(\/|$)/.test(pathname) && pathname !== "/icon.svg" && pathname !== "/favicon.ico";
}

/** The first path segment that is not a valid percent-encoding of UTF-8 (`%ff`, `%zz`), or null. */
export function malformedPathSegment(pathname: string): string | null {
  for (const segment of pathname.split("/")) {
    try {
      decodeURIComponent(segment);
    } catch {
      return segment;
    }
  }
  return null;
}
