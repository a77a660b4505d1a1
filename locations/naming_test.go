package locations

import (
	"errors"
	"hash/crc32"
	"reflect"
	"strings"
	"testing"
)

// flywayChecksum is Flyway's checksum computed from its definition (CRC-32
// of the text with every CR and LF removed, as a signed 32-bit value),
// independently of Checksum.
func flywayChecksum(text string) int32 {
	return int32(crc32.ChecksumIEEE([]byte(strings.NewReplacer("\r", "", "\n", "").Replace(text))))
}

func TestNamingParse(t *testing.T) {
	pg := Naming{Suffixes: []string{"POSTGRESQL.sql"}}
	tests := []struct {
		name    string
		naming  Naming
		base    string
		kind    Kind
		version string
		desc    string
		event   string
	}{
		// Flyway strips the suffix as configured: with POSTGRESQL.sql the
		// description stops before it (with the default .sql it would end
		// in "POSTGRESQL").
		{"suffix POSTGRESQL.sql", pg, "V1_1__create_tables.POSTGRESQL.sql", Versioned, "1.1", "create tables.", ""},
		{"suffix POSTGRESQL.sql underscore", pg, "V2__add_index_POSTGRESQL.sql", Versioned, "2", "add index ", ""},
		{"suffix POSTGRESQL.sql repeatable", pg, "R__views.POSTGRESQL.sql", Repeatable, "", "views.", ""},
		{"suffix POSTGRESQL.sql callback", pg, "afterMigrate__refresh.POSTGRESQL.sql", Callback, "", "refresh.", "afterMigrate"},
		// The first suffix in list order that matches wins, not the longest.
		{"first listed suffix wins", Naming{Suffixes: []string{".sql", ".pgsql.sql"}}, "V1__init.pgsql.sql", Versioned, "1", "init.pgsql", ""},
		{"longer suffix listed first", Naming{Suffixes: []string{".pgsql.sql", ".sql"}}, "V1__init.pgsql.sql", Versioned, "1", "init", ""},
		{"second suffix", Naming{Suffixes: []string{".sql", ".pkg"}}, "V3__body.pkg", Versioned, "3", "body", ""},
		{"suffix ignores case", Naming{Suffixes: []string{".sql", ".pkg"}}, "V3__body.PKG", Versioned, "3", "body", ""},
		{"prefix and separator", Naming{VersionedPrefix: "M", Separator: "-"}, "M1.2-add_users.sql", Versioned, "1.2", "add users", ""},
		{"separator: first one splits", Naming{Separator: "-"}, "V1-2-x.sql", Versioned, "1", "2-x", ""},
		{"separator: underscores become spaces", Naming{Separator: "-"}, "V1-add__users.sql", Versioned, "1", "add  users", ""},
		{"separator: repeatable", Naming{Separator: "-"}, "R-views.sql", Repeatable, "", "views", ""},
		{"separator: callback", Naming{Separator: "-"}, "beforeMigrate-x.sql", Callback, "", "x", "beforeMigrate"},
		{"separator: no separator", Naming{Separator: "-"}, "V7.sql", Versioned, "7", "", ""},
		{"repeatable prefix", Naming{RepeatablePrefix: "RR"}, "RR__v.sql", Repeatable, "", "v", ""},
		{"undo prefix", Naming{UndoPrefix: "Undo"}, "Undo3__x.sql", Undo, "3", "x", ""},
		{"baseline prefix", Naming{BaselinePrefix: "BASE"}, "BASE5__all.sql", Baseline, "5", "all", ""},
		// Longest prefix first: a prefix that extends an event name wins
		// over the event, and the event still works alone.
		{"prefix extends an event", Naming{VersionedPrefix: "beforeMigrateV"}, "beforeMigrateV1__x.sql", Versioned, "1", "x", ""},
		{"event beside a longer prefix", Naming{VersionedPrefix: "beforeMigrateV"}, "beforeMigrate.sql", Callback, "", "", "beforeMigrate"},
		// Longest first among the kinds too: "VR" before "V".
		{"prefix extends another prefix", Naming{RepeatablePrefix: "VR"}, "VR__x.sql", Repeatable, "", "x", ""},
		{"shorter prefix beside a longer one", Naming{RepeatablePrefix: "VR"}, "V1__x.sql", Versioned, "1", "x", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.naming.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			n, err := tt.naming.Parse(tt.base)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.base, err)
			}
			if n.Kind != tt.kind || n.Version.String() != tt.version || n.Description != tt.desc || n.Event != tt.event {
				t.Errorf("Parse(%q) = %v %q %q %q, want %v %q %q %q", tt.base,
					n.Kind, n.Version.String(), n.Description, n.Event, tt.kind, tt.version, tt.desc, tt.event)
			}
		})
	}
}

