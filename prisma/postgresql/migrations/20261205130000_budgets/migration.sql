-- Budgets per scope and period, and the record of each month's chargeback e-mail.
-- CreateTable
CREATE TABLE "budget" (
    "id" SERIAL NOT NULL,
    "scope_kind" TEXT NOT NULL,
    "scope_value" TEXT NOT NULL,
    "period" TEXT NOT NULL,
    "amount" DOUBLE PRECISION NOT NULL,
    "currency" TEXT NOT NULL,
    "created_at_ms" BIGINT NOT NULL,
    "updated_at_ms" BIGINT NOT NULL,

    CONSTRAINT "budget_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "chargeback_send" (
    "month" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "recipients" TEXT NOT NULL,
    "started_at_ms" BIGINT NOT NULL,
    "sent_at_ms" BIGINT,
    "error" TEXT,

    CONSTRAINT "chargeback_send_pkey" PRIMARY KEY ("month")
);

-- CreateIndex
CREATE UNIQUE INDEX "budget_scope_kind_scope_value_period_key" ON "budget"("scope_kind", "scope_value", "period");
