-- Statements PostgreSQL refuses inside a transaction block, and look-alikes.
CREATE INDEX CONCURRENTLY idx_users_email ON users (email);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS idx_users_login ON users (lower(login));
DROP INDEX CONCURRENTLY IF EXISTS idx_old;
create /* comment */ index
    concurrently idx_lower ON users (lower(name));
CREATE INDEX idx_plain ON users (created_at);
REINDEX INDEX CONCURRENTLY idx_users_email;
REINDEX (VERBOSE) SCHEMA public;
REINDEX TABLE users;
VACUUM (VERBOSE, ANALYZE) users;
CLUSTER;
CLUSTER users USING idx_plain;
CREATE DATABASE reporting TEMPLATE template0;
ALTER DATABASE reporting SET TABLESPACE fast;
ALTER DATABASE reporting SET work_mem = '64MB';
DROP DATABASE IF EXISTS scratch;
CREATE TABLESPACE fast LOCATION '/mnt/fast';
ALTER SYSTEM SET max_connections = 200;
DISCARD ALL;
DISCARD TEMP;
CREATE SUBSCRIPTION sub CONNECTION 'host=primary dbname=app' PUBLICATION pub;
ALTER SUBSCRIPTION sub REFRESH PUBLICATION;
ALTER SUBSCRIPTION sub DISABLE;
DROP SUBSCRIPTION sub;
ALTER TABLE measurements DETACH PARTITION measurements_2020 CONCURRENTLY;
ALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh' BEFORE 'sad';
CALL app.archive(30);
SELECT 'CREATE INDEX CONCURRENTLY x ON y (z)';
