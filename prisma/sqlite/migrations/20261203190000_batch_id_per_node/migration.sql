-- Batch ids are scoped to the node that sent them: one node reusing another node's id
-- is a new batch, not a duplicate.
-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_ingest_batch" (
    "batch_id" TEXT NOT NULL,
    "node_id" INTEGER NOT NULL,
    "received_at_ms" BIGINT NOT NULL,
    "gpu_window_count" INTEGER NOT NULL,
    "job_window_count" INTEGER NOT NULL,

    PRIMARY KEY ("node_id", "batch_id"),
    CONSTRAINT "ingest_batch_node_id_fkey" FOREIGN KEY ("node_id") REFERENCES "node" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_ingest_batch" ("batch_id", "gpu_window_count", "job_window_count", "node_id", "received_at_ms") SELECT "batch_id", "gpu_window_count", "job_window_count", "node_id", "received_at_ms" FROM "ingest_batch";
DROP TABLE "ingest_batch";
ALTER TABLE "new_ingest_batch" RENAME TO "ingest_batch";
CREATE INDEX "ingest_batch_received_at_ms_idx" ON "ingest_batch"("received_at_ms");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

