CREATE TABLE t (id INTEGER);
INSERT INTO t VALUES (1);
-- the last statement has no semicolon
SELECT count(*)
FROM t /* trailing comment */
-- and a trailing line comment
