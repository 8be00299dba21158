-- Hourly work per job, node, unit and source (was per job and unit), so a job
-- whose work arrives two ways (POST /api/v1/work and its collector) is counted
-- once. Existing sums are kept as node 0, source '' (every source together);
-- `npm run admin -- rebuild-rollups` splits the hours whose raw windows are kept.
-- AlterTable
ALTER TABLE "job_work_hourly" DROP CONSTRAINT "job_work_hourly_pkey",
ADD COLUMN     "node_id" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "source" TEXT NOT NULL DEFAULT '';
ALTER TABLE "job_work_hourly" ALTER COLUMN "node_id" DROP DEFAULT,
ALTER COLUMN "source" DROP DEFAULT,
ADD CONSTRAINT "job_work_hourly_pkey" PRIMARY KEY ("job_id", "unit", "hour_start_ms", "node_id", "source");
