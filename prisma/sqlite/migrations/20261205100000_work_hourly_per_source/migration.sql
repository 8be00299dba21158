-- Hourly work per job, node, unit and source (was per job and unit), so a job
-- whose work arrives two ways (POST /api/v1/work and its collector) is counted
-- once. Existing sums are kept as node 0, source '' (every source together);
-- `npm run admin -- rebuild-rollups` splits the hours whose raw windows are kept.
-- RedefineTable
CREATE TABLE "new_job_work_hourly" (
    "job_id" INTEGER NOT NULL,
    "unit" TEXT NOT NULL,
    "hour_start_ms" BIGINT NOT NULL,
    "node_id" INTEGER NOT NULL,
    "source" TEXT NOT NULL,
    "count" REAL NOT NULL,

    PRIMARY KEY ("job_id", "unit", "hour_start_ms", "node_id", "source")
);
INSERT INTO "new_job_work_hourly" ("job_id", "unit", "hour_start_ms", "node_id", "source", "count")
SELECT "job_id", "unit", "hour_start_ms", 0, '', "count" FROM "job_work_hourly";
DROP TABLE "job_work_hourly";
ALTER TABLE "new_job_work_hourly" RENAME TO "job_work_hourly";

-- CreateIndex
CREATE INDEX "job_work_hourly_hour_start_ms_idx" ON "job_work_hourly"("hour_start_ms");
