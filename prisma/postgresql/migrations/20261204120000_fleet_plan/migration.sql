-- The fleet plan: one row per optimizer run, its actions stored as recommendations (plan_id)
-- AlterTable
ALTER TABLE "recommendation" ADD COLUMN     "plan_id" INTEGER;

-- CreateTable
CREATE TABLE "fleet_plan" (
    "id" SERIAL NOT NULL,
    "created_at_ms" BIGINT NOT NULL,
    "window_start_ms" BIGINT NOT NULL,
    "window_end_ms" BIGINT NOT NULL,
    "status" TEXT NOT NULL,
    "currency" TEXT,
    "cost_per_week_today" DOUBLE PRECISION NOT NULL,
    "cost_per_week_plan" DOUBLE PRECISION NOT NULL,
    "bound_json" TEXT NOT NULL,
    "cash_saving_per_month" DOUBLE PRECISION NOT NULL,
    "capacity_freed_gpu_hours_per_month" DOUBLE PRECISION NOT NULL,
    "rent_equivalent_per_month" DOUBLE PRECISION,
    "hourly_json" TEXT NOT NULL,
    "models_json" TEXT NOT NULL,
    "workloads_json" TEXT NOT NULL,
    "nodes_json" TEXT NOT NULL,
    "phases_json" TEXT NOT NULL,
    "exclude_json" TEXT NOT NULL,
    "messages_json" TEXT NOT NULL,
    "action_count" INTEGER NOT NULL,
    "seconds" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "fleet_plan_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "fleet_plan_created_at_ms_idx" ON "fleet_plan"("created_at_ms");
