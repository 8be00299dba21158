-- CreateTable
CREATE TABLE "job_usage_daily" (
    "job_id" INTEGER NOT NULL,
    "gpu_id" INTEGER NOT NULL,
    "day_start_ms" BIGINT NOT NULL,
    "reported_ms" BIGINT NOT NULL,
    "share_ms" DOUBLE PRECISION NOT NULL,
    "active_ms" DOUBLE PRECISION NOT NULL,
    "sole_ms" DOUBLE PRECISION NOT NULL,
    "utilization_split_ms" DOUBLE PRECISION NOT NULL,
    "memory_split_ms" DOUBLE PRECISION NOT NULL,
    "even_split_ms" DOUBLE PRECISION NOT NULL,
    "memory_mib_ms" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "job_usage_daily_pkey" PRIMARY KEY ("job_id","gpu_id","day_start_ms")
);

-- CreateIndex
CREATE INDEX "job_usage_daily_day_start_ms_idx" ON "job_usage_daily"("day_start_ms");


-- Fill the daily sums from the hourly rollups already stored.
INSERT INTO "job_usage_daily" ("job_id", "gpu_id", "day_start_ms", "reported_ms", "share_ms", "active_ms", "sole_ms", "utilization_split_ms", "memory_split_ms", "even_split_ms", "memory_mib_ms")
SELECT "job_id", "gpu_id", ("hour_start_ms" / 86400000) * 86400000, SUM("reported_ms"), SUM("share_ms"), SUM("active_ms"), SUM("sole_ms"),
       SUM("utilization_split_ms"), SUM("memory_split_ms"), SUM("even_split_ms"), SUM("memory_mib_ms")
  FROM "job_usage_hourly"
 GROUP BY "job_id", "gpu_id", ("hour_start_ms" / 86400000) * 86400000;
