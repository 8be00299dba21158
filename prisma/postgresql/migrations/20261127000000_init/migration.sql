-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "cluster" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "created_at_ms" BIGINT NOT NULL,

    CONSTRAINT "cluster_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "node" (
    "id" SERIAL NOT NULL,
    "cluster_id" INTEGER NOT NULL,
    "hostname" TEXT NOT NULL,
    "labels_json" TEXT NOT NULL DEFAULT '{}',
    "created_at_ms" BIGINT NOT NULL,
    "last_seen_ms" BIGINT,

    CONSTRAINT "node_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "node_token" (
    "id" SERIAL NOT NULL,
    "node_id" INTEGER NOT NULL,
    "token_hash" TEXT NOT NULL,
    "token_prefix" TEXT NOT NULL,
    "created_at_ms" BIGINT NOT NULL,
    "revoked_at_ms" BIGINT,
    "last_used_ms" BIGINT,

    CONSTRAINT "node_token_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "gpu" (
    "id" SERIAL NOT NULL,
    "node_id" INTEGER NOT NULL,
    "uuid" TEXT NOT NULL,
    "gpu_index" INTEGER NOT NULL,
    "model_name" TEXT NOT NULL,
    "memory_total_mib" INTEGER NOT NULL,
    "mig_parent_uuid" TEXT,
    "mig_profile" TEXT,
    "first_seen_ms" BIGINT NOT NULL,
    "last_seen_ms" BIGINT NOT NULL,

    CONSTRAINT "gpu_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "job" (
    "id" SERIAL NOT NULL,
    "cluster_id" INTEGER NOT NULL,
    "external_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL DEFAULT 'other',
    "requested_gpus" INTEGER,
    "team" TEXT,
    "project" TEXT,
    "model" TEXT,
    "experiment" TEXT,
    "user_name" TEXT,
    "labels_json" TEXT NOT NULL DEFAULT '{}',
    "first_seen_ms" BIGINT NOT NULL,
    "last_seen_ms" BIGINT NOT NULL,

    CONSTRAINT "job_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ingest_batch" (
    "batch_id" TEXT NOT NULL,
    "node_id" INTEGER NOT NULL,
    "received_at_ms" BIGINT NOT NULL,
    "gpu_window_count" INTEGER NOT NULL,
    "job_window_count" INTEGER NOT NULL,

    CONSTRAINT "ingest_batch_pkey" PRIMARY KEY ("batch_id")
);

-- CreateTable
CREATE TABLE "gpu_usage_window" (
    "gpu_id" INTEGER NOT NULL,
    "start_ms" BIGINT NOT NULL,
    "end_ms" BIGINT NOT NULL,
    "sample_count" INTEGER NOT NULL,
    "utilization_avg_pct" DOUBLE PRECISION,
    "utilization_max_pct" DOUBLE PRECISION,
    "sm_active_avg_pct" DOUBLE PRECISION,
    "memory_used_avg_mib" DOUBLE PRECISION,
    "memory_used_max_mib" DOUBLE PRECISION,
    "power_avg_w" DOUBLE PRECISION,
    "energy_j" DOUBLE PRECISION,

    CONSTRAINT "gpu_usage_window_pkey" PRIMARY KEY ("gpu_id","start_ms")
);

-- CreateTable
CREATE TABLE "job_usage_window" (
    "gpu_id" INTEGER NOT NULL,
    "job_id" INTEGER NOT NULL,
    "start_ms" BIGINT NOT NULL,
    "end_ms" BIGINT NOT NULL,
    "sample_count" INTEGER NOT NULL,
    "process_count" INTEGER NOT NULL,
    "utilization_avg_pct" DOUBLE PRECISION,
    "memory_used_avg_mib" DOUBLE PRECISION,
    "memory_used_max_mib" DOUBLE PRECISION,

    CONSTRAINT "job_usage_window_pkey" PRIMARY KEY ("gpu_id","job_id","start_ms")
);

-- CreateTable
CREATE TABLE "price_book_entry" (
    "id" SERIAL NOT NULL,
    "gpu_model" TEXT NOT NULL,
    "cost_per_gpu_hour" DOUBLE PRECISION NOT NULL,
    "currency" TEXT NOT NULL DEFAULT 'USD',
    "source" TEXT NOT NULL DEFAULT 'cloud-on-demand',
    "effective_from_ms" BIGINT NOT NULL,
    "effective_to_ms" BIGINT,
    "created_at_ms" BIGINT NOT NULL,

    CONSTRAINT "price_book_entry_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "cluster_name_key" ON "cluster"("name");

-- CreateIndex
CREATE UNIQUE INDEX "node_cluster_id_hostname_key" ON "node"("cluster_id", "hostname");

-- CreateIndex
CREATE UNIQUE INDEX "node_token_token_hash_key" ON "node_token"("token_hash");

-- CreateIndex
CREATE INDEX "node_token_node_id_idx" ON "node_token"("node_id");

-- CreateIndex
CREATE UNIQUE INDEX "gpu_uuid_key" ON "gpu"("uuid");

-- CreateIndex
CREATE INDEX "gpu_node_id_idx" ON "gpu"("node_id");

-- CreateIndex
CREATE UNIQUE INDEX "job_cluster_id_external_id_key" ON "job"("cluster_id", "external_id");

-- CreateIndex
CREATE INDEX "ingest_batch_received_at_ms_idx" ON "ingest_batch"("received_at_ms");

-- CreateIndex
CREATE INDEX "gpu_usage_window_start_ms_idx" ON "gpu_usage_window"("start_ms");

-- CreateIndex
CREATE INDEX "job_usage_window_job_id_start_ms_idx" ON "job_usage_window"("job_id", "start_ms");

-- CreateIndex
CREATE INDEX "job_usage_window_start_ms_idx" ON "job_usage_window"("start_ms");

-- CreateIndex
CREATE INDEX "price_book_entry_gpu_model_effective_from_ms_idx" ON "price_book_entry"("gpu_model", "effective_from_ms");

-- AddForeignKey
ALTER TABLE "node" ADD CONSTRAINT "node_cluster_id_fkey" FOREIGN KEY ("cluster_id") REFERENCES "cluster"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "node_token" ADD CONSTRAINT "node_token_node_id_fkey" FOREIGN KEY ("node_id") REFERENCES "node"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "gpu" ADD CONSTRAINT "gpu_node_id_fkey" FOREIGN KEY ("node_id") REFERENCES "node"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "job" ADD CONSTRAINT "job_cluster_id_fkey" FOREIGN KEY ("cluster_id") REFERENCES "cluster"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ingest_batch" ADD CONSTRAINT "ingest_batch_node_id_fkey" FOREIGN KEY ("node_id") REFERENCES "node"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

