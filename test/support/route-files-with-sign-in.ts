import type { TestDatabase } from "./test-databases";

/** Sign-in settings for tests that call the route files: an OIDC provider that is never reached (sessions are made directly). */
export const SIGN_IN_ENV = {
  GPU_ROI_OIDC_ISSUER: "http://127.0.0.1:9/unused",
  GPU_ROI_OIDC_CLIENT_ID: "gpu-roi",
  GPU_ROI_PUBLIC_URL: "http://127.0.0.1:3000",
  GPU_ROI_SESSION_SECRET: "route-files-session-secret-0123456789ab",
} as const;

/**
 * Lets a test call app/api route files as the server calls them: the server's
 * database is the test's, and the environment carries sign-in (SIGN_IN_ENV plus
 * `env`). Returns the undo, for afterAll.
 */
export function serveRouteFilesFrom(db: TestDatabase, env: Readonly<Record<string, string>>): () => void {
  const holder = globalThis as typeof globalThis & { gpuRoiDatabase?: unknown };
  const savedEnv = { ...process.env };
  holder.gpuRoiDatabase = { target: db.target, sql: db.sql, prisma: db.prisma };
  Object.assign(process.env, SIGN_IN_ENV, env);
  return () => {
    delete holder.gpuRoiDatabase;
    for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
    Object.assign(process.env, savedEnv);
  };
}
