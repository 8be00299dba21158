-- CreateTable
CREATE TABLE "recommendation" (
    "id" SERIAL NOT NULL,
    "kind" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'open',
    "subject" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "created_at_ms" BIGINT NOT NULL,
    "window_start_ms" BIGINT NOT NULL,
    "window_end_ms" BIGINT NOT NULL,
    "inputs_json" TEXT NOT NULL,
    "result_json" TEXT NOT NULL,
    "projected_monthly_saving" DOUBLE PRECISION NOT NULL,
    "currency" TEXT,
    "bound_json" TEXT,
    "baseline_json" TEXT,
    "solve_seconds" DOUBLE PRECISION NOT NULL,
    "state_changed_at_ms" BIGINT NOT NULL,
    "applied_at_ms" BIGINT,
    "realized_json" TEXT,

    CONSTRAINT "recommendation_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "recommendation_state_created_at_ms_idx" ON "recommendation"("state", "created_at_ms");

-- CreateIndex
CREATE INDEX "recommendation_kind_created_at_ms_idx" ON "recommendation"("kind", "created_at_ms");

-- CreateIndex
CREATE INDEX "recommendation_subject_idx" ON "recommendation"("subject");

