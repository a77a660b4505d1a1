package locations

import (
	"errors"
	"strings"
	"testing"
)

func TestParseName(t *testing.T) {
	tests := []struct {
		base    string
		kind    Kind
		version string // display text
		desc    string
		event   string
	}{
		{"V1__init.sql", Versioned, "1", "init", ""},
		{"V1.sql", Versioned, "1", "", ""},
		{"V1__.sql", Versioned, "1", "", ""},
		{"V1_2__add_users.sql", Versioned, "1.2", "add users", ""},
		{"V1.2__add_users.sql", Versioned, "1.2", "add users", ""},
		{"V001_0__x.sql", Versioned, "001.0", "x", ""},
		{"V1__2__x.sql", Versioned, "1", "2  x", ""},
		{"V1___x.sql", Versioned, "1", " x", ""},
		{"V1__x.SQL", Versioned, "1", "x", ""},
		{"V1__x.Sql", Versioned, "1", "x", ""},
		{"V4.99.1561608282__big.sql", Versioned, "4.99.1561608282", "big", ""},
		{"V20261121093000__add_users.sql", Versioned, "20261121093000", "add users", ""},
		{"V2__créer_table_ユーザー.sql", Versioned, "2", "créer table ユーザー", ""},
		{"V3__Ünïcödé_Ελληνικά_中文.sql", Versioned, "3", "Ünïcödé Ελληνικά 中文", ""},
		{"V1__with space.sql", Versioned, "1", "with space", ""},
		{"V1__a.b.sql", Versioned, "1", "a.b", ""},
		{"U1__init.sql", Undo, "1", "init", ""},
		{"U1_1.sql", Undo, "1.1", "", ""},
		{"B5__baseline.sql", Baseline, "5", "baseline", ""},
		{"R__views.sql", Repeatable, "", "views", ""},
		{"R__refresh_all_views.sql", Repeatable, "", "refresh all views", ""},
		{"R__.sql", Repeatable, "", "", ""},
		{"R__vues_défaut.sql", Repeatable, "", "vues défaut", ""},
		{"beforeMigrate.sql", Callback, "", "", "beforeMigrate"},
		{"beforeMigrate__x.sql", Callback, "", "x", "beforeMigrate"},
		{"afterMigrate__refresh_views.sql", Callback, "", "refresh views", "afterMigrate"},
		{"beforeEachMigrate.sql", Callback, "", "", "beforeEachMigrate"},
		{"beforeEachMigrateStatement.sql", Callback, "", "", "beforeEachMigrateStatement"},
		{"beforeEachMigrateStatement__a_b.sql", Callback, "", "a b", "beforeEachMigrateStatement"},
		{"afterEachMigrateStatementError.sql", Callback, "", "", "afterEachMigrateStatementError"},
		{"afterMigrateError.sql", Callback, "", "", "afterMigrateError"},
		{"afterMigrateApplied__x.sql", Callback, "", "x", "afterMigrateApplied"},
		{"afterMigrateOperationFinish.sql", Callback, "", "", "afterMigrateOperationFinish"},
		{"createSchema.sql", Callback, "", "", "createSchema"},
		{"beforeCreateSchema.sql", Callback, "", "", "beforeCreateSchema"},
		{"afterInfoOperationFinish.SQL", Callback, "", "", "afterInfoOperationFinish"},
	}
	for _, tt := range tests {
		t.Run(tt.base, func(t *testing.T) {
			n, err := ParseName(tt.base)
			if err != nil {
				t.Fatalf("ParseName(%q): %v", tt.base, err)
			}
			if n.Kind != tt.kind || n.Version.String() != tt.version || n.Description != tt.desc || n.Event != tt.event {
				t.Errorf("ParseName(%q) = {%v %q %q %q}, want {%v %q %q %q}",
					tt.base, n.Kind, n.Version.String(), n.Description, n.Event, tt.kind, tt.version, tt.desc, tt.event)
			}
			if n.Kind.versioned() == n.Version.IsZero() {
				t.Errorf("ParseName(%q): kind %v with version %q", tt.base, n.Kind, n.Version.String())
			}
		})
	}
}

func TestParseNameEveryEvent(t *testing.T) {
	if len(Events()) != 42 {
		t.Errorf("len(Events()) = %d, want 42", len(Events()))
	}
	for _, ev := range Events() {
		for _, base := range []string{ev + ".sql", ev + "__some_desc.sql"} {
			n, err := ParseName(base)
			if err != nil {
				t.Errorf("ParseName(%q): %v", base, err)
				continue
			}
			if n.Kind != Callback || n.Event != ev {
				t.Errorf("ParseName(%q) = %v %q, want Callback %q", base, n.Kind, n.Event, ev)
			}
		}
		if !IsEvent(ev) {
			t.Errorf("IsEvent(%q) = false", ev)
		}
	}
	if IsEvent("BeforeMigrate") || IsEvent("beforeMigrateX") {
		t.Error("IsEvent accepts a name that is not an event")
	}
}

