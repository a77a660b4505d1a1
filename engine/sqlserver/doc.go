// Package sqlserver is Strata's SQL Server dialect, on
// github.com/microsoft/go-mssqldb; it is the only package that imports it.
//
// Scripts are split into batches at GO lines (Strata's own splitter: T-SQL
// quoting, comments, GO with a repeat count and a trailing comment, exact
// line offsets). Each batch of a migration runs in order inside one
// transaction with XACT_ABORT ON, together with the history and state
// rows; batches that SQL Server refuses inside a transaction (CREATE
// DATABASE, BACKUP, full-text catalogs, ...) make the file run batch by
// batch outside one. Strata's tables are always written as
// [db].[schema].[table] (a file's own USE cannot redirect them). Locks are
// sp_getapplock with a session owner, whose return code is checked.
//
// SQL Server cannot switch a session's default schema, so unqualified names
// in a tenant's migration go to the user's default schema: tenant
// migrations must qualify names with ${strata:schema}.
package sqlserver
