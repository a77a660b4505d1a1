package strata

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/engine/mysql"
	"github.com/stratadb/strata/engine/postgres"
	"github.com/stratadb/strata/engine/sqlite"
	"github.com/stratadb/strata/engine/sqlserver"
	"github.com/stratadb/strata/internal/redact"
	"github.com/stratadb/strata/locations"
	"github.com/stratadb/strata/placeholders"
)

// Migrate applies the migrations of fsys that the database at url has not
// applied yet, and returns what it applied on each target.
//
// url names the database by its scheme:
//
//	sqlite:app.db, sqlite:///var/lib/app.db    SQLite (a relative path is relative to the working directory)
//	file:app.db                                 SQLite, the same as sqlite:
//	postgres://user:pass@host:5432/db           PostgreSQL (also postgresql://)
//	sqlserver://user:pass@host:1433?database=db SQL Server
//	mysql://user:pass@host:3306/db              MySQL or MariaDB (also mariadb://)
//
// Files are collected from the root of fsys and its subdirectories; a .sql
// file whose name does not follow Flyway's naming is an error
// (*locations.NamingError), not skipped. Placeholder replacement is on with
// the ${name} syntax: a file using a placeholder needs WithPlaceholders.
// Errors are those of package engine, returned as they are so that
// errors.As finds their types; the URL's password is masked in every
// message.
func Migrate(ctx context.Context, url string, fsys fs.FS, opts ...Option) (*engine.Result, error) {
	var res *engine.Result
	err := run(ctx, url, fsys, opts, false, func(m *engine.Migrator) (err error) {
		res, err = m.Migrate(ctx)
		return err
	})
	return res, err
}

// Info reads the state of every migration of fsys on the database at url,
// like the info command. It takes no lock and creates nothing: a SQLite file
// that does not exist reads as an empty database. url, fsys and opts are as
// for Migrate.
func Info(ctx context.Context, url string, fsys fs.FS, opts ...Option) (*engine.Info, error) {
	var info *engine.Info
	err := run(ctx, url, fsys, opts, true, func(m *engine.Migrator) (err error) {
		info, err = m.Info(ctx)
		return err
	})
	return info, err
}

// Validate compares the migrations of fsys with the history of the database
// at url, like the validate command: checksum drift, missing files, failed
// entries and pending migrations are returned as a *engine.ValidationError.
// It changes nothing. url, fsys and opts are as for Migrate.
func Validate(ctx context.Context, url string, fsys fs.FS, opts ...Option) (*engine.ValidateResult, error) {
	var res *engine.ValidateResult
	err := run(ctx, url, fsys, opts, true, func(m *engine.Migrator) (err error) {
		res, err = m.Validate(ctx)
		return err
	})
	return res, err
}

// Option changes what Migrate, Info and Validate do.
type Option func(*settings)

type settings struct {
	location     string
	lockTimeout  time.Duration
	placeholders map[string]string
	logger       *slog.Logger
	engine       []engine.Option
}

// WithLocation names fsys in messages and errors: with
// WithLocation("migrations") a file shows as migrations/V1__init.sql, and
// without it as V1__init.sql. The name is not stored in the database.
func WithLocation(name string) Option {
	return func(s *settings) { s.location = name }
}

// WithPlaceholders sets the values of the ${name} placeholders the files
// use. Names are checked when Migrate starts.
func WithPlaceholders(values map[string]string) Option {
	return func(s *settings) { s.placeholders = values }
}

// WithLockWait sets how long to wait for another process migrating the
// same database (another replica starting at the same time) before giving
// up with engine.ErrLocked; on SQLite it is also how long a statement waits
// for the database's write lock. Default 30 seconds.
func WithLockWait(d time.Duration) Option {
	return func(s *settings) {
		s.lockTimeout = d
		s.engine = append(s.engine, engine.WithLockWait(d))
	}
}

// WithSchemas sets the schemas to manage; the first is the default schema
// of the migrations and holds the history table (default: the connection's
// current schema). Missing schemas are created.
func WithSchemas(names ...string) Option {
	return WithEngineOptions(engine.WithSchemas(names...))
}

// WithTenants applies the migrations to each of the named schemas, each
// with its own history (PostgreSQL and SQL Server).
func WithTenants(names ...string) Option {
	return WithEngineOptions(engine.WithTenants(names...))
}

// WithObserver receives the engine's progress as engine.Event values
// (engine.MigrationApplied, engine.TargetFinished, ...). It is called on
// the goroutine doing the work and must be quick.
func WithObserver(f func(engine.Event)) Option {
	return WithEngineOptions(engine.WithObserver(f))
}

