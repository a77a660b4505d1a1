package locations_test

import (
	"fmt"
	"strings"
	"testing/fstest"

	"github.com/stratadb/strata/locations"
)

func ExampleCollect() {
	common := fstest.MapFS{
		"V1__create_users.sql": {Data: []byte("CREATE TABLE users (id int);\n")},
		"V2__add_email.sql":    {Data: []byte("ALTER TABLE users ADD email text;\n")},
		"R__views.sql":         {Data: []byte("CREATE OR REPLACE VIEW v AS SELECT id FROM users;\n")},
		"V3_draft.sql":         {Data: []byte("-- not a valid name\n")},
	}
	prod := fstest.MapFS{
		"V2__add_email.sql": {Data: []byte("-- strata:lock_timeout=5s\nALTER TABLE users ADD email text NOT NULL DEFAULT '';\n")},
	}
	set, err := locations.Collect([]locations.Root{
		{Name: "migrations/common", FS: common},
		{Name: "migrations/prod-overrides", FS: prod, Override: true},
	}, locations.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range set.Versioned {
		fmt.Printf("V%s %q %s checksum=%d", f.Version, f.Description, f.Path(), f.Checksum)
		for _, old := range f.Replaced {
			fmt.Printf(" (replaces %s)", old.Path())
		}
		fmt.Println()
	}
	for _, f := range set.Repeatable {
		fmt.Printf("R %q %s\n", f.Description, f.Path())
	}
	fmt.Println("lock timeout of V2:", set.Versioned[1].Directives.LockTimeout)
	for _, w := range set.Warnings {
		fmt.Println("warning:", w)
	}
	// Output:
	// V1 "create users" migrations/common/V1__create_users.sql checksum=336540139
	// V2 "add email" migrations/prod-overrides/V2__add_email.sql checksum=800142163 (replaces migrations/common/V2__add_email.sql)
	// R "views" migrations/common/R__views.sql
	// lock timeout of V2: 5s
	// warning: migrations/common/V3_draft.sql: invalid versioned migration name format: could not recognise version number "3_draft"; it should look like this: V1.2__desc.sql
}

func ExampleVersion_Key() {
	for _, s := range []string{"1.9", "1.10", "1.0", "20261121093000", strings.Repeat("9", 30)} {
		v := locations.MustParseVersion(s)
		fmt.Printf("%s canonical=%s key=%s\n", v, v.Canonical(), v.Key())
	}
	// Output:
	// 1.9 canonical=1.9 key=b1b9
	// 1.10 canonical=1.10 key=b1c10
	// 1.0 canonical=1 key=b1
	// 20261121093000 canonical=20261121093000 key=o20261121093000
	// 999999999999999999999999999999 canonical=999999999999999999999999999999 key=zc30999999999999999999999999999999
}

// A strata.sum acknowledges the files of a location; a file added since is
// reported before anything runs.
func ExampleCompareSums() {
	reviewed := fstest.MapFS{"V1__create_users.sql": {Data: []byte("CREATE TABLE users (id int);\n")}}
	set, _ := locations.Collect([]locations.Root{{Name: "migrations", FS: reviewed}}, locations.Options{})
	sum, _ := locations.ParseSum("migrations/strata.sum", set.LocationSum("migrations").Format())

	reviewed["V2__add_email.sql"] = &fstest.MapFile{Data: []byte("ALTER TABLE users ADD email text;\n")}
	set, _ = locations.Collect([]locations.Root{{Name: "migrations", FS: reviewed}}, locations.Options{})
	changes := locations.CompareSums("migrations", sum, set.LocationSum("migrations"))
	fmt.Println(&locations.AckError{Changes: changes})
	// Output:
	// 1 migration file changed since the last strata ack, so nothing was run:
	//   added:   migrations/V2__add_email.sql
	// review them, then run strata ack to acknowledge them (for local work, --allow-unacknowledged runs them without an ack)
}
