package locations

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// mapFS builds a MapFS from name/content pairs.
func mapFS(files ...string) fstest.MapFS {
	m := fstest.MapFS{}
	for i := 0; i+1 < len(files); i += 2 {
		m[files[i]] = &fstest.MapFile{Data: []byte(files[i+1])}
	}
	return m
}

func paths(files []*File) []string {
	var s []string
	for _, f := range files {
		s = append(s, f.Path())
	}
	return s
}

func checksumOf(t *testing.T, s string) int32 {
	t.Helper()
	c, err := Checksum(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCollectOneRoot(t *testing.T) {
	root := Root{Name: "migrations", FS: mapFS(
		"V1__init.sql", "CREATE TABLE t (id int);\n",
		"V1_10__ten.sql", "SELECT 10;",
		"V1.9__nine.sql", "SELECT 9;",
		"V1.2__two.sql", "-- strata:transaction=false\nCREATE INDEX CONCURRENTLY i ON t (id);\n",
		"V1.2__two.sql.conf", "placeholderReplacement=false\n",
		"sub/deeper/V3__nested.sql", "\uFEFFSELECT 3;\r\n",
		"U1__init.sql", "DROP TABLE t;\n",
		"B1_9__base.sql", "SELECT 'base';",
		"R__views.sql", "CREATE VIEW v AS SELECT 1;",
		"R__a_view.sql", "SELECT 'a';",
		"afterMigrate.sql", "SELECT 'after';",
		"afterMigrate__b.sql", "SELECT 'b';",
		"afterMigrate__a.sql", "SELECT 'a';",
		"beforeMigrate.sql", "SELECT 'before';",
		"beforeEachMigrate.sql", "SELECT 'each';",
		"README.md", "# docs",
		"notes.txt", "V9__not_a_migration.sql",
		".hidden/V9__skipped.sql", "SELECT 9;",
		"sub/.git/V8__skipped.sql", "SELECT 8;",
		"V2__créer_table_ユーザー.SQL", "SELECT 'ユーザー';",
	)}
	set, err := Collect([]Root{root}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"Versioned": {"migrations/V1__init.sql", "migrations/V1.2__two.sql", "migrations/V1.9__nine.sql",
			"migrations/V1_10__ten.sql", "migrations/V2__créer_table_ユーザー.SQL", "migrations/sub/deeper/V3__nested.sql"},
		"Undo":       {"migrations/U1__init.sql"},
		"Baseline":   {"migrations/B1_9__base.sql"},
		"Repeatable": {"migrations/R__a_view.sql", "migrations/R__views.sql"},
		"Callbacks": {"migrations/afterMigrate.sql", "migrations/afterMigrate__a.sql", "migrations/afterMigrate__b.sql",
			"migrations/beforeEachMigrate.sql", "migrations/beforeMigrate.sql"},
	}
	got := map[string][]string{
		"Versioned": paths(set.Versioned), "Undo": paths(set.Undo), "Baseline": paths(set.Baseline),
		"Repeatable": paths(set.Repeatable), "Callbacks": paths(set.Callbacks),
	}
	for k := range want {
		if !slices.Equal(got[k], want[k]) {
			t.Errorf("%s = %q, want %q", k, got[k], want[k])
		}
	}
	if len(set.Warnings) != 0 {
		t.Errorf("Warnings = %v", set.Warnings)
	}
	for _, list := range [][]*File{set.Versioned, set.Undo, set.Baseline, set.Repeatable, set.Callbacks} {
		for _, f := range list {
			data := string(root.FS.(fstest.MapFS)[f.Script].Data)
			if f.Checksum != checksumOf(t, data) || f.Size != int64(len(data)) {
				t.Errorf("%s: checksum %d size %d, want %d %d", f.Path(), f.Checksum, f.Size, checksumOf(t, data), len(data))
			}
			if f.Location != "migrations" || f.Override || len(f.Replaced) != 0 {
				t.Errorf("%s: Location %q Override %v Replaced %v", f.Path(), f.Location, f.Override, f.Replaced)
			}
		}
	}
	nested := set.Versioned[5]
	if nested.Script != "sub/deeper/V3__nested.sql" || nested.Version.String() != "3" || nested.Description != "nested" {
		t.Errorf("nested file = %+v", nested.Name)
	}
	if nested.Checksum != checksumOf(t, "SELECT 3;") {
		t.Errorf("BOM and CRLF not ignored by the checksum")
	}
	two := set.Versioned[1]
	if !sameDirectives(two.Directives, Directives{Transaction: ptr(false), Placeholders: ptr(false)}) {
		t.Errorf("V1.2 directives = %s", showDirectives(two.Directives))
	}
	if set.Versioned[4].Description != "créer table ユーザー" {
		t.Errorf("unicode description = %q", set.Versioned[4].Description)
	}
	if set.Callbacks[0].Event != "afterMigrate" || set.Callbacks[3].Event != "beforeEachMigrate" {
		t.Errorf("callback events = %q, %q", set.Callbacks[0].Event, set.Callbacks[3].Event)
	}
}

func TestCollectEmpty(t *testing.T) {
	set, err := Collect(nil, Options{})
	if err != nil || set == nil {
		t.Fatalf("Collect(nil) = %v, %v", set, err)
	}
	set, err = Collect([]Root{{Name: "empty", FS: fstest.MapFS{}}}, Options{})
	if err != nil || len(set.Versioned)+len(set.Repeatable)+len(set.Warnings) != 0 {
		t.Fatalf("Collect(empty) = %+v, %v", set, err)
	}
}

func TestCollectBadNames(t *testing.T) {
	roots := []Root{
		{Name: "migrations/common", FS: mapFS(
			"V1__ok.sql", "SELECT 1;",
			"V1_init.sql", "SELECT 1;",
			"sub/R1__x.sql", "SELECT 1;",
			"schema.sql", "SELECT 1;",
			"V1__ok.sql.conf", "",
			"V2__gone.sql.conf", "",
		)},
		{Name: "migrations/dev", FS: mapFS(
			"beforeMigrateX.sql", "SELECT 1;",
			"v2__lower.sql", "SELECT 1;",
		)},
	}
	wantProblems := []Warning{
		{"migrations/common/V1_init.sql", `invalid versioned migration name format: could not recognise version number "1_init"; it should look like this: V1.2__desc.sql`},
		{"migrations/common/schema.sql", "unrecognised migration name format: it should start with V, U, B, R or a callback event name and look like this: V1.2__desc.sql, R__desc.sql or beforeMigrate.sql"},
		{"migrations/common/sub/R1__x.sql", "invalid repeatable migration name format: it cannot contain a version and should look like this: R__desc.sql"},
		{"migrations/dev/beforeMigrateX.sql", "invalid callback name format: nothing may follow the event name but __ and a description; it should look like this: beforeMigrate.sql or beforeMigrate__desc.sql"},
		{"migrations/dev/v2__lower.sql", "unrecognised migration name format: it should start with V, U, B, R or a callback event name and look like this: V1.2__desc.sql, R__desc.sql or beforeMigrate.sql"},
	}
	orphan := Warning{"migrations/common/V2__gone.sql.conf", "script configuration file without a script: V2__gone.sql does not exist"}

	t.Run("warnings", func(t *testing.T) {
		set, err := Collect(roots, Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := append([]Warning{orphan}, wantProblems...)
		if !slices.Equal(set.Warnings, want) {
			t.Errorf("Warnings =\n%s\nwant\n%s", warningsText(set.Warnings), warningsText(want))
		}
		if len(set.Versioned) != 1 {
			t.Errorf("Versioned = %q", paths(set.Versioned))
		}
	})
	t.Run("validate naming", func(t *testing.T) {
		set, err := Collect(roots, Options{ValidateNaming: true})
		var ne *NamingError
		if !errors.As(err, &ne) {
			t.Fatalf("Collect = %v, %v; want *NamingError", set, err)
		}
		if !slices.Equal(ne.Problems, wantProblems) {
			t.Errorf("Problems =\n%s\nwant\n%s", warningsText(ne.Problems), warningsText(wantProblems))
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "invalid sql file names found:\n  -> migrations/common/V1_init.sql: invalid versioned") {
			t.Errorf("error = %q", msg)
		}
		for _, p := range wantProblems {
			if !strings.Contains(msg, p.Path) {
				t.Errorf("error does not name %s", p.Path)
			}
		}
	})
}

func warningsText(ws []Warning) string {
	var b strings.Builder
	for _, w := range ws {
		b.WriteString("  " + w.String() + "\n")
	}
	return b.String()
}

func TestCollectMerge(t *testing.T) {
	common := Root{Name: "migrations/common", FS: mapFS(
		"V1__init.sql", "SELECT 'common 1';",
		"V7__seven.sql", "SELECT 'common 7';",
		"R__views.sql", "SELECT 'common views';",
		"afterMigrate.sql", "SELECT 'common after';",
	)}
	dev := Root{Name: "migrations/dev", FS: mapFS(
		"V2__dev.sql", "SELECT 'dev 2';",
	)}
	override := func(name string, files ...string) Root {
		return Root{Name: name, FS: mapFS(files...), Override: true}
	}

	t.Run("override replaces", func(t *testing.T) {
		prod := override("migrations/prod", "V7__seven_prod.sql", "SELECT 'prod 7';", "R__views.sql", "SELECT 'prod views';")
		set, err := Collect([]Root{common, dev, prod}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := paths(set.Versioned); !slices.Equal(got, []string{"migrations/common/V1__init.sql", "migrations/dev/V2__dev.sql", "migrations/prod/V7__seven_prod.sql"}) {
			t.Errorf("Versioned = %q", got)
		}
		v7 := set.Versioned[2]
		if !v7.Override || v7.Description != "seven prod" || !slices.Equal(paths(v7.Replaced), []string{"migrations/common/V7__seven.sql"}) {
			t.Errorf("V7 = %s override %v replaced %q", v7.Path(), v7.Override, paths(v7.Replaced))
		}
		if v7.Checksum != checksumOf(t, "SELECT 'prod 7';") {
			t.Errorf("V7 checksum is not the override's")
		}
		if old := v7.Replaced[0]; old.Checksum != checksumOf(t, "SELECT 'common 7';") || old.Override {
			t.Errorf("replaced file: checksum %d override %v", old.Checksum, old.Override)
		}
		if r := set.Repeatable[0]; r.Path() != "migrations/prod/R__views.sql" || len(r.Replaced) != 1 {
			t.Errorf("R__views = %s replaced %q", r.Path(), paths(r.Replaced))
		}
		if len(set.Warnings) != 0 {
			t.Errorf("Warnings = %v", set.Warnings)
		}
	})

	t.Run("later override wins", func(t *testing.T) {
		o1 := override("o1", "V7__first.sql", "SELECT 'o1';", "V1__one.sql", "SELECT 'o1 1';")
		o2 := override("o2", "sub/V7.0__second.sql", "SELECT 'o2';")
		set, err := Collect([]Root{common, o1, o2}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		v7 := set.Versioned[1]
		if v7.Path() != "o2/sub/V7.0__second.sql" || v7.Version.String() != "7.0" {
			t.Fatalf("V7 = %s", v7.Path())
		}
		if got := paths(v7.Replaced); !slices.Equal(got, []string{"migrations/common/V7__seven.sql", "o1/V7__first.sql"}) {
			t.Errorf("V7 replaced %q", got)
		}
		if got := paths(set.Versioned[0].Replaced); !slices.Equal(got, []string{"migrations/common/V1__init.sql"}) {
			t.Errorf("V1 replaced %q", got)
		}
	})

	t.Run("override of nothing warns", func(t *testing.T) {
		set, err := Collect([]Root{common, override("o", "V8__new.sql", "SELECT 8;")}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := []Warning{{"o/V8__new.sql", "override replaces no file of an earlier location"}}
		if !slices.Equal(set.Warnings, want) || len(set.Versioned) != 3 {
			t.Errorf("Warnings = %v, Versioned %q", set.Warnings, paths(set.Versioned))
		}
	})

	t.Run("duplicate in two ordinary roots", func(t *testing.T) {
		a := Root{Name: "migrations/common", FS: mapFS("V1_2__a.sql", "SELECT 1;")}
		b := Root{Name: "migrations/dev", FS: mapFS("V1.2__b.sql", "SELECT 2;")}
		_, err := Collect([]Root{a, b}, Options{})
		want := "found more than one migration with version 1.2:\n  -> migrations/common/V1_2__a.sql\n  -> migrations/dev/V1.2__b.sql"
		if err == nil || err.Error() != want {
			t.Fatalf("error = %v, want\n%s", err, want)
		}
		var de *DuplicateError
		if !errors.As(err, &de) || de.Kind != Versioned || de.Key != "1.2" || len(de.Files) != 2 {
			t.Errorf("DuplicateError = %+v", de)
		}
	})

	t.Run("duplicates collected across kinds", func(t *testing.T) {
		a := Root{Name: "a", FS: mapFS(
			"V1__x.sql", "", "V1.0__y.sql", "", "sub/V001__z.sql", "",
			"U3__x.sql", "",
			"B4__x.sql", "",
			"R__same_name.sql", "", "sub/R__same name.sql", "",
			"afterMigrate__x.sql", "",
			"beforeMigrate.sql", "",
			"V5__ok.sql", "", "U5__ok.sql", "", "B5__ok.sql", "",
		)}
		b := Root{Name: "b", FS: mapFS(
			"U3__y.sql", "",
			"B4.0__y.sql", "",
			"afterMigrate__x.SQL", "",
			"beforeMigrate.sql", "",
		)}
		_, err := Collect([]Root{a, b}, Options{})
		if err == nil {
			t.Fatal("no error")
		}
		var got []string
		for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
			var de *DuplicateError
			if !errors.As(e, &de) {
				t.Fatalf("error %v is not a *DuplicateError", e)
			}
			got = append(got, de.Error())
		}
		want := []string{
			"found more than one migration with version 1:\n  -> a/V1.0__y.sql\n  -> a/V1__x.sql\n  -> a/sub/V001__z.sql",
			"found more than one undo migration with version 3:\n  -> a/U3__x.sql\n  -> b/U3__y.sql",
			"found more than one repeatable migration with description \"same name\":\n  -> a/R__same_name.sql\n  -> a/sub/R__same name.sql",
			"found more than one baseline migration with version 4:\n  -> a/B4__x.sql\n  -> b/B4.0__y.sql",
			"found more than one callback script for afterMigrate with description \"x\":\n  -> a/afterMigrate__x.sql\n  -> b/afterMigrate__x.SQL",
			"found more than one callback script for beforeMigrate:\n  -> a/beforeMigrate.sql\n  -> b/beforeMigrate.sql",
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("errors =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})

	t.Run("duplicate inside an override root", func(t *testing.T) {
		o := override("o", "V7__a.sql", "", "sub/V7__b.sql", "")
		_, err := Collect([]Root{common, o}, Options{})
		want := "found more than one migration with version 7:\n  -> o/V7__a.sql\n  -> o/sub/V7__b.sql"
		if err == nil || err.Error() != want {
			t.Errorf("error = %v, want\n%s", err, want)
		}
	})

	t.Run("ordinary root after an override clashes", func(t *testing.T) {
		o := override("o", "V7__o.sql", "")
		later := Root{Name: "later", FS: mapFS("V7__later.sql", "")}
		_, err := Collect([]Root{common, o, later}, Options{})
		want := "found more than one migration with version 7:\n  -> o/V7__o.sql\n  -> later/V7__later.sql"
		if err == nil || err.Error() != want {
			t.Errorf("error = %v, want\n%s", err, want)
		}
	})

	t.Run("duplicates reported before files are read", func(t *testing.T) {
		a := Root{Name: "a", FS: mapFS("V1__x.sql", "\xff", "V1__y.sql.conf", "bogus=1")}
		b := Root{Name: "b", FS: mapFS("V1__y.sql", "")}
		_, err := Collect([]Root{a, b}, Options{})
		var de *DuplicateError
		var ee *EncodingError
		if !errors.As(err, &de) || errors.As(err, &ee) {
			t.Errorf("error = %v, want only the duplicate", err)
		}
	})

	t.Run("naming and duplicate errors together", func(t *testing.T) {
		a := Root{Name: "a", FS: mapFS("V1__x.sql", "", "V1__y.sql", "", "Vx.sql", "")}
		_, err := Collect([]Root{a}, Options{ValidateNaming: true})
		var de *DuplicateError
		var ne *NamingError
		if !errors.As(err, &de) || !errors.As(err, &ne) {
			t.Errorf("error = %v, want both a *DuplicateError and a *NamingError", err)
		}
	})
}

func TestCollectUndoOverride(t *testing.T) {
	common := Root{Name: "migrations/common", FS: mapFS(
		"V7__seven.sql", "SELECT 7;",
		"U7__seven.sql", "SELECT -7;",
		"V8__eight.sql", "SELECT 8;",
	)}
	tests := []struct {
		name  string
		roots []Root
		err   string
	}{
		{"override of V7 without U7", []Root{common, {Name: "prod", Override: true, FS: mapFS("V7__prod.sql", "")}},
			"override prod/V7__prod.sql replaces version 7, but the undo migration migrations/common/U7__seven.sql is not overridden: add U7__<description>.sql to prod too"},
		{"override of V7 with U7", []Root{common, {Name: "prod", Override: true, FS: mapFS("V7__prod.sql", "", "U7__prod.sql", "")}}, ""},
		{"U7 in an earlier override", []Root{common,
			{Name: "o1", Override: true, FS: mapFS("V7__o1.sql", "", "U7__o1.sql", "")},
			{Name: "o2", Override: true, FS: mapFS("V7.0__o2.sql", "")}},
			"override o2/V7.0__o2.sql replaces version 7, but the undo migration o1/U7__o1.sql is not overridden: add U7.0__<description>.sql to o2 too"},
		{"override of U7 only", []Root{common, {Name: "prod", Override: true, FS: mapFS("U7__prod.sql", "")}}, ""},
		{"override of V8 without any U8", []Root{common, {Name: "prod", Override: true, FS: mapFS("V8__prod.sql", "")}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Collect(tt.roots, Options{})
			if tt.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ue *UndoOverrideError
			if !errors.As(err, &ue) {
				t.Fatalf("error = %v, want *UndoOverrideError", err)
			}
			if err.Error() != tt.err {
				t.Errorf("error =\n%s\nwant\n%s", err, tt.err)
			}
		})
	}
}

func TestCollectReadErrors(t *testing.T) {
	root := Root{Name: "loc", FS: mapFS(
		"V1__ok.sql", "SELECT 1;",
		"V2__latin1.sql", "-- caf\xe9\nSELECT 1;",
		"V3__directive.sql", "-- strata:transction=false\n",
		"V4__conf.sql", "SELECT 1;",
		"V4__conf.sql.conf", "encoding=ISO-8859-1\n",
	)}
	_, err := Collect([]Root{root}, Options{})
	if err == nil {
		t.Fatal("no error")
	}
	var ee *EncodingError
	if !errors.As(err, &ee) || ee.Offset != 6 {
		t.Errorf("no *EncodingError at offset 6 in %v", err)
	}
	var de *DirectiveError
	if !errors.As(err, &de) {
		t.Errorf("no *DirectiveError in %v", err)
	}
	want := []string{
		"loc/V2__latin1.sql:1:7: invalid UTF-8 (byte offset 6)",
		`loc/V3__directive.sql:1: unknown directive "transction"`,
		`loc/V4__conf.sql.conf:1: encoding "ISO-8859-1" is not supported`,
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not contain %q:\n%v", w, err)
		}
	}
}

func TestCollectRootErrors(t *testing.T) {
	if _, err := Collect([]Root{{Name: "nil"}}, Options{}); err == nil || !strings.Contains(err.Error(), "walk location nil") {
		t.Errorf("nil FS: error = %v", err)
	}
	missing := filepath.Join(t.TempDir(), "missing")
	_, err := Collect([]Root{{Name: "missing", FS: os.DirFS(missing)}}, Options{})
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "walk location missing: ") {
		t.Errorf("missing dir: error = %v", err)
	}
}

func TestCollectDirFS(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"V1__a.sql":         "SELECT 1;\n",
		"V2__b.sql":         "SELECT 2;\r\n",
		"nested/R__c.sql":   "SELECT 3;",
		".hidden/V3__d.sql": "SELECT 4;",
	}
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 40 {
		name := filepath.Join(dir, "many", fmt.Sprintf("V%d_%d__x.sql", 3+i/3, i%3))
		os.MkdirAll(filepath.Dir(name), 0o755)
		os.WriteFile(name, []byte("SELECT 1;"), 0o644)
	}
	set, err := Collect([]Root{{Name: "db", FS: os.DirFS(dir)}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Versioned) != 42 || len(set.Repeatable) != 1 {
		t.Fatalf("found %d versioned, %d repeatable", len(set.Versioned), len(set.Repeatable))
	}
	if set.Repeatable[0].Script != "nested/R__c.sql" {
		t.Errorf("Script = %q", set.Repeatable[0].Script)
	}
	for i := 1; i < len(set.Versioned); i++ {
		if set.Versioned[i-1].Version.Compare(set.Versioned[i].Version) >= 0 {
			t.Errorf("not sorted: %s before %s", set.Versioned[i-1].Version, set.Versioned[i].Version)
		}
	}
}

func TestFileOpenAndReadText(t *testing.T) {
	raw := "\uFEFF-- x\r\nSELECT 'é';\r\n"
	set, err := Collect([]Root{{Name: "loc/", FS: mapFS("V1__x.sql", raw, "V2__bad.sql", "SELECT 1;")}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := set.Versioned[0]
	if f.Path() != "loc/V1__x.sql" {
		t.Errorf("Path = %q", f.Path())
	}
	r, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	r.Close()
	if err != nil || string(b) != raw {
		t.Errorf("Open read %q, %v; want %q", b, err, raw)
	}
	text, err := f.ReadText()
	if err != nil || text != "-- x\r\nSELECT 'é';\r\n" {
		t.Errorf("ReadText = %q, %v", text, err)
	}

	// The file changed on disk after Collect: ReadText reports bad bytes.
	bad := set.Versioned[1]
	bad.fsys.(fstest.MapFS)["V2__bad.sql"].Data = []byte("SELECT '\xff';")
	var ee *EncodingError
	if _, err := bad.ReadText(); !errors.As(err, &ee) || ee.Offset != 8 || !strings.HasPrefix(err.Error(), "read loc/V2__bad.sql: ") {
		t.Errorf("ReadText of invalid UTF-8: %v", err)
	}

	var empty File
	if _, err := empty.Open(); err == nil {
		t.Error("Open of a File not made by Collect: no error")
	}
	if _, err := empty.ReadText(); err == nil {
		t.Error("ReadText of a File not made by Collect: no error")
	}
}
