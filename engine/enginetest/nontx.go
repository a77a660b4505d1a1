package enginetest

import (
	"database/sql"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/placeholders"
)

// The journey of a non-transactional file that fails part-way: what the
// failure, info, validate and repair say, resuming after a fix of a
// statement that had not run, refusing after a change to one that had, and
// the in-place upgrade of layout-1 tables that made statement checksums
// possible.

// journey is a file with its own transaction (so it runs statement by
// statement on every dialect) whose fifth statement has a typo.
const journey = "CREATE TABLE journey_log (n INTEGER);\n" + // 1, line 1
	"INSERT INTO journey_log (n) VALUES (1);\n" + // 2, line 2
	"BEGIN;\n" + // 3
	"INSERT INTO journey_log (n) VALUES (2);\n" + // 4
	"INSERT INTO journey_lgo (n) VALUES (3);\n" + // 5: the typo
	"COMMIT;\n" + // 6
	"INSERT INTO journey_log (n) VALUES (4);\n" // 7

func journeyFiles() map[string]string {
	return map[string]string{
		"V1__start.sql":   "CREATE TABLE journey_start (id INTEGER);\n",
		"V2__journey.sql": journey,
	}
}

// failJourney migrates the journey files and checks the failure.
func (s *suite) failJourney(t *testing.T, db *sql.DB, files map[string]string) {
	t.Helper()
	_, err := s.migrator(t, db, files).Migrate(ctx(t))
	var me *engine.MigrationError
	if !errors.As(err, &me) || me.Partial == nil {
		t.Fatalf("migrate = %v, want a MigrationError with what stayed applied", err)
	}
	p := me.Partial
	if me.RolledBack || p.Applied != 2 || p.Failed != 5 || p.Total != 7 || me.StatementIndex != 4 || me.Line != 5 {
		t.Fatalf("failure: rolled back %v, applied %d, failed %d, total %d, index %d, line %d; want not rolled back, 2, 5, 7, 4, 5",
			me.RolledBack, p.Applied, p.Failed, p.Total, me.StatementIndex, me.Line)
	}
	msg := err.Error()
	for _, want := range []string{
		"statements 1-2 of 7 stayed applied (not rolled back): #1 line 1: CREATE TABLE journey_log (n INTEGER); #2 line 2: INSERT INTO journey_log (n) VALUES (1)",
		"statements 3-4 (inside the file's own transaction) were rolled back; statement 5 failed; statements 6-7 did not run",
		"it resumes at statement 3",
		"run repair",
	} {
		if !strings.Contains(msg, want) {
			t.Fatalf("error %q\nlacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "rolled back and") || strings.Contains(msg, "its changes were rolled back") {
		t.Fatalf("error claims a rollback: %s", msg)
	}
	if n := count(t, db, "SELECT count(*) FROM journey_log"); n != 1 {
		t.Fatalf("journey_log has %d rows after the failure, want 1 (statement 2 only)", n)
	}
}

func (s *suite) nonTxJourney(t *testing.T) {
	db := s.newDB(t)()
	files := journeyFiles()
	s.failJourney(t, db, files)

	info, err := s.migrator(t, db, files).Info(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	var partial *engine.PartialRun
	for _, e := range info.Targets[0].Entries {
		if e.Version == "2" {
			partial = e.Partial
		}
	}
	if partial == nil || partial.Summary() != "partially applied (statements 1-2 of 7)" || !partial.Resumable() {
		t.Fatalf("info of V2: %+v, want partially applied (statements 1-2 of 7), resumable", partial)
	}
	_, err = s.migrator(t, db, files).Validate(ctx(t))
	if err == nil || !strings.Contains(err.Error(), "the file is unchanged") || !strings.Contains(err.Error(), "it resumes at statement 3") {
		t.Fatalf("validate with the file unchanged = %v", err)
	}

	// Fix the typo: statement 5 had not run, so the run resumes.
	files["V2__journey.sql"] = strings.Replace(journey, "journey_lgo", "journey_log", 1)
	_, err = s.migrator(t, db, files).Validate(ctx(t))
	if err == nil || !strings.Contains(err.Error(), "the file changed only after the statements that ran") || !strings.Contains(err.Error(), "resume at statement 3") {
		t.Fatalf("validate after fixing statement 5 = %v", err)
	}
	if res := mustMigrate(t, s.migrator(t, db, files)); res.Applied() != 1 {
		t.Fatalf("resume applied %d migrations, want 1", res.Applied())
	}
	// Statements 1-2 did not run again (CREATE TABLE would have failed, the
	// row with 1 would be there twice).
	for n, want := range map[int]int{1: 1, 2: 1, 3: 1, 4: 1} {
		if got := count(t, db, "SELECT count(*) FROM journey_log WHERE n = "+string(rune('0'+n))); got != want {
			t.Fatalf("journey_log has %d rows with n = %d, want %d", got, n, want)
		}
	}
	if n := count(t, db, "SELECT count(*) FROM strata_schema_history WHERE version = '2' AND success = "+s.d.Bool(true)+" AND progress = 7 AND statement_checksums IS NULL"); n != 1 {
		t.Fatalf("V2 not recorded as a complete success")
	}
	// The row took the checksum of the fixed file: validate passes.
	if _, err := s.migrator(t, db, files).Validate(ctx(t)); err != nil {
		t.Fatalf("validate after the resume: %v", err)
	}
}

func (s *suite) nonTxAppliedChanged(t *testing.T) {
	db := s.newDB(t)()
	files := journeyFiles()
	s.failJourney(t, db, files)

	// Statement 2 already ran: changing it is refused before anything runs.
	edited := clone(files)
	edited["V2__journey.sql"] = strings.Replace(journey, "VALUES (1)", "VALUES (10)", 1)
	_, err := s.migrator(t, db, edited).Migrate(ctx(t))
	var ve *engine.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("migrate after editing statement 2 = %v, want a refusal", err)
	}
	for _, want := range []string{"statement 2 (line 2: INSERT INTO journey_log (n) VALUES (10)) already ran and has changed since", "revert that statement", "run repair"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("refusal %q\nlacks %q", err, want)
		}
	}
	if n := count(t, db, "SELECT count(*) FROM journey_log"); n != 1 {
		t.Fatalf("journey_log has %d rows after the refusal, want 1: something ran", n)
	}
	if _, err := s.migrator(t, db, edited).Validate(ctx(t)); err == nil || !strings.Contains(err.Error(), "statement 2 (line 2") {
		t.Fatalf("validate after editing statement 2 = %v", err)
	}

	// Repair says what it cannot undo.
	plan, err := s.migrator(t, db, edited).RepairPlan(ctx(t))
	if err != nil || len(plan.Actions) != 1 {
		t.Fatalf("repair plan = %+v, %v", plan, err)
	}
	left := plan.Actions[0].Leftover
	for _, want := range []string{"statements 1-2 of db/V2__journey.sql stayed applied and repair does not undo them", "DROP TABLE journey_log", "start the file from its first statement"} {
		if !strings.Contains(left, want) {
			t.Fatalf("repair's leftover %q\nlacks %q", left, want)
		}
	}
	res, err := s.migrator(t, db, edited).Repair(ctx(t))
	if err != nil || len(res.Actions) != 1 || res.Actions[0].Leftover == "" {
		t.Fatalf("repair = %+v, %v", res, err)
	}

	// The next migrate starts from statement 1, whose table is still there.
	_, err = s.migrator(t, db, edited).Migrate(ctx(t))
	var me *engine.MigrationError
	if !errors.As(err, &me) || me.StatementIndex != 0 || !strings.Contains(me.Advice, "already exists") || !strings.Contains(me.Advice, "DROP TABLE journey_log") {
		t.Fatalf("migrate after repair = %v, want statement 1 failing on the table left behind, named", err)
	}
	if me.Partial == nil || me.Partial.Applied != 0 {
		t.Fatalf("partial after a failure at statement 1 = %+v", me.Partial)
	}
	// Undo by hand, and the unchanged file runs from statement 1.
	if _, err := db.ExecContext(ctx(t), "DROP TABLE journey_log"); err != nil {
		t.Fatal(err)
	}
	edited["V2__journey.sql"] = strings.Replace(edited["V2__journey.sql"], "journey_lgo", "journey_log", 1)
	mustMigrate(t, s.migrator(t, db, edited))
	if n := count(t, db, "SELECT count(*) FROM journey_log"); n != 4 {
		t.Fatalf("journey_log has %d rows, want 4", n)
	}
}

// oldColumn matches the columns layouts 2 and 3 added, in every dialect's DDL.
var oldColumn = regexp.MustCompile(`,\s*["\[` + "`" + `](statement_checksums|mark)["\]` + "`" + `] +(TEXT|NVARCHAR\(MAX\)|MEDIUMTEXT|VARCHAR\(20\)|NVARCHAR\(20\))`)

func (s *suite) layoutUpgrade(t *testing.T) {
	open := s.newDB(t)
	db := open()
	// Layout 1, as the previous DDL created it.
	for _, q := range s.d.CreateTables(engine.Tables{History: "strata_schema_history"}) {
		old := oldColumn.ReplaceAllString(q, "")
		if strings.Contains(old, "statement_checksums") || strings.Contains(old, `"mark"`) || strings.Contains(old, "[mark]") || strings.Contains(old, "`mark`") {
			t.Fatalf("could not derive the layout-1 DDL from %s", q)
		}
		if _, err := db.ExecContext(ctx(t), old); err != nil {
			t.Fatalf("%s: %v", old, err)
		}
	}
	if _, err := db.ExecContext(ctx(t), "INSERT INTO strata_schema_history_meta (name, value) VALUES ('layout', '1')"); err != nil {
		t.Fatal(err)
	}
	layout := func() string {
		var v string
		if err := db.QueryRowContext(ctx(t), "SELECT value FROM strata_schema_history_meta WHERE name = 'layout'").Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	files := journeyFiles()
	// Reading does not upgrade.
	if _, err := s.migrator(t, db, files).Info(ctx(t)); err != nil {
		t.Fatalf("info on layout 1: %v", err)
	}
	if got := layout(); got != "1" {
		t.Fatalf("layout after info = %s, want 1 (info changes nothing)", got)
	}
	// Several migrators at once: one upgrades, all proceed.
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			other := open()
			defer other.Close()
			_, errs[i] = s.migrator(t, other, files).Migrate(ctx(t))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		// Whoever runs V2 stops at statement 5; a runner that comes later
		// resumes it at statement 3 and stops there again.
		var me *engine.MigrationError
		if !errors.As(err, &me) || me.Partial == nil || me.Partial.Applied != 2 || me.Partial.Failed != 5 {
			t.Fatalf("migrate on layout 1 = %v, want a failure at statement 5 with statements 1-2 applied", err)
		}
	}
	if n := count(t, db, "SELECT count(*) FROM journey_log"); n != 1 {
		t.Fatalf("journey_log has %d rows, want 1: a statement ran twice", n)
	}
	if got := layout(); got != strconv.Itoa(engine.Layout) {
		t.Fatalf("layout after migrate = %s, want %d", got, engine.Layout)
	}
	if n := count(t, db, "SELECT count(*) FROM strata_schema_history WHERE version = '2' AND statement_checksums IS NOT NULL"); n != 1 {
		t.Fatalf("the failed row has no statement checksums after the upgrade")
	}
	// A row written before the upgrade has no checksums: a changed file
	// cannot be compared, and the message says why.
	if _, err := db.ExecContext(ctx(t), "UPDATE strata_schema_history SET statement_checksums = NULL"); err != nil {
		t.Fatal(err)
	}
	files["V2__journey.sql"] = strings.Replace(journey, "journey_lgo", "journey_log", 1)
	if _, err := s.migrator(t, db, files).Migrate(ctx(t)); err == nil || !strings.Contains(err.Error(), "does not record each statement that ran") {
		t.Fatalf("migrate with a changed file and no statement checksums = %v", err)
	}
	// A newer layout is refused.
	if _, err := db.ExecContext(ctx(t), "UPDATE strata_schema_history_meta SET value = '"+strconv.Itoa(engine.Layout+1)+"' WHERE name = 'layout'"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.migrator(t, db, files).Migrate(ctx(t)); !errors.Is(err, engine.ErrLayoutTooNew) {
		t.Fatalf("migrate on layout %d = %v, want ErrLayoutTooNew", engine.Layout+1, err)
	}
}

// nonTxPlaceholders: statement checksums are taken from the file on disk,
// before placeholders, so a new placeholder value is not a change to an
// applied statement, and lines are those of the file even when a value
// spans lines.
func (s *suite) nonTxPlaceholders(t *testing.T) {
	db := s.newDB(t)()
	file := "-- strata:transaction=false\n" +
		"CREATE TABLE ph_log (who TEXT);\n" + // 1, line 2
		"INSERT INTO ph_log (who) VALUES ('${who}');\n" + // 2, line 3
		"INSERT INTO ph_log (who) VALUES ('${multi}');\n" + // 3, line 4
		"INSERT INTO nowhere (who) VALUES ('x');\n" + // 4, line 5: fails
		"INSERT INTO ph_log (who) VALUES ('end');\n" // 5
	files := map[string]string{"V1__ph.sql": file}
	vals := func(who string) engine.Option {
		v, err := placeholders.NewValues(map[string]string{"who": who, "multi": "a\nb\nc"})
		if err != nil {
			t.Fatal(err)
		}
		return engine.WithPlaceholders(placeholders.Syntax{}, v)
	}
	_, err := s.migrator(t, db, files, vals("first")).Migrate(ctx(t))
	var me *engine.MigrationError
	if !errors.As(err, &me) || me.Partial == nil || me.Partial.Applied != 3 || me.Line != 5 {
		t.Fatalf("migrate = %v, want statements 1-3 applied and a failure at line 5", err)
	}
	if !strings.Contains(err.Error(), "#2 line 3: INSERT INTO ph_log (who) VALUES ('${who}'); #3 line 4: INSERT INTO ph_log (who) VALUES ('${multi}')") {
		t.Fatalf("error lists the applied statements otherwise than as the file has them: %v", err)
	}
	// Another value for ${who}, and statement 4 fixed: the run resumes.
	files["V1__ph.sql"] = strings.Replace(file, "nowhere", "ph_log", 1)
	mustMigrate(t, s.migrator(t, db, files, vals("second")))
	if n := count(t, db, "SELECT count(*) FROM ph_log"); n != 4 {
		t.Fatalf("ph_log has %d rows, want 4 (statements 2-5 once each)", n)
	}
	if n := count(t, db, "SELECT count(*) FROM ph_log WHERE who = 'first'"); n != 1 {
		t.Fatalf("statement 2 ran %d times, want once", n)
	}
}

// nonTxLong: past the statements whose checksums every progress update
// writes (100), the failure writes them all, so a fix of the failed
// statement still resumes; and the message lists the first and last
// applied statements.
func (s *suite) nonTxLong(t *testing.T) {
	db := s.newDB(t)()
	var b strings.Builder
	b.WriteString("-- strata:transaction=false\nCREATE TABLE long_log (n INTEGER);\n")
	for i := 1; i <= 120; i++ {
		b.WriteString("INSERT INTO long_log (n) VALUES (" + strconv.Itoa(i) + ");\n")
	}
	file := b.String() + "INSERT INTO nowhere (n) VALUES (0);\nINSERT INTO long_log (n) VALUES (121);\n"
	files := map[string]string{"V1__long.sql": file}
	_, err := s.migrator(t, db, files).Migrate(ctx(t))
	var me *engine.MigrationError
	if !errors.As(err, &me) || me.Partial == nil || me.Partial.Applied != 121 || me.Partial.Total != 123 {
		t.Fatalf("migrate = %v, want statements 1-121 of 123 applied", err)
	}
	if !strings.Contains(err.Error(), "statements 1-121 of 123 stayed applied (not rolled back): #1 line 2: CREATE TABLE long_log (n INTEGER); #2 line 3: INSERT INTO long_log (n) VALUES (1); #3 line 4: INSERT INTO long_log (n) VALUES (2); #120 line 121: INSERT INTO long_log (n) VALUES (119); #121 line 122: INSERT INTO long_log (n) VALUES (120); and 116 more") {
		t.Fatalf("error lists: %v", err)
	}
	files["V1__long.sql"] = strings.Replace(file, "nowhere", "long_log", 1)
	mustMigrate(t, s.migrator(t, db, files))
	if n := count(t, db, "SELECT count(*) FROM long_log"); n != 122 {
		t.Fatalf("long_log has %d rows, want 122", n)
	}
}
