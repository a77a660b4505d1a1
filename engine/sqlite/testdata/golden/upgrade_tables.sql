ALTER TABLE "strata_schema_history" ADD COLUMN "statement_checksums" TEXT;
ALTER TABLE "strata_schema_history" ADD COLUMN "mark" VARCHAR(20);
