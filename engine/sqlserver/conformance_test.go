package sqlserver_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand"
	"net/url"
	"os"
	"testing"

	"github.com/stratadb/strata/engine/enginetest"
	"github.com/stratadb/strata/engine/sqlserver"
)

// TestConformance runs the shared suite against a real SQL Server when
// STRATA_TEST_SQLSERVER_URL points at one (a login that may create
// databases); none can be installed on the build machines.
func TestConformance(t *testing.T) {
	admin := os.Getenv("STRATA_TEST_SQLSERVER_URL")
	if admin == "" {
		t.Skip("SQL Server conformance skipped: STRATA_TEST_SQLSERVER_URL is not set; see the README (Development, SQL Server) to run it against a local container")
	}
	enginetest.Run(t, sqlserver.New(), func(t *testing.T) func() *sql.DB {
		name := fmt.Sprintf("strata_test_%x", rand.Int63())
		master, err := sql.Open("sqlserver", admin)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { master.Close() })
		if _, err := master.Exec("CREATE DATABASE " + name); err != nil {
			t.Fatalf("create database: %v", err)
		}
		t.Cleanup(func() {
			master.Exec("ALTER DATABASE " + name + " SET SINGLE_USER WITH ROLLBACK IMMEDIATE")
			master.Exec("DROP DATABASE " + name)
		})
		u, err := url.Parse(admin)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("database", name)
		u.RawQuery = q.Encode()
		return func() *sql.DB {
			db, err := sqlserver.Open(context.Background(), u.String(), sqlserver.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		}
	})
}