func TestNamingParseRefuses(t *testing.T) {
	custom := Naming{VersionedPrefix: "M", Separator: "-", Suffixes: []string{".pgsql"}}
	tests := []struct {
		name   string
		naming Naming
		base   string
		reason string // substring; "" means ErrNotSQL
	}{
		{"other suffix is no sql file", Naming{Suffixes: []string{"POSTGRESQL.sql"}}, "V1__init.sql", ""},
		// Flyway keeps the "." before POSTGRESQL.sql, which no callback name allows.
		{"dot before the suffix", Naming{Suffixes: []string{"POSTGRESQL.sql"}}, "afterMigrate.POSTGRESQL.sql", "nothing may follow the event name but __"},
		{"default suffix gone", custom, "M1-x.sql", ""},
		{"conf file", custom, "M1-x.pgsql.conf", ""},
		{"default prefix gone", custom, "V1-x.pgsql", "it should start with M, U, B, R or a callback event name and look like this: M1.2-desc.pgsql, R-desc.pgsql or beforeMigrate.pgsql"},
		{"bad version shows the custom shape", custom, "Mx-y.pgsql", `could not recognise version number "x"; it should look like this: M1.2-desc.pgsql`},
		{"no version", custom, "M-y.pgsql", "it must contain a version and should look like this: M1.2-desc.pgsql"},
		{"repeatable with version", custom, "R1-y.pgsql", "it cannot contain a version and should look like this: R-desc.pgsql"},
		{"callback with the default separator", custom, "beforeMigrate__x.pgsql", "nothing may follow the event name but - and a description; it should look like this: beforeMigrate.pgsql or beforeMigrate-desc.pgsql"},
		{"repeatable prefix moved", Naming{RepeatablePrefix: "RR"}, "R__v.sql", "unrecognised migration name format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.naming.Parse(tt.base)
			if tt.reason == "" {
				if !errors.Is(err, ErrNotSQL) {
					t.Fatalf("Parse(%q) = %v, want ErrNotSQL", tt.base, err)
				}
				return
			}
			var ne *NameError
			if !errors.As(err, &ne) || !strings.Contains(ne.Reason, tt.reason) {
				t.Fatalf("Parse(%q) = %v, want a NameError containing %q", tt.base, err, tt.reason)
			}
		})
	}
}

func TestNamingDefaultsAreParseName(t *testing.T) {
	names := []string{"V1__init.sql", "V1__x.SQL", "U1_1.sql", "B5__b.sql", "R__v.sql", "R.sql", "beforeMigrate__x.sql",
		"beforeEachMigrateStatement.sql", "afterMigrateX.sql", "X1__x.sql", ".sql", "V1_init.sql", "V1__x.sql.conf", "notes.txt", "V.sql"}
	for _, base := range names {
		want, wantErr := ParseName(base)
		for _, n := range []Naming{{}, DefaultNaming()} {
			got, err := n.Parse(base)
			if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(err, wantErr) {
				t.Errorf("%+v.Parse(%q) = %+v, %v; ParseName = %+v, %v", n, base, got, err, want, wantErr)
			}
		}
	}
}

