package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/engine/sqlite"
)

func TestRunTwice(t *testing.T) {
	ctx := context.Background()
	args := []string{"-db", filepath.Join(t.TempDir(), "app.db")}

	var out bytes.Buffer
	if err := run(ctx, args, &out); err != nil {
		t.Fatalf("first run: %v", err)
	}
	want := `main: applied 4, now at version 3
  V1  create users
  V2  create notes
  V3  add admin user
  R   note counts
`
	if out.String() != want {
		t.Errorf("first run printed:\n%s\nwant:\n%s", out.String(), want)
	}

	out.Reset()
	if err := run(ctx, args, &out); err != nil {
		t.Fatalf("second run: %v", err)
	}
	if got, want := out.String(), "main: up to date at version 3\n"; got != want {
		t.Errorf("second run printed %q, want %q", got, want)
	}

	// The placeholders were replaced and the repeatable view works.
	db, err := sqlite.Open(args[1], 0)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var role, body string
	var notes int
	if err := db.QueryRow(`SELECT u.role, n.body, c.notes FROM users u JOIN notes n ON n.user_id = u.id
		JOIN note_counts c ON c.email = u.email`).Scan(&role, &body, &notes); err != nil {
		t.Fatal(err)
	}
	if role != "admin" || body != "Welcome to library-example!" || notes != 1 {
		t.Errorf("got role %q, body %q, notes %d", role, body, notes)
	}
}

func TestBrokenMigration(t *testing.T) {
	files := fstest.MapFS{
		"V1__create_users.sql": {Data: []byte("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n")},
		"V2__broken.sql": {Data: []byte("-- ${app_name}: a typo on line 4.\n" +
			"INSERT INTO users (id, email) VALUES (1, 'a@example.com');\n" +
			"\n" +
			"INSERT INTO userz (id, email) VALUES (2, 'b@example.com');\n")},
	}
	path := filepath.Join(t.TempDir(), "app.db")
	err := migrate(context.Background(), []string{"-db", path}, new(bytes.Buffer), files)

	var me *engine.MigrationError
	if !errors.As(err, &me) {
		t.Fatalf("got %T %v, want a *engine.MigrationError", err, err)
	}
	if me.Path != "migrations/V2__broken.sql" || me.Version != "2" || me.Line != 4 || me.Column != 1 {
		t.Errorf("got %s version %s at %d:%d, want migrations/V2__broken.sql version 2 at 4:1", me.Path, me.Version, me.Line, me.Column)
	}
	if !strings.Contains(me.Statement, "userz") || !me.RolledBack {
		t.Errorf("got statement %q, rolled back %v", me.Statement, me.RolledBack)
	}

	var msg bytes.Buffer
	report(&msg, err)
	if !strings.HasPrefix(msg.String(), "migrations/V2__broken.sql:4:1: migration failed: ") {
		t.Errorf("report printed:\n%s", msg.String())
	}

	// V1 stayed applied; V2 left no row behind, so fixing it is enough.
	files["V2__broken.sql"].Data = bytes.Replace(files["V2__broken.sql"].Data, []byte("userz"), []byte("users"), 1)
	var out bytes.Buffer
	if err := migrate(context.Background(), []string{"-db", path}, &out, files); err != nil {
		t.Fatalf("after the fix: %v", err)
	}
	if !strings.HasPrefix(out.String(), "main: applied 1, now at version 2") {
		t.Errorf("after the fix printed:\n%s", out.String())
	}
}

func TestChangedMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.db")
	if err := run(context.Background(), []string{"-db", path}, new(bytes.Buffer)); err != nil {
		t.Fatal(err)
	}
	// Someone edits V1 after it was applied.
	files := fstest.MapFS{}
	entries, err := embedded.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := embedded.ReadFile("migrations/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = &fstest.MapFile{Data: data}
	}
	files["V1__create_users.sql"].Data = append(files["V1__create_users.sql"].Data, "-- edited\n"...)
	err = migrate(context.Background(), []string{"-db", path}, new(bytes.Buffer), files)

	var ve *engine.ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, engine.ErrChecksumMismatch) {
		t.Fatalf("got %T %v, want a *engine.ValidationError with a checksum mismatch", err, err)
	}
}

// Example runs the program on a new SQLite file. Progress is logged with
// log/slog to stderr; stdout gets the summary.
func Example() {
	dir, err := os.MkdirTemp("", "library-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	if err := run(context.Background(), []string{"-db", filepath.Join(dir, "app.db")}, os.Stdout); err != nil {
		report(os.Stderr, err)
		return
	}
	fmt.Println("---")
	if err := run(context.Background(), []string{"-db", filepath.Join(dir, "app.db")}, os.Stdout); err != nil {
		report(os.Stderr, err)
	}
	// Output:
	// main: applied 4, now at version 3
	//   V1  create users
	//   V2  create notes
	//   V3  add admin user
	//   R   note counts
	// ---
	// main: up to date at version 3
}
