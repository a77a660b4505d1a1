package strata_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing/fstest"

	"github.com/stratadb/strata"
	"github.com/stratadb/strata/engine"
)

// Migrate a SQLite database twice: the second run finds nothing pending. A
// program would pass an embed.FS (through fs.Sub) or os.DirFS instead of
// the MapFS.
func ExampleMigrate() {
	dir, err := os.MkdirTemp("", "strata-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	url := "sqlite:" + filepath.Join(dir, "app.db")

	migrations := fstest.MapFS{
		"V1__create_users.sql": {Data: []byte("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n")},
		"V2__add_admin.sql":    {Data: []byte("INSERT INTO users (email) VALUES ('${admin}');\n")},
	}
	for range 2 {
		res, err := strata.Migrate(context.Background(), url, migrations,
			strata.WithPlaceholders(map[string]string{"admin": "admin@example.com"}),
			strata.WithObserver(func(e engine.Event) {
				if a, ok := e.(engine.MigrationApplied); ok {
					fmt.Println("applied", a.Migration.Script)
				}
			}),
		)
		var me *engine.MigrationError
		switch {
		case errors.As(err, &me):
			fmt.Printf("%s:%d: %v\n", me.Path, me.Line, me.Err)
			return
		case err != nil:
			fmt.Println(err)
			return
		}
		fmt.Printf("%d applied, at version %s\n", res.Applied(), res.Targets[0].Version)
	}
	// Output:
	// applied V1__create_users.sql
	// applied V2__add_admin.sql
	// 2 applied, at version 2
	// 0 applied, at version 2
}