func TestNamingValidate(t *testing.T) {
	good := []Naming{
		{},
		DefaultNaming(),
		{VersionedPrefix: "M", Separator: "-", Suffixes: []string{".pgsql.sql", ".sql"}},
		{RepeatablePrefix: "VR"},
		{Suffixes: []string{"POSTGRESQL.sql"}},
	}
	for _, n := range good {
		if err := n.Validate(); err != nil {
			t.Errorf("%+v: %v", n, err)
		}
	}
	bad := map[string]Naming{
		"versioned and repeatable prefix":  {VersionedPrefix: "R"},
		"undo and baseline prefix":         {UndoPrefix: "X", BaselinePrefix: "X"},
		"prefix is an event":               {RepeatablePrefix: "afterMigrate"},
		"prefix with a slash":              {VersionedPrefix: "db/V"},
		"separator with a backslash":       {Separator: `\`},
		"empty suffix":                     {Suffixes: []string{".sql", ""}},
		"suffix ends in .conf":             {Suffixes: []string{".sql.CONF"}},
		"suffix twice":                     {Suffixes: []string{".sql", ".SQL"}},
		"suffix with a slash":              {Suffixes: []string{"/x.sql"}},
		"prefix equals the default of one": {BaselinePrefix: "V"},
	}
	for name, n := range bad {
		err := n.Validate()
		if !errors.Is(err, ErrInvalidNaming) {
			t.Errorf("%s: Validate(%+v) = %v, want ErrInvalidNaming", name, n, err)
		}
		if _, err := Collect([]Root{{Name: "db", FS: mapFS("V1__a.sql", "SELECT 1;")}}, Options{Naming: n}); !errors.Is(err, ErrInvalidNaming) {
			t.Errorf("%s: Collect = %v, want ErrInvalidNaming", name, err)
		}
	}
}

// TestCollectCustomNaming: a project written for Flyway with
// sqlMigrationSuffixes=.pgsql, sqlMigrationPrefix=M and separator "-" gets
// Flyway's descriptions and checksums, its .conf files and callbacks.
func TestCollectCustomNaming(t *testing.T) {
	v1 := "-- init\r\nCREATE TABLE t (id int);\r\n"
	fsys := mapFS(
		"M1.1-create_tables.pgsql", v1,
		"M1.1-create_tables.pgsql.conf", "executeInTransaction=false\n",
		"M2-add_index.PGSQL", "CREATE INDEX i ON t (id);\n",
		"R-views.pgsql", "CREATE VIEW v AS SELECT 1;\n",
		"beforeMigrate-check.pgsql", "SELECT 1;\n",
		"V3__not_mine.sql", "SELECT 3;\n", // default naming: not a migration here
		"README.md", "notes",
	)
	n := Naming{VersionedPrefix: "M", Separator: "-", Suffixes: []string{".pgsql"}}
	set, err := Collect([]Root{{Name: "db", FS: fsys}}, Options{Naming: n, ValidateNaming: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Versioned) != 2 || len(set.Repeatable) != 1 || len(set.Callbacks) != 1 || len(set.Warnings) != 0 {
		t.Fatalf("got %v %v %v, warnings %v", paths(set.Versioned), paths(set.Repeatable), paths(set.Callbacks), set.Warnings)
	}
	f := set.Versioned[0]
	if f.Script != "M1.1-create_tables.pgsql" || f.Version.String() != "1.1" || f.Description != "create tables" {
		t.Errorf("first file: %q %q %q", f.Script, f.Version.String(), f.Description)
	}
	if f.Checksum != flywayChecksum(v1) {
		t.Errorf("checksum %d, want Flyway's %d", f.Checksum, flywayChecksum(v1))
	}
	if f.Directives.Transaction == nil || *f.Directives.Transaction {
		t.Errorf("the .pgsql.conf file was not read: %+v", f.Directives)
	}
	if d := set.Versioned[1].Description; d != "add index" {
		t.Errorf("second description %q", d)
	}
	if r := set.Repeatable[0]; r.Description != "views" {
		t.Errorf("repeatable description %q", r.Description)
	}
	if c := set.Callbacks[0]; c.Event != "beforeMigrate" || c.Description != "check" {
		t.Errorf("callback %q %q", c.Event, c.Description)
	}

	// The same files with Flyway's defaults: only V3 is a migration.
	set, err = Collect([]Root{{Name: "db", FS: fsys}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Versioned) != 1 || set.Versioned[0].Script != "V3__not_mine.sql" {
		t.Errorf("default naming: %v", paths(set.Versioned))
	}
}

// TestCollectDefaultNamingUnchanged: Options{} and Options{Naming:
// DefaultNaming()} give the same Set, warnings and errors included.
func TestCollectDefaultNamingUnchanged(t *testing.T) {
	fsys := mapFS(
		"V1__a.sql", "SELECT 1;",
		"V1__a.sql.conf", "executeInTransaction=false\n",
		"v2__lower.sql", "SELECT 2;",
		"U1__a.SQL", "SELECT 1;",
		"R__r.sql", "SELECT 1;",
		"beforeMigrate.sql", "SELECT 1;",
		"x.sql", "SELECT 1;",
		"orphan.sql.conf", "executeInTransaction=false\n",
	)
	a, errA := Collect([]Root{{Name: "db", FS: fsys}}, Options{})
	b, errB := Collect([]Root{{Name: "db", FS: fsys}}, Options{Naming: DefaultNaming()})
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if !reflect.DeepEqual(a.Warnings, b.Warnings) || len(a.Warnings) != 3 {
		t.Errorf("warnings differ: %v / %v", a.Warnings, b.Warnings)
	}
	for i, pair := range [][2][]*File{{a.Versioned, b.Versioned}, {a.Undo, b.Undo}, {a.Repeatable, b.Repeatable}, {a.Callbacks, b.Callbacks}} {
		if len(pair[0]) != len(pair[1]) {
			t.Fatalf("group %d: %v / %v", i, paths(pair[0]), paths(pair[1]))
		}
		for j := range pair[0] {
			x, y := pair[0][j], pair[1][j]
			if x.Name != y.Name || x.Script != y.Script || x.Checksum != y.Checksum || !reflect.DeepEqual(x.Directives, y.Directives) {
				t.Errorf("group %d file %d: %+v / %+v", i, j, x, y)
			}
		}
	}
}

func TestNamingFileName(t *testing.T) {
	if got := DefaultNaming().FileName(Versioned, "7", "add_users"); got != "V7__add_users.sql" {
		t.Errorf("default: %q", got)
	}
	n := Naming{UndoPrefix: "UNDO", Separator: "-", Suffixes: []string{".pgsql", ".sql"}}
	if got := n.FileName(Undo, "7", "add_users"); got != "UNDO7-add_users.pgsql" {
		t.Errorf("custom: %q", got)
	}
	if got := n.FileName(Repeatable, "", "views"); got != "R-views.pgsql" {
		t.Errorf("repeatable: %q", got)
	}
}

// FuzzNamingParse: with any valid settings, Parse never panics, accepts
// only names ending in a configured suffix, and a parsed migration's name
// rebuilt with FileName parses to the same result.
func FuzzNamingParse(f *testing.F) {
	f.Add("M", "-", ".pgsql", "M1.2-add_users.pgsql")
	f.Add("V", "__", "POSTGRESQL.sql", "V1_1__create_tables.POSTGRESQL.sql")
	f.Add("VR", "_", ".sql", "VR_x.sql")
	f.Add("V", "--", ".x.sql", "V1--a--b.X.SQL")
	f.Fuzz(func(t *testing.T, prefix, sep, suffix, base string) {
		n := Naming{VersionedPrefix: prefix, Separator: sep, Suffixes: []string{suffix}}
		if n.Validate() != nil || prefix == "" || sep == "" || strings.ContainsAny(sep, "0123456789._") {
			return // a separator made of version characters is ambiguous in Flyway too
		}
		name, err := n.Parse(base)
		if err != nil {
			var ne *NameError
			if !errors.Is(err, ErrNotSQL) && !errors.As(err, &ne) {
				t.Fatalf("Parse(%q): unexpected error %#v", base, err)
			}
			return
		}
		if !hasSuffixFold(base, suffix) {
			t.Fatalf("Parse(%q) accepted a name without the suffix %q", base, suffix)
		}
		if name.Kind != Versioned && name.Kind != Repeatable {
			return
		}
		raw := strings.ReplaceAll(name.Description, " ", "_")
		again, err := n.Parse(n.FileName(name.Kind, name.Version.String(), raw))
		if err != nil || again.Kind != name.Kind || again.Version.Compare(name.Version) != 0 {
			t.Fatalf("Parse(%q) = %+v; rebuilt %q parses to %+v, %v", base, name, n.FileName(name.Kind, name.Version.String(), raw), again, err)
		}
	})
}
