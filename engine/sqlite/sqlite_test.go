package sqlite_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stratadb/strata/engine/enginetest"
	"github.com/stratadb/strata/engine/sqlite"
)

func TestConformance(t *testing.T) {
	enginetest.Run(t, sqlite.New(), func(t *testing.T) func() *sql.DB {
		path := filepath.Join(t.TempDir(), "test.db")
		return func() *sql.DB {
			db, err := sqlite.Open(path, 30*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		}
	})
}

func TestPathFromURL(t *testing.T) {
	tests := []struct{ url, base, want string }{
		{"sqlite://dev.db", "/proj", "/proj/dev.db"},
		{"sqlite://data/dev.db", "/proj", "/proj/data/dev.db"},
		{"sqlite:///var/lib/app.db", "/proj", "/var/lib/app.db"},
		{"sqlite:dev.db", "/proj", "/proj/dev.db"},
		{"sqlite::memory:", "/proj", ":memory:"},
		{"sqlite://:memory:", "/proj", ":memory:"},
		{"sqlite://dev.db?mode=rwc", "/proj", "/proj/dev.db"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			got, err := sqlite.PathFromURL(tt.url, tt.base)
			if err != nil || got != tt.want {
				t.Fatalf("PathFromURL(%q) = %q, %v; want %q", tt.url, got, err, tt.want)
			}
		})
	}
	for _, bad := range []string{"postgres://x", "sqlite://", "sqlite:"} {
		if _, err := sqlite.PathFromURL(bad, "/"); err == nil {
			t.Errorf("PathFromURL(%q) accepted", bad)
		}
	}
}

func TestOpenPathWithURICharacters(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "odd #dir? 100%")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "app#1.db")
	db, err := sqlite.Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE t (id INTEGER)"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not created at %s: %v", path, err)
	}
}
