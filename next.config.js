/**
 * The security headers proxy.ts sets on every other response
 * (server/api/rest/security-headers.ts: SECURITY_HEADERS and
 * NON_PAGE_CONTENT_SECURITY_POLICY), for ingest, which the proxy leaves out.
 */
const INGEST_SECURITY_HEADERS = [
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "same-origin" },
  { key: "X-Frame-Options", value: "DENY" },
  { key: "Content-Security-Policy", value: "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'" },
];

/** @type {import('next').NextConfig} */
const nextConfig = {
  async headers() {
    return [{ source: "/api/v1/ingest", headers: INGEST_SECURITY_HEADERS }];
  },
  // Native drivers and Prisma's runtime load from node_modules at run time
  // instead of being bundled.
  serverExternalPackages: ["better-sqlite3", "pg", "@prisma/adapter-better-sqlite3", "@prisma/adapter-pg", "prom-client"],
  // With proxy.ts, Next.js buffers every request body it sees before the route
  // reads it (10 MB by default, even unauthenticated). The routes behind the
  // proxy take at most 256 KiB (tRPC) and ingest bypasses it, so buffer less.
  experimental: { proxyClientMaxBodySize: "1mb" },
  poweredByHeader: false,
  reactStrictMode: true,
};

export default nextConfig;
