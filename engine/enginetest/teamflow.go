package enginetest

import (
	"strings"
	"testing"

	"github.com/stratadb/strata/engine"
)

// discardAndMarkApplied: Discard undoes and records the versions as
// discarded, in Strata's mark column, so that Migrate leaves them alone
// until WithIncludeDiscarded names one; MarkApplied writes rows without
// running the files.
func (s *suite) discardAndMarkApplied(t *testing.T) {
	db := s.newDB(t)()
	files := map[string]string{
		"V1__a.sql": "CREATE TABLE da (id INTEGER);\n",
		"V2__b.sql": "CREATE TABLE db_ (id INTEGER);\n",
		"U2__b.sql": "DROP TABLE db_;\n",
		"V3__c.sql": "CREATE TABLE dc (id INTEGER);\n",
		"U3__c.sql": "DROP TABLE dc;\n",
	}
	mustMigrate(t, s.migrator(t, db, files))
	plan, err := s.migrator(t, db, files).DiscardPlan(ctx(t), "1")
	if err != nil || actionKinds(plan) != "discard 3, discard 2" {
		t.Fatalf("discard plan = %+v, %v", plan, err)
	}
	if _, err := s.migrator(t, db, files).Discard(ctx(t), "1"); err != nil {
		t.Fatalf("discard: %v", err)
	}
	if n := count(t, db, "SELECT count(*) FROM strata_schema_history WHERE type = 'UNDO_SQL' AND mark = 'discard'"); n != 2 {
		t.Fatalf("%d UNDO_SQL rows marked discard, want 2", n)
	}
	if got := states(t, s.migrator(t, db, files)); !strings.HasSuffix(got, "2=Discarded;3=Discarded;") {
		t.Fatalf("states after discard = %s", got)
	}
	if res := mustMigrate(t, s.migrator(t, db, files)); res.Applied() != 0 {
		t.Fatalf("migrate after discard applied %d, want 0", res.Applied())
	}
	if _, err := s.migrator(t, db, files).Validate(ctx(t)); err != nil {
		t.Fatalf("validate after discard: %v", err)
	}
	if res := mustMigrate(t, s.migrator(t, db, files, engine.WithIncludeDiscarded("2"))); res.Applied() != 1 {
		t.Fatalf("migrate including 2 applied %d, want 1", res.Applied())
	}

	// mark-applied: 3 is discarded, so it may be marked; nothing runs.
	res, err := s.migrator(t, db, files).MarkApplied(ctx(t), []string{"3"})
	if err != nil || actionKinds(res) != "mark applied 3" {
		t.Fatalf("mark applied = %+v, %v", res, err)
	}
	conn := mustConn(t, db)
	if ok, _ := s.d.TableExists(ctx(t), conn, "", "dc"); ok {
		t.Fatal("mark applied ran the file")
	}
	if n := count(t, db, "SELECT count(*) FROM strata_schema_history WHERE version = '3' AND type = 'SQL' AND mark = 'skip' AND execution_time = 0"); n != 1 {
		t.Fatalf("%d marked rows for version 3, want 1", n)
	}
	if got := states(t, s.migrator(t, db, files)); !strings.Contains(got, "3=Success;") || strings.Contains(got, "Pending") || strings.Contains(got, "Discarded") {
		t.Fatalf("states after mark applied = %s", got)
	}
	// Again: already applied, nothing to do.
	if res, err := s.migrator(t, db, files).MarkApplied(ctx(t), []string{"3"}); err != nil || len(res.Actions) != 0 {
		t.Fatalf("mark applied again = %+v, %v", res, err)
	}
}

// actionKinds lists the kinds and versions of the actions, without targets
// (whose names differ per dialect).
func actionKinds(res *engine.LifecycleResult) string {
	var out []string
	for _, a := range res.Actions {
		out = append(out, a.Kind+" "+a.Version)
	}
	return strings.Join(out, ", ")
}
