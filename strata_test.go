package strata_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stratadb/strata"
	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/engine/postgres"
	"github.com/stratadb/strata/engine/sqlite"
	"github.com/stratadb/strata/internal/mysqltest"
	"github.com/stratadb/strata/internal/pgtest"
	"github.com/stratadb/strata/locations"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// files is a small project: two versioned migrations, one with a
// placeholder, and a repeatable view.
func files() fstest.MapFS {
	return fstest.MapFS{
		"V1__create_users.sql":     {Data: []byte("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n")},
		"sub/V2__add_owner.sql":    {Data: []byte("INSERT INTO users (id, email) VALUES (1, '${owner}');\n")},
		"R__user_count.sql":        {Data: []byte("DROP VIEW IF EXISTS user_count;\nCREATE VIEW user_count AS SELECT count(*) AS n FROM users;\n")},
		"README.md":                {Data: []byte("not a migration\n")},
		"sub/.hidden/V9__skip.sql": {Data: []byte("not read: hidden directory\n")},
	}
}

func TestMigrateSQLite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "app.db")
	var events []string
	opts := []strata.Option{
		strata.WithLocation("db"),
		strata.WithPlaceholders(map[string]string{"owner": "owner@example.com"}),
		strata.WithLockWait(time.Minute),
		strata.WithObserver(func(e engine.Event) {
			if a, ok := e.(engine.MigrationApplied); ok {
				events = append(events, a.Migration.Script)
			}
		}),
	}

	res, err := strata.Migrate(ctx, "sqlite:"+path, files(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Targets) != 1 || res.Applied() != 3 || res.Targets[0].Version != "2" {
		t.Fatalf("got %+v, want one target with 3 applied, at version 2", res.Targets)
	}
	if got, want := strings.Join(events, " "), "V1__create_users.sql sub/V2__add_owner.sql R__user_count.sql"; got != want {
		t.Errorf("observer saw %q, want %q", got, want)
	}

	// Nothing pending is success.
	res, err = strata.Migrate(ctx, "sqlite:"+path, files(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied() != 0 || res.Targets[0].Version != "2" {
		t.Errorf("second run: got %+v, want nothing applied, at version 2", res.Targets)
	}

	db, err := sqlite.Open(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var email string
	var n int
	if err := db.QueryRow("SELECT u.email, c.n FROM users u, user_count c").Scan(&email, &n); err != nil {
		t.Fatal(err)
	}
	if email != "owner@example.com" || n != 1 {
		t.Errorf("got email %q and count %d, want owner@example.com and 1", email, n)
	}
}

func TestSQLiteURLs(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	fsys := fstest.MapFS{"V1__t.sql": {Data: []byte("CREATE TABLE t (id INTEGER);\n")}}
	tests := []struct {
		url  string
		path string // the file created, relative to dir
	}{
		{"sqlite:rel.db", "rel.db"},
		{"sqlite://rel2.db", "rel2.db"},
		{"sqlite://" + filepath.Join(dir, "abs.db"), "abs.db"},
		{"SQLite:upper.db", "upper.db"},
		{"file:file.db", "file.db"},
		{"file://" + filepath.Join(dir, "fileabs.db") + "?mode=rwc", "fileabs.db"},
		{"sqlite::memory:", ""},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			res, err := strata.Migrate(context.Background(), tt.url, fsys)
			if err != nil {
				t.Fatal(err)
			}
			if res.Applied() != 1 {
				t.Errorf("applied %d, want 1", res.Applied())
			}
			if tt.path == "" {
				return
			}
			if _, err := os.Stat(filepath.Join(dir, tt.path)); err != nil {
				t.Errorf("database file: %v", err)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "app.db")

	t.Run("broken migration", func(t *testing.T) {
		fsys := fstest.MapFS{
			"V1__ok.sql":     {Data: []byte("CREATE TABLE t (id INTEGER);\n")},
			"V2__broken.sql": {Data: []byte("INSERT INTO t VALUES (1);\n\nINSERT INTO nope VALUES (2);\n")},
		}
		res, err := strata.Migrate(ctx, "sqlite:"+path, fsys, strata.WithLocation("db"))
		var me *engine.MigrationError
		if !errors.As(err, &me) {
			t.Fatalf("got %T %v, want a *engine.MigrationError", err, err)
		}
		if me.Path != "db/V2__broken.sql" || me.Line != 3 || !me.RolledBack {
			t.Errorf("got %s line %d, rolled back %v; want db/V2__broken.sql line 3, rolled back", me.Path, me.Line, me.RolledBack)
		}
		if res == nil || res.Applied() != 1 {
			t.Errorf("got result %+v, want V1 applied", res)
		}
	})

	t.Run("checksum drift", func(t *testing.T) {
		path := filepath.Join(dir, "drift.db")
		fsys := fstest.MapFS{"V1__t.sql": {Data: []byte("CREATE TABLE t (id INTEGER);\n")}}
		if _, err := strata.Migrate(ctx, "sqlite:"+path, fsys); err != nil {
			t.Fatal(err)
		}
		fsys["V1__t.sql"].Data = append(fsys["V1__t.sql"].Data, "-- edited\n"...)
		_, err := strata.Migrate(ctx, "sqlite:"+path, fsys)
		var ve *engine.ValidationError
		if !errors.As(err, &ve) || !errors.Is(err, engine.ErrChecksumMismatch) {
			t.Fatalf("got %T %v, want a *engine.ValidationError with a checksum mismatch", err, err)
		}
	})

	t.Run("undefined placeholder", func(t *testing.T) {
		fsys := fstest.MapFS{"V1__t.sql": {Data: []byte("CREATE TABLE ${table} (id INTEGER);\n")}}
		_, err := strata.Migrate(ctx, "sqlite:"+filepath.Join(dir, "ph.db"), fsys)
		var pe *engine.PlaceholderError
		if !errors.As(err, &pe) {
			t.Fatalf("got %T %v, want a *engine.PlaceholderError", err, err)
		}
	})

	t.Run("placeholder names differing by case", func(t *testing.T) {
		fsys := fstest.MapFS{"V1__t.sql": {Data: []byte("SELECT 1;\n")}}
		_, err := strata.Migrate(ctx, "sqlite:"+filepath.Join(dir, "phname.db"), fsys, strata.WithPlaceholders(map[string]string{"Owner": "a", "owner": "b"}))
		if err == nil || !strings.Contains(err.Error(), `"Owner" and "owner"`) {
			t.Fatalf("got %v, want an error naming both placeholders", err)
		}
	})

	t.Run("bad file name, nothing opened", func(t *testing.T) {
		path := filepath.Join(dir, "naming.db")
		fsys := fstest.MapFS{"V1_missing_separator.sql": {Data: []byte("SELECT 1;\n")}}
		_, err := strata.Migrate(ctx, "sqlite:"+path, fsys)
		var ne *locations.NamingError
		if !errors.As(err, &ne) {
			t.Fatalf("got %T %v, want a *locations.NamingError", err, err)
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the database file was created (stat: %v)", err)
		}
	})

	t.Run("unknown scheme", func(t *testing.T) {
		for _, url := range []string{"oracle://u:s3cret-pw@host/db", "host=db password=s3cret-pw:x dbname=app", "app.db"} {
			_, err := strata.Migrate(ctx, url, files())
			if err == nil {
				t.Fatalf("%s: no error", url)
			}
			msg := err.Error()
			if !strings.Contains(msg, "sqlite:, file:, postgres://, postgresql://, sqlserver://, mysql:// or mariadb://") || strings.Contains(msg, "s3cret") {
				t.Errorf("%s: got %q, want the known schemes and no password", url, msg)
			}
		}
		_, err := strata.Migrate(ctx, "oracle://u:s3cret-pw@host/db", files())
		if !strings.Contains(err.Error(), `"oracle"`) {
			t.Errorf("got %q, want the scheme named", err)
		}
	})

	t.Run("unreachable server, password masked", func(t *testing.T) {
		// Port 1 on the loopback: refused at once.
		for _, url := range []string{
			"postgres://app:s3cret-pw@127.0.0.1:1/app?sslmode=disable&connect_timeout=5",
			"sqlserver://app:s3cret-pw@127.0.0.1:1?database=app&dial+timeout=5",
			"mysql://app:s3cret-pw@127.0.0.1:1/app",
			"mariadb://app:s3cret@pw@127.0.0.1:1/app",
		} {
			_, err := strata.Migrate(ctx, url, files())
			if err == nil {
				t.Fatalf("%s: no error", url)
			}
			if strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "connect to") {
				t.Errorf("got %q, want a connect error without the password", err)
			}
		}
	})

	t.Run("nil fsys", func(t *testing.T) {
		if _, err := strata.Migrate(ctx, "sqlite:"+path, nil); err == nil {
			t.Fatal("no error")
		}
	})
}

func TestInfoValidate(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "app.db")
	url := "sqlite:" + path
	ph := strata.WithPlaceholders(map[string]string{"owner": "o@example.com"})

	// Info creates nothing.
	info, err := strata.Info(ctx, url, files(), ph)
	if err != nil {
		t.Fatal(err)
	}
	if info.TablesExist || len(info.Targets) != 1 || info.Targets[0].Pending != 3 {
		t.Errorf("before: got %+v, want no tables and 3 pending", info)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Info created the database file (stat: %v)", err)
	}
	// Pending migrations fail validation.
	_, err = strata.Validate(ctx, url, files(), ph)
	var ve *engine.ValidationError
	if !errors.As(err, &ve) {
		t.Errorf("before: got %T %v, want a *engine.ValidationError", err, err)
	}

	if _, err := strata.Migrate(ctx, url, files(), ph); err != nil {
		t.Fatal(err)
	}
	info, err = strata.Info(ctx, url, files(), ph)
	if err != nil {
		t.Fatal(err)
	}
	if !info.TablesExist || info.Targets[0].Pending != 0 || info.Targets[0].Current != "2" {
		t.Errorf("after: got %+v, want nothing pending at version 2", info.Targets)
	}
	v, err := strata.Validate(ctx, url, files(), ph)
	if err != nil {
		t.Fatal(err)
	}
	if v.Validated != 3 {
		t.Errorf("validated %d, want 3", v.Validated)
	}
}

func TestMigratePostgres(t *testing.T) {
	ctx := context.Background()
	url := pgtest.Database(t) // fails, not skips, when CI=true and there is no server
	fsys := fstest.MapFS{
		"V1__create_users.sql": {Data: []byte("CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL);\n")},
		"V2__add_owner.sql":    {Data: []byte("INSERT INTO users VALUES (1, '${owner}');\n")},
	}
	opts := []strata.Option{
		strata.WithSchemas("app"),
		strata.WithPlaceholders(map[string]string{"owner": "owner@example.com"}),
	}
	res, err := strata.Migrate(ctx, url, fsys, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied() != 2 || res.Targets[0].Version != "2" {
		t.Fatalf("got %+v, want 2 applied, at version 2", res.Targets)
	}
	// postgresql:// is the same database.
	res, err = strata.Migrate(ctx, "postgresql"+strings.TrimPrefix(url, "postgres"), fsys, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied() != 0 {
		t.Errorf("second run applied %d, want 0", res.Applied())
	}

	db, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var email string
	var rows int
	if err := db.QueryRowContext(ctx, "SELECT email FROM app.users").Scan(&email); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM app.strata_schema_history WHERE success").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if email != "owner@example.com" || rows < 2 {
		t.Errorf("got email %q and %d history rows, want owner@example.com and at least 2", email, rows)
	}
}

func TestMigratePostgresTenants(t *testing.T) {
	ctx := context.Background()
	url := pgtest.Database(t)
	fsys := fstest.MapFS{"V1__create_t.sql": {Data: []byte("CREATE TABLE t (tenant text DEFAULT '${strata:schema}');\nINSERT INTO t DEFAULT VALUES;\n")}}
	res, err := strata.Migrate(ctx, url, fsys, strata.WithTenants("acme", "globex"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tr := range res.Targets {
		got = append(got, tr.Target+":"+tr.Version)
	}
	if strings.Join(got, " ") != "acme:1 globex:1" {
		t.Errorf("got targets %v, want acme:1 globex:1", got)
	}
	db, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tenant string
	if err := db.QueryRowContext(ctx, "SELECT tenant FROM globex.t").Scan(&tenant); err != nil {
		t.Fatal(err)
	}
	if tenant != `"globex"` { // ${strata:schema} is the quoted name
		t.Errorf(`globex.t holds %q, want "globex"`, tenant)
	}
}

func TestMigrateMySQL(t *testing.T) {
	ctx := context.Background()
	url := mysqltest.Database(t) // fails, not skips, when CI=true and there is no server
	fsys := fstest.MapFS{
		"V1__create_users.sql": {Data: []byte("CREATE TABLE users (id INT PRIMARY KEY, email VARCHAR(100) NOT NULL);\n")},
		"V2__add_owner.sql":    {Data: []byte("INSERT INTO users VALUES (1, '${owner}');\n")},
	}
	opts := []strata.Option{strata.WithPlaceholders(map[string]string{"owner": "owner@example.com"})}
	res, err := strata.Migrate(ctx, url, fsys, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied() != 2 || res.Targets[0].Version != "2" {
		t.Fatalf("got %+v, want 2 applied, at version 2", res.Targets)
	}
	// mariadb:// is the same database.
	res, err = strata.Migrate(ctx, "mariadb"+strings.TrimPrefix(url, "mysql"), fsys, opts...)
	if err != nil || res.Applied() != 0 {
		t.Fatalf("mariadb:// migrate = %+v, %v; want nothing applied", res, err)
	}
	if _, err := strata.Validate(ctx, url, fsys, opts...); err != nil {
		t.Fatalf("validate: %v", err)
	}
}
