-- Work counters: the work jobs did per window (tokens, requests, samples), its
-- hourly sums, and the cumulative values jobs report through POST /api/v1/work.
-- CreateTable
CREATE TABLE "job_work_window" (
    "job_id" INTEGER NOT NULL,
    "node_id" INTEGER NOT NULL,
    "unit" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "start_ms" BIGINT NOT NULL,
    "end_ms" BIGINT NOT NULL,
    "count" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "job_work_window_pkey" PRIMARY KEY ("job_id","node_id","unit","source","start_ms")
);

-- CreateTable
CREATE TABLE "job_work_hourly" (
    "job_id" INTEGER NOT NULL,
    "unit" TEXT NOT NULL,
    "hour_start_ms" BIGINT NOT NULL,
    "count" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "job_work_hourly_pkey" PRIMARY KEY ("job_id","unit","hour_start_ms")
);

-- CreateTable
CREATE TABLE "work_counter_report" (
    "node_id" INTEGER NOT NULL,
    "job_id" INTEGER NOT NULL,
    "unit" TEXT NOT NULL,
    "time_ms" BIGINT NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,
    "report_id" TEXT,
    "received_at_ms" BIGINT NOT NULL,

    CONSTRAINT "work_counter_report_pkey" PRIMARY KEY ("node_id","job_id","unit","time_ms")
);

-- CreateIndex
CREATE INDEX "job_work_window_start_ms_idx" ON "job_work_window"("start_ms");

-- CreateIndex
CREATE INDEX "job_work_hourly_hour_start_ms_idx" ON "job_work_hourly"("hour_start_ms");

-- CreateIndex
CREATE UNIQUE INDEX "work_counter_report_node_id_report_id_key" ON "work_counter_report"("node_id", "report_id");
