// Package mysql is Strata's MySQL and MariaDB dialect, on
// github.com/go-sql-driver/mysql; it is the only package that imports it.
//
// Scripts are split by Strata's own splitter (split.go), which reads MySQL's
// quoting (backticks, backslash escapes), comments (#, "-- ", /* */),
// conditional comments (/*! */, which it keeps) and the mysql client's
// DELIMITER command, and marks the statements that commit implicitly (DDL).
// A file of DML runs in one transaction with its history row; a file with
// DDL runs statement by statement, each DDL statement sent together with
// the update of its progress (Dialect.ExecWithProgress), so a re-run
// resumes after the last statement the server completed and never repeats
// one. Locks are GET_LOCK named locks (and Flyway's "Flyway-<hash>" lock);
// tenants are databases, switched with USE; Strata's tables are always
// qualified with the URL's database.
package mysql
