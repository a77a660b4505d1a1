package enginetest

import (
	"errors"
	"strings"
	"testing"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/placeholders"
)

// failingCallback is a callback file whose second line fails, after a
// placeholder whose value is longer than its name: the error must be
// placed in the file on disk (line 2, column 27 where the database says
// where in the statement).
const failingCallback = "-- ${who} was here\nSELECT '${who}' AS w FROM no_such_table_cb;\n"

// callbackFailures: for every migrate event Strata runs, a failing
// callback file fails migrate with an error naming the callback, placed
// in its file, and saying exactly which migrations this run applied (they
// stay applied) and which it did not.
func (s *suite) callbackFailures(t *testing.T) {
	all := []string{"V1__a.sql", "V2__b.sql", "R__v.sql"}
	cases := []struct {
		event      string
		badV2      bool   // V2 fails: the error events
		migration  string // the migration an each-callback rolled back with it
		applied    []string
		notApplied []string
	}{
		{event: engine.BeforeMigrate, notApplied: all},
		{event: engine.BeforeEachMigrate, migration: "db/V1__a.sql", notApplied: all},
		{event: engine.AfterEachMigrate, migration: "db/V1__a.sql", notApplied: all},
		{event: engine.AfterVersioned, applied: all[:2], notApplied: all[2:]},
		{event: engine.BeforeRepeatables, applied: all[:2], notApplied: all[2:]},
		{event: engine.AfterMigrateApplied, applied: all},
		{event: engine.AfterMigrate, applied: all},
		{event: engine.AfterEachMigrateError, badV2: true, applied: all[:1], notApplied: all[1:]},
		{event: engine.AfterMigrateError, badV2: true, applied: all[:1], notApplied: all[1:]},
	}
	for _, tc := range cases {
		t.Run(tc.event, func(t *testing.T) {
			db := s.newDB(t)()
			files := map[string]string{
				"V1__a.sql":       "CREATE TABLE cba (id INTEGER);\n",
				"V2__b.sql":       "CREATE TABLE cbb (id INTEGER);\n",
				"R__v.sql":        "DROP VIEW IF EXISTS cbv;\nCREATE VIEW cbv AS SELECT id FROM cba;\n",
				tc.event + ".sql": failingCallback,
			}
			if tc.badV2 {
				files["V2__b.sql"] = "CREATE TABLE cbb (id INTEGER);\nINSERT INTO no_such_table_v2 VALUES (1);\n"
			}
			vals, err := placeholders.NewValues(map[string]string{"who": "a much longer value"})
			if err != nil {
				t.Fatal(err)
			}
			m := s.migrator(t, db, files, engine.WithPlaceholders(placeholders.Syntax{}, vals))
			res, err := m.Migrate(ctx(t))
			if err == nil {
				t.Fatalf("migrate succeeded with a failing %s callback", tc.event)
			}
			if res == nil || res.Err() == nil {
				t.Fatalf("the result reports no failure: %+v", res)
			}
			var ce *engine.CallbackError
			if !errors.As(err, &ce) {
				t.Fatalf("error is not a *CallbackError: %v", err)
			}
			path := "db/" + tc.event + ".sql"
			if ce.Event != tc.event || ce.Path != path || !strings.Contains(err.Error(), tc.event+" callback "+path) {
				t.Fatalf("error names %s %s: %v", ce.Event, ce.Path, err)
			}
			if ce.Line != 2 || ce.StatementIndex != 0 || !strings.Contains(ce.Statement, "no_such_table_cb") {
				t.Fatalf("error placed at line %d, column %d, statement %d %q; want line 2, the first statement", ce.Line, ce.Column, ce.StatementIndex, ce.Statement)
			}
			if s.d.Name() == "postgres" && ce.Column != 27 {
				t.Fatalf("error placed at column %d, want 27 (through the placeholder)", ce.Column)
			}
			if ce.Migration != tc.migration {
				t.Fatalf("rolled back with %q, want %q", ce.Migration, tc.migration)
			}
			if strings.Join(ce.Applied, ",") != strings.Join(tc.applied, ",") || strings.Join(ce.NotApplied, ",") != strings.Join(tc.notApplied, ",") {
				t.Fatalf("error says applied %v, not applied %v; want %v and %v", ce.Applied, ce.NotApplied, tc.applied, tc.notApplied)
			}
			msg := err.Error()
			if len(tc.applied) > 0 && !strings.Contains(msg, "applied by this run and still applied: "+strings.Join(tc.applied, ", ")) {
				t.Fatalf("message does not say what stayed applied: %s", msg)
			}
			if len(tc.applied) == 0 && !strings.Contains(msg, "this run applied no migration") {
				t.Fatalf("message does not say nothing was applied: %s", msg)
			}
			if len(tc.notApplied) > 0 && !strings.Contains(msg, "not applied: "+strings.Join(tc.notApplied, ", ")) {
				t.Fatalf("message does not say what was not applied: %s", msg)
			}
			if tc.badV2 {
				// The migration's own error comes first, not hidden by the callback's.
				var me *engine.MigrationError
				if !errors.As(err, &me) || me.Path != "db/V2__b.sql" || !strings.HasPrefix(msg, "apply db/V2__b.sql") {
					t.Fatalf("the migration's error is hidden: %v", err)
				}
			}
			// The history agrees with the error: exactly the applied ones.
			var got []string
			rows, err := db.QueryContext(ctx(t), "SELECT script FROM "+s.d.Table("", "strata_schema_history")+" WHERE type = 'SQL' AND success ORDER BY installed_rank")
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var sc string
				if err := rows.Scan(&sc); err != nil {
					t.Fatal(err)
				}
				got = append(got, sc)
			}
			rows.Close()
			if strings.Join(got, ",") != strings.Join(tc.applied, ",") {
				t.Fatalf("history holds %v, the error said %v", got, tc.applied)
			}
			// Fixed, the next run applies the rest and runs the callback.
			files[tc.event+".sql"] = "SELECT 1;\n"
			files["V2__b.sql"] = "CREATE TABLE cbb (id INTEGER);\n"
			res = mustMigrate(t, s.migrator(t, db, files))
			if res.Applied() != len(tc.notApplied) {
				t.Fatalf("the run after the fix applied %d, want %d", res.Applied(), len(tc.notApplied))
			}
		})
	}
}