func TestParseNameNotSQL(t *testing.T) {
	for _, base := range []string{
		"V1__x.sql.conf", "V1__x.SQL.CONF", "x.conf", "README.md", "V1__x.txt", "V1__x.sql.bak",
		"V1__x", "", "sql", "V1__xsql",
	} {
		t.Run(base, func(t *testing.T) {
			if _, err := ParseName(base); !errors.Is(err, ErrNotSQL) {
				t.Errorf("ParseName(%q) error = %v, want ErrNotSQL", base, err)
			}
		})
	}
}

func TestParseNameErrors(t *testing.T) {
	tests := []struct {
		base   string
		reason string // substring of the reason
	}{
		{"V1_init.sql", `invalid versioned migration name format: could not recognise version number "1_init"; it should look like this: V1.2__desc.sql`},
		{"V__x.sql", "invalid versioned migration name format: it must contain a version and should look like this: V1.2__desc.sql"},
		{"V.sql", "it must contain a version"},
		{"V1..1__x.sql", `could not recognise version number "1..1"`},
		{"V.1__x.sql", `could not recognise version number ".1"`},
		{"V1.__x.sql", `could not recognise version number "1."`},
		{"V.__x.sql", `could not recognise version number "."`},
		{"Va__x.sql", `could not recognise version number "a"`},
		{"V+1__x.sql", `could not recognise version number "+1"`},
		{"V-1__x.sql", `could not recognise version number "-1"`},
		{"V1a__x.sql", `could not recognise version number "1a"`},
		{"V 1__x.sql", `could not recognise version number " 1"`},
		{"V١__x.sql", `could not recognise version number "١"`},
		{"Validate.sql", `could not recognise version number "alidate"`},
		{"U__x.sql", "invalid undo migration name format: it must contain a version and should look like this: U1.2__desc.sql"},
		{"Ux__y.sql", "invalid undo migration name format: could not recognise version number"},
		{"B__x.sql", "invalid baseline migration name format: it must contain a version and should look like this: B1.2__desc.sql"},
		{"BeforeMigrate.sql", "invalid baseline migration name format: could not recognise version number"},
		{"R1__x.sql", "invalid repeatable migration name format: it cannot contain a version and should look like this: R__desc.sql"},
		{"R_x.sql", "it cannot contain a version"},
		{"Rx.sql", "it cannot contain a version"},
		{"R.sql", "invalid repeatable migration name format: it should look like this: R__desc.sql"},
		{"beforeMigrateX.sql", "invalid callback name format: nothing may follow the event name but __ and a description; it should look like this: beforeMigrate.sql or beforeMigrate__desc.sql"},
		{"beforeMigrate_x.sql", "invalid callback name format"},
		{"afterMigrate1__x.sql", "afterMigrate.sql or afterMigrate__desc.sql"},
		{"beforeEachMigrateStatementX.sql", "beforeEachMigrateStatement.sql"},
		{"v1__x.sql", "unrecognised migration name format: it should start with V, U, B, R or a callback event name"},
		{"r__x.sql", "unrecognised migration name format"},
		{"schema.sql", "unrecognised migration name format"},
		{".sql", "unrecognised migration name format"},
		{"X1__x.sql", "unrecognised migration name format"},
		{"ÄV1__x.sql", "unrecognised migration name format"},
		{"V1__\xff.sql", "file name is not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.base, func(t *testing.T) {
			n, err := ParseName(tt.base)
			var ne *NameError
			if !errors.As(err, &ne) {
				t.Fatalf("ParseName(%q) = %+v, %v; want *NameError", tt.base, n, err)
			}
			if ne.File != tt.base {
				t.Errorf("NameError.File = %q, want %q", ne.File, tt.base)
			}
			if !strings.Contains(ne.Reason, tt.reason) {
				t.Errorf("NameError.Reason = %q, want it to contain %q", ne.Reason, tt.reason)
			}
			if want := tt.base + ": " + ne.Reason; err.Error() != want {
				t.Errorf("Error() = %q, want %q", err.Error(), want)
			}
		})
	}
}

func TestKindString(t *testing.T) {
	want := map[Kind]string{
		Versioned: "Versioned", Undo: "Undo", Repeatable: "Repeatable", Baseline: "Baseline", Callback: "Callback",
		0: "Kind(0)", 9: "Kind(9)",
	}
	for k, s := range want {
		if k.String() != s {
			t.Errorf("Kind(%d).String() = %q, want %q", int(k), k.String(), s)
		}
	}
}
