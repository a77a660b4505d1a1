package postgres_test

import (
	"context"
	"database/sql"
	"os"
	"testing"

	"github.com/stratadb/strata/engine/enginetest"
	"github.com/stratadb/strata/engine/postgres"
	"github.com/stratadb/strata/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// opener gives each test its own database on the test server.
func opener(t *testing.T) func() *sql.DB {
	url := pgtest.Database(t)
	return func() *sql.DB { return openURL(t, url) }
}

// openURL opens url and closes it when the test ends.
func openURL(t *testing.T, url string) *sql.DB {
	db, err := postgres.Open(context.Background(), url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	enginetest.Run(t, postgres.New(), opener)
}
