-- Personal API tokens (only the SHA-256 of each secret is kept) and the audit
-- log of admin actions, which is append-only: triggers refuse UPDATE and DELETE.
-- CreateTable
CREATE TABLE "api_token" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "owner_subject" TEXT NOT NULL,
    "owner_display_name" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "teams_json" TEXT NOT NULL DEFAULT '[]',
    "name" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "token_prefix" TEXT NOT NULL,
    "created_at_ms" BIGINT NOT NULL,
    "expires_at_ms" BIGINT NOT NULL,
    "revoked_at_ms" BIGINT,
    "last_used_at_ms" BIGINT
);

-- CreateTable
CREATE TABLE "audit_log" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "at_ms" BIGINT NOT NULL,
    "actor_kind" TEXT NOT NULL,
    "actor_subject" TEXT NOT NULL,
    "actor_display_name" TEXT NOT NULL,
    "api_token_id" TEXT,
    "action" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "before_json" TEXT,
    "after_json" TEXT
);

-- CreateIndex
CREATE UNIQUE INDEX "api_token_token_hash_key" ON "api_token"("token_hash");

-- CreateIndex
CREATE INDEX "api_token_owner_subject_idx" ON "api_token"("owner_subject");

-- CreateIndex
CREATE INDEX "audit_log_at_ms_idx" ON "audit_log"("at_ms");

-- The audit log is append-only.
CREATE TRIGGER "audit_log_no_update" BEFORE UPDATE ON "audit_log"
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused');
END;

CREATE TRIGGER "audit_log_no_delete" BEFORE DELETE ON "audit_log"
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused');
END;
