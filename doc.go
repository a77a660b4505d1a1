// Package strata brings a database up to date in one call, for
// applications that migrate at start-up:
//
//	//go:embed migrations/*.sql
//	var files embed.FS
//
//	migrations, _ := fs.Sub(files, "migrations")
//	res, err := strata.Migrate(ctx, "postgres://app@db/app", migrations)
//
// Migrate picks the database from the URL's scheme (sqlite:, file:,
// postgres://, postgresql://, sqlserver://, mysql://, mariadb://), opens it,
// collects the files of
// fsys (Flyway's names: V1__init.sql, R__views.sql, ...), applies what is
// pending, each migration in its own transaction, and closes the database.
// Nothing pending is success. Info and Validate do the same for reading the
// state and checking the history, and change nothing.
//
// The outcome is the engine's: a *engine.Result, and typed errors to branch
// on with errors.As and errors.Is (*engine.MigrationError,
// *engine.ValidationError, engine.ErrLocked, *locations.NamingError, ...).
// The package never prints; progress is reported to WithObserver or
// WithLogger.
//
// Importing strata links the three database drivers (pgx, go-mssqldb and
// modernc.org/sqlite). A program that needs one driver only, an *sql.DB it
// opened itself, or the plan before applying it uses package engine with a
// dialect (engine/postgres, engine/sqlite, engine/sqlserver) instead:
// Migrate is a short way to write locations.Collect, engine.New and
// Migrator.Migrate.
package strata
