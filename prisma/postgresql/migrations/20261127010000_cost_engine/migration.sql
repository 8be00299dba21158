-- AlterTable
ALTER TABLE "price_book_entry" ADD COLUMN     "node_label_key" TEXT,
ADD COLUMN     "node_label_value" TEXT,
ADD COLUMN     "note" TEXT,
ADD COLUMN     "tco_inputs_json" TEXT;

-- CreateTable
CREATE TABLE "gpu_usage_hourly" (
    "gpu_id" INTEGER NOT NULL,
    "hour_start_ms" BIGINT NOT NULL,
    "reported_ms" BIGINT NOT NULL,
    "utilization_measured_ms" BIGINT NOT NULL,
    "utilization_pct_ms" DOUBLE PRECISION NOT NULL,
    "memory_measured_ms" BIGINT NOT NULL,
    "memory_mib_ms" DOUBLE PRECISION NOT NULL,
    "energy_j" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "gpu_usage_hourly_pkey" PRIMARY KEY ("gpu_id","hour_start_ms")
);

-- CreateTable
CREATE TABLE "job_usage_hourly" (
    "job_id" INTEGER NOT NULL,
    "gpu_id" INTEGER NOT NULL,
    "hour_start_ms" BIGINT NOT NULL,
    "reported_ms" BIGINT NOT NULL,
    "share_ms" DOUBLE PRECISION NOT NULL,
    "active_ms" DOUBLE PRECISION NOT NULL,
    "sole_ms" DOUBLE PRECISION NOT NULL,
    "utilization_split_ms" DOUBLE PRECISION NOT NULL,
    "memory_split_ms" DOUBLE PRECISION NOT NULL,
    "even_split_ms" DOUBLE PRECISION NOT NULL,
    "memory_mib_ms" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "job_usage_hourly_pkey" PRIMARY KEY ("job_id","gpu_id","hour_start_ms")
);

-- CreateIndex
CREATE INDEX "gpu_usage_hourly_hour_start_ms_idx" ON "gpu_usage_hourly"("hour_start_ms");

-- CreateIndex
CREATE INDEX "job_usage_hourly_hour_start_ms_idx" ON "job_usage_hourly"("hour_start_ms");

-- CreateIndex
CREATE INDEX "job_usage_hourly_gpu_id_hour_start_ms_idx" ON "job_usage_hourly"("gpu_id", "hour_start_ms");


-- Until this migration a GPU's first/last seen was the time its batches arrived;
-- cost counts a GPU over the span of its windows, so take them from the windows.
UPDATE "gpu" SET
    "first_seen_ms" = COALESCE((SELECT MIN(w."start_ms") FROM "gpu_usage_window" w WHERE w."gpu_id" = "gpu"."id"), "first_seen_ms"),
    "last_seen_ms" = COALESCE((SELECT MAX(w."end_ms") FROM "gpu_usage_window" w WHERE w."gpu_id" = "gpu"."id"), "last_seen_ms");
