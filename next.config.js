/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native drivers and Prisma's runtime load from node_modules at run time
  // instead of being bundled.
  serverExternalPackages: ["better-sqlite3", "pg", "@prisma/adapter-better-sqlite3", "@prisma/adapter-pg", "prom-client"],
  poweredByHeader: false,
  reactStrictMode: true,
};

export default nextConfig;
