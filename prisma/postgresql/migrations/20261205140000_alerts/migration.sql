-- Alerts: rules, their episodes and deliveries, and the ingest refusals the node rules watch.
-- CreateTable
CREATE TABLE "alert_rule" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "params_json" TEXT NOT NULL,
    "channels_json" TEXT NOT NULL DEFAULT '[]',
    "created_at_ms" BIGINT NOT NULL,
    "updated_at_ms" BIGINT NOT NULL,

    CONSTRAINT "alert_rule_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "alert_episode" (
    "id" SERIAL NOT NULL,
    "rule_id" INTEGER NOT NULL,
    "subject_key" TEXT NOT NULL,
    "open_key" TEXT,
    "state" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "detail_json" TEXT NOT NULL,
    "opened_at_ms" BIGINT NOT NULL,
    "last_held_at_ms" BIGINT NOT NULL,
    "resolved_at_ms" BIGINT,
    "acknowledged_at_ms" BIGINT,
    "acknowledged_by" TEXT,

    CONSTRAINT "alert_episode_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "alert_delivery" (
    "id" SERIAL NOT NULL,
    "episode_id" INTEGER NOT NULL,
    "event" TEXT NOT NULL,
    "channel_kind" TEXT NOT NULL,
    "channel_label" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "error" TEXT,
    "attempted_at_ms" BIGINT NOT NULL,

    CONSTRAINT "alert_delivery_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ingest_refusal" (
    "subject_key" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "hour_start_ms" BIGINT NOT NULL,
    "node_id" INTEGER,
    "count" INTEGER NOT NULL,
    "last_refused_at_ms" BIGINT NOT NULL,
    "last_message" TEXT NOT NULL,

    CONSTRAINT "ingest_refusal_pkey" PRIMARY KEY ("subject_key","reason","hour_start_ms")
);

-- CreateIndex
CREATE UNIQUE INDEX "alert_episode_open_key_key" ON "alert_episode"("open_key");

-- CreateIndex
CREATE INDEX "alert_episode_rule_id_subject_key_idx" ON "alert_episode"("rule_id", "subject_key");

-- CreateIndex
CREATE INDEX "alert_episode_state_opened_at_ms_idx" ON "alert_episode"("state", "opened_at_ms");

-- CreateIndex
CREATE INDEX "alert_delivery_episode_id_idx" ON "alert_delivery"("episode_id");

-- CreateIndex
CREATE INDEX "ingest_refusal_hour_start_ms_idx" ON "ingest_refusal"("hour_start_ms");
