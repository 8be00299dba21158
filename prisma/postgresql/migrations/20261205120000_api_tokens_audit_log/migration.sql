-- Personal API tokens (only the SHA-256 of each secret is kept) and the audit
-- log of admin actions, which is append-only: a trigger refuses UPDATE and DELETE.
-- CreateTable
CREATE TABLE "api_token" (
    "id" SERIAL NOT NULL,
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
    "last_used_at_ms" BIGINT,

    CONSTRAINT "api_token_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_log" (
    "id" SERIAL NOT NULL,
    "at_ms" BIGINT NOT NULL,
    "actor_kind" TEXT NOT NULL,
    "actor_subject" TEXT NOT NULL,
    "actor_display_name" TEXT NOT NULL,
    "api_token_id" TEXT,
    "action" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "before_json" TEXT,
    "after_json" TEXT,

    CONSTRAINT "audit_log_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "api_token_token_hash_key" ON "api_token"("token_hash");

-- CreateIndex
CREATE INDEX "api_token_owner_subject_idx" ON "api_token"("owner_subject");

-- CreateIndex
CREATE INDEX "audit_log_at_ms_idx" ON "audit_log"("at_ms");

-- The audit log is append-only: UPDATE, DELETE and TRUNCATE are refused.
-- Prisma's migration runner splits scripts at every semicolon, even inside a
-- dollar-quoted body: the body is an escape string whose semicolon is \073.
CREATE FUNCTION "audit_log_refuse_change"() RETURNS trigger LANGUAGE plpgsql
    AS E'BEGIN RAISE EXCEPTION ''audit_log is append-only: % refused'', TG_OP\073 END';

CREATE TRIGGER "audit_log_no_update_or_delete" BEFORE UPDATE OR DELETE ON "audit_log"
    FOR EACH ROW EXECUTE FUNCTION "audit_log_refuse_change"();

CREATE TRIGGER "audit_log_no_truncate" BEFORE TRUNCATE ON "audit_log"
    FOR EACH STATEMENT EXECUTE FUNCTION "audit_log_refuse_change"();
