ALTER TABLE "app"."strata_schema_history" ADD COLUMN IF NOT EXISTS "statement_checksums" TEXT;
ALTER TABLE "app"."strata_schema_history" ADD COLUMN IF NOT EXISTS "mark" VARCHAR(20);
