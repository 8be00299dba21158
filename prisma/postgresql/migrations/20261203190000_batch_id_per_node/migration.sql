-- Batch ids are scoped to the node that sent them: one node reusing another node's id
-- is a new batch, not a duplicate.
-- AlterTable
ALTER TABLE "ingest_batch" DROP CONSTRAINT "ingest_batch_pkey",
ADD CONSTRAINT "ingest_batch_pkey" PRIMARY KEY ("node_id", "batch_id");

