// Command library shows Strata used as a library: a service that brings its
// database up to date at start-up, from SQL files embedded in its binary.
//
//	go run ./examples/library                      # SQLite: ./app.db
//	go run ./examples/library -db /tmp/app.db
//	go run ./examples/library -postgres 'postgres://postgres@127.0.0.1:5432/app?sslmode=disable'
//
// One call to strata.Migrate does the work. It never prints: progress
// arrives as events, the outcome as a typed *engine.Result or a typed
// error, and the program decides what to show.
package main

import (
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/stratadb/strata"
	"github.com/stratadb/strata/engine"
)

// The migrations ship inside the binary: no files to deploy next to it.
//
//go:embed migrations/*.sql
var embedded embed.FS

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		report(os.Stderr, err)
		os.Exit(1)
	}
	// ... a real service would start serving here.
}

// run parses the flags, migrates the database and prints what was applied.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	migrations, err := fs.Sub(embedded, "migrations")
	if err != nil {
		return err
	}
	return migrate(ctx, args, stdout, migrations)
}

// migrate is run with the migration files as a parameter, so that tests can
// hand it other files.
func migrate(ctx context.Context, args []string, stdout io.Writer, migrations fs.FS) error {
	flags := flag.NewFlagSet("library", flag.ContinueOnError)
	dbPath := flags.String("db", "app.db", "SQLite database file")
	pgURL := flags.String("postgres", "", "PostgreSQL URL; when set, used instead of -db")
	if err := flags.Parse(args); err != nil {
		return err
	}
	url := "sqlite:" + *dbPath // the URL's scheme picks the database
	if *pgURL != "" {
		url = *pgURL
	}

	// Migrate opens the database, collects the files, plans (validating the
	// history first) and applies what is pending, each migration in its own
	// transaction, then closes the database. Nothing pending is success.
	log := slog.Default()
	res, err := strata.Migrate(ctx, url, migrations,
		strata.WithLocation("migrations"), // messages show migrations/V2__create_notes.sql
		// ${app_name} and ${default_role} in the files; ${strata:...}
		// built-ins need no values.
		strata.WithPlaceholders(map[string]string{"app_name": "library-example", "default_role": "member"}),
		strata.WithLockWait(time.Minute), // other replicas starting at once wait here
		strata.WithObserver(func(e engine.Event) { logEvent(log, e) }),
	)
	if err != nil {
		return err
	}
	for _, t := range res.Targets {
		if len(t.Applied) == 0 {
			fmt.Fprintf(stdout, "%s: up to date at version %s\n", t.Target, t.Version)
			continue
		}
		fmt.Fprintf(stdout, "%s: applied %d, now at version %s\n", t.Target, len(t.Applied), t.Version)
		for _, a := range t.Applied {
			name := "V" + a.Version
			if a.Version == "" {
				name = "R" // repeatables have no version
			}
			fmt.Fprintf(stdout, "  %-3s %s\n", name, a.Description)
		}
	}
	return nil
}

// logEvent logs the engine's progress. The observer runs on the goroutine
// doing the work, so it must be quick.
func logEvent(log *slog.Logger, e engine.Event) {
	switch e := e.(type) {
	case engine.TargetStarted:
		log.Info("migrating", "target", e.Target, "pending", e.Pending)
	case engine.MigrationApplied:
		log.Info("applied", "script", e.Migration.Script, "duration", e.Duration)
	case engine.MigrationFailed:
		log.Error("failed", "script", e.Migration.Script, "err", e.Err)
	case engine.TargetFinished: // also after a failure, which main reports
		log.Info("finished", "target", e.Target, "applied", e.Applied, "version", e.Version, "duration", e.Duration)
	}
}

// report explains a failure, branching on the engine's typed errors.
func report(w io.Writer, err error) {
	var me *engine.MigrationError
	var ve *engine.ValidationError
	switch {
	case errors.As(err, &me):
		// Line and column are in the file as written (before placeholders
		// were replaced); 0 when the database did not say.
		where := me.Path
		if me.Line > 0 {
			where = fmt.Sprintf("%s:%d:%d", me.Path, me.Line, me.Column)
		}
		fmt.Fprintf(w, "%s: migration failed: %v\n", where, me.Err)
		if me.Statement != "" {
			fmt.Fprintf(w, "statement:\n%s\n", me.Statement)
		}
		if me.RolledBack {
			fmt.Fprintln(w, "its changes were rolled back; fix the file and start again")
		}
	case errors.Is(err, engine.ErrLocked):
		fmt.Fprintln(w, "another instance is migrating this database and did not finish in time:", err)
	case errors.As(err, &ve):
		// Checksum drift, failed or missing migrations: nothing was applied.
		fmt.Fprintln(w, "the database does not match the migrations:")
		for _, f := range ve.Findings {
			fmt.Fprintf(w, "  %s: %s\n", f.Code, strings.ReplaceAll(f.Message, "\n", "\n    "))
		}
	default:
		fmt.Fprintln(w, "error:", err)
	}
}