// WithLogger logs the engine's debug output, and skipped files (such as an
// undo migration without its versioned migration) as warnings. Default:
// nothing is logged.
func WithLogger(l *slog.Logger) Option {
	return func(s *settings) {
		s.logger = l
		s.engine = append(s.engine, engine.WithLogger(l))
	}
}

// WithEngineOptions passes options to engine.New, for what the options of
// this package do not cover: engine.WithHistoryTable,
// engine.WithOutOfOrder, engine.WithTarget, engine.WithBaselineOnMigrate,
// ... Each setting is given once: two options that set the same thing
// (this package's WithPlaceholders and engine.WithPlaceholders, say) are
// an error. engine.WithSecrets replaces the masking of the URL's password:
// list the password among its values.
func WithEngineOptions(opts ...engine.Option) Option {
	return func(s *settings) { s.engine = append(s.engine, opts...) }
}

// schemes are the URL schemes Migrate knows, in the order error messages
// list them.
var schemes = []string{"sqlite:", "file:", "postgres://", "postgresql://", "sqlserver://", "mysql://", "mariadb://"}

// schemeSyntax is RFC 3986's: what comes before the first ':' when it is
// one. A libpq key=value string has none, and its text must not be shown.
var schemeSyntax = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*$`)

// run opens the database at url, builds a Migrator for the files of fsys
// and calls do with it. readOnly opens a SQLite database without creating
// it.
func run(ctx context.Context, url string, fsys fs.FS, opts []Option, readOnly bool, do func(*engine.Migrator) error) error {
	var s settings
	for _, o := range opts {
		o(&s)
	}
	if fsys == nil {
		return fmt.Errorf("strata: no migration files: fsys is nil")
	}
	set, err := locations.Collect([]locations.Root{{Name: s.location, FS: fsys}}, locations.Options{ValidateNaming: true})
	if err != nil {
		return err
	}
	if s.logger != nil {
		for _, w := range set.Warnings {
			s.logger.Warn(w.Message, "path", w.Path)
		}
	}
	if err := engine.CheckLimits(set); err != nil {
		return err // before a SQLite file is created
	}
	var engineOpts []engine.Option
	if !slices.ContainsFunc(s.engine, func(o engine.Option) bool { return o.Name() == "WithSecrets" }) {
		engineOpts = append(engineOpts, engine.WithSecrets(redact.Secrets(url)...))
	}
	if s.placeholders != nil {
		values, err := placeholders.NewValues(s.placeholders)
		if err != nil {
			return fmt.Errorf("strata: %w", err)
		}
		engineOpts = append(engineOpts, engine.WithPlaceholders(placeholders.Syntax{}, values))
	}
	d, db, err := open(ctx, url, s.lockTimeout, readOnly)
	if err != nil {
		return err
	}
	defer db.Close()
	m, err := engine.New(d, db, set, append(engineOpts, s.engine...)...)
	if err != nil {
		return err
	}
	return do(m)
}

// open opens the database at url and checks that it answers.
func open(ctx context.Context, url string, lockTimeout time.Duration, readOnly bool) (engine.Dialect, *sql.DB, error) {
	scheme, _, _ := strings.Cut(url, ":")
	var (
		d     engine.Dialect
		db    *sql.DB
		err   error
		where = redact.URL(url)
	)
	switch strings.ToLower(scheme) {
	case "sqlite", "file":
		var path string
		path, err = sqlite.PathFromURL("sqlite:"+url[len(scheme)+1:], "")
		if err != nil {
			return nil, nil, fmt.Errorf("strata: %w", err)
		}
		openSQLite := sqlite.Open
		if readOnly {
			openSQLite = sqlite.OpenReadOnly
		}
		d, where = sqlite.New(), "sqlite database "+path
		db, err = openSQLite(path, lockTimeout)
	case "postgres", "postgresql":
		d = postgres.New()
		db, err = postgres.Open(ctx, url, postgres.Options{})
	case "sqlserver":
		d = sqlserver.New()
		db, err = sqlserver.Open(ctx, url, sqlserver.Options{})
	case "mysql", "mariadb":
		d = mysql.New()
		db, err = mysql.Open(ctx, url, mysql.Options{})
	default:
		known := strings.Join(schemes[:len(schemes)-1], ", ") + " or " + schemes[len(schemes)-1]
		if scheme == url || !schemeSyntax.MatchString(scheme) {
			return nil, nil, fmt.Errorf("strata: database url has no scheme: want %s", known)
		}
		return nil, nil, fmt.Errorf("strata: database url scheme %q is not supported: want %s", scheme, known)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("strata: %w", err) // the drivers' Open mask the password
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("strata: connect to %s: %w", where, redact.New(redact.Secrets(url)...).Error(err))
	}
	return d, db, nil
}
