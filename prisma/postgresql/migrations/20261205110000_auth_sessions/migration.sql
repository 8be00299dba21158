-- Browser sessions of OIDC sign-in (hash of the cookie's id, who, role, teams, expiry, revocation).
-- CreateTable
CREATE TABLE "auth_session" (
    "id" SERIAL NOT NULL,
    "id_hash" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "display_name" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "teams_json" TEXT NOT NULL,
    "created_at_ms" BIGINT NOT NULL,
    "expires_at_ms" BIGINT NOT NULL,
    "revoked_at_ms" BIGINT,

    CONSTRAINT "auth_session_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "auth_session_id_hash_key" ON "auth_session"("id_hash");

-- CreateIndex
CREATE INDEX "auth_session_subject_idx" ON "auth_session"("subject");
