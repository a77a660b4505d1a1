CREATE TABLE IF NOT EXISTS "strata_schema_history_meta" (
    "name"  VARCHAR(100) NOT NULL PRIMARY KEY,
    "value" VARCHAR(1000) NOT NULL
);
CREATE TABLE IF NOT EXISTS "strata_schema_history" (
    "installed_rank"   INTEGER NOT NULL PRIMARY KEY,
    "version"          VARCHAR(50),
    "description"      VARCHAR(200) NOT NULL,
    "type"             VARCHAR(20) NOT NULL,
    "script"           VARCHAR(1000) NOT NULL,
    "checksum"         INT,
    "installed_by"     VARCHAR(100) NOT NULL,
    "installed_on"     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    "execution_time"   INT NOT NULL,
    "success"          BOOLEAN NOT NULL,
    "tenant"           VARCHAR(128) NOT NULL,
    "version_key"      TEXT,
    "error"            TEXT,
    "failed_statement" INT,
    "progress"         INT NOT NULL DEFAULT 0,
    "statement_checksums" TEXT,
    "mark"             VARCHAR(20)
);
CREATE INDEX IF NOT EXISTS "strata_schema_history_s_idx" ON "strata_schema_history" ("success");
CREATE INDEX IF NOT EXISTS "strata_schema_history_tv_idx" ON "strata_schema_history" ("tenant", "version_key");
CREATE TABLE IF NOT EXISTS "strata_schema_history_state" (
    "tenant"      VARCHAR(128) NOT NULL PRIMARY KEY,
    "version"     VARCHAR(50),
    "version_key" TEXT,
    "fingerprint" VARCHAR(16),
    "applied"     INT NOT NULL DEFAULT 0,
    "failed"      BOOLEAN NOT NULL DEFAULT 0,
    "error"       TEXT,
    "generation"  INT NOT NULL DEFAULT 0,
    "updated_on"  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
);
