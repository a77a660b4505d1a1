# a hash comment; with a semicolon
-- a dash comment; too
--not a comment: this is SQL
;
SELECT 1 - -1, 2--1, 3 -- the rest
/* block ; comment */, 4;
/* only a comment */;
SELECT /*+ SET_VAR(max_execution_time = 10) */ 'x' AS `#`, "y" AS `--`;
