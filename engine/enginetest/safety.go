package enginetest

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stratadb/strata/engine"
)

// safetyNet checks that Strata refuses what would harm existing data and
// reports every problem before anything runs.
func (s *suite) safetyNet(t *testing.T) {
	t.Run("NonEmptySchemaRefused", s.nonEmptyRefused)
	t.Run("NonEmptySchemaNamesFlywayTable", s.nonEmptyFlyway)
	t.Run("BaselineOnMigrate", s.baselineOnMigrate)
	t.Run("BaselineCommandBesideBaselineOnMigrate", s.baselineCommandBeside)
	t.Run("TypeEditedByHand", s.typeEdited)
	t.Run("HistoryRowDeletedByHand", s.rowDeleted)
	t.Run("OnePreflightReportsEverything", s.onePreflight)
	t.Run("ValidateChecksPendingPlaceholders", s.validatePlaceholders)
	t.Run("PendingPatternCoversOutdatedRepeatable", s.pendingCoversOutdated)
}

// The reproduction of the first finding of the safety-net issue: an
// existing schema whose migrations would re-create and overwrite objects.
func (s *suite) nonEmptyRefused(t *testing.T) {
	db := s.newDB(t)()
	for _, q := range []string{"CREATE TABLE t (id INTEGER)", "INSERT INTO t (id) VALUES (2)", "CREATE VIEW tv AS SELECT id FROM t"} {
		if _, err := db.ExecContext(ctx(t), q); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{"V1__init.sql": "CREATE TABLE IF NOT EXISTS t (id INTEGER);\nDELETE FROM t;\nINSERT INTO t (id) VALUES (1);\n"}
	_, err := s.migrator(t, db, files).Migrate(ctx(t))
	var ne *engine.NonEmptySchemaError
	if !errors.As(err, &ne) {
		t.Fatalf("migrate over a non-empty schema: err = %v, want a NonEmptySchemaError", err)
	}
	if got := strings.Join(ne.Objects, ","); !strings.Contains(got, "table t") || !strings.Contains(got, "view tv") {
		t.Fatalf("objects named = %q, want table t and view tv", got)
	}
	if ne.FlywayTable != "" {
		t.Fatalf("flyway table %q reported where there is none", ne.FlywayTable)
	}
	if n := count(t, db, "SELECT id FROM t"); n != 2 {
		t.Fatalf("t holds %d after the refusal, want the untouched 2", n)
	}
	conn := mustConn(t, db)
	if ok, _ := s.d.TableExists(ctx(t), conn, "", "strata_schema_history"); ok {
		t.Fatal("strata created its history table although it refused")
	}
	// validate and info say the same, without creating anything either.
	_, verr := s.migrator(t, db, files).Validate(ctx(t))
	var ve *engine.ValidationError
	if !errors.As(verr, &ve) || !hasFinding(ve, "NON_EMPTY_SCHEMA") {
		t.Fatalf("validate = %v, want a NON_EMPTY_SCHEMA finding", verr)
	}
	info, err := s.migrator(t, db, files).Info(ctx(t))
	if err != nil || info.Targets[0].NonEmpty == nil {
		t.Fatalf("info = %+v, %v: want the refusal shown", info, err)
	}
}

func (s *suite) nonEmptyFlyway(t *testing.T) {
	db := s.newDB(t)()
	if _, err := db.ExecContext(ctx(t), "CREATE TABLE flyway_schema_history (installed_rank INTEGER)"); err != nil {
		t.Fatal(err)
	}
	_, err := s.migrator(t, db, base).Migrate(ctx(t))
	var ne *engine.NonEmptySchemaError
	if !errors.As(err, &ne) || !strings.Contains(ne.FlywayTable, "flyway_schema_history") {
		t.Fatalf("err = %v, want a refusal naming the Flyway table", err)
	}
	if !strings.Contains(err.Error(), "AdoptFlyway") {
		t.Fatalf("message does not name the adoption: %v", err)
	}
}

func (s *suite) baselineOnMigrate(t *testing.T) {
	db := s.newDB(t)()
	if _, err := db.ExecContext(ctx(t), "CREATE TABLE legacy (id INTEGER)"); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"V1__legacy.sql": "CREATE TABLE legacy (id INTEGER);\n",
		"V2__more.sql":   "CREATE TABLE more_items (id INTEGER);\n",
	}
	res := mustMigrate(t, s.migrator(t, db, files, engine.WithBaselineOnMigrate("1", "")))
	if res.Applied() != 1 || res.Targets[0].Applied[0].Version != "2" {
		t.Fatalf("applied %+v, want only version 2 above the baseline", res.Targets[0].Applied)
	}
	if got := states(t, s.migrator(t, db, files)); got != "1=Baseline;2=Success;1=Ignored (Baseline);" {
		t.Fatalf("states = %s", got)
	}
	if res := mustMigrate(t, s.migrator(t, db, files, engine.WithBaselineOnMigrate("1", ""))); res.Applied() != 0 {
		t.Fatalf("second run applied %d", res.Applied())
	}
	if _, err := s.migrator(t, db, files).Validate(ctx(t)); err != nil {
		t.Fatalf("validate after baseline on migrate: %v", err)
	}
	// On an empty schema baseline on migrate changes nothing: all run.
	empty := s.newDB(t)()
	if res := mustMigrate(t, s.migrator(t, empty, files, engine.WithBaselineOnMigrate("1", ""))); res.Applied() != 2 {
		t.Fatalf("empty schema: applied %d, want 2", res.Applied())
	}
	if n := count(t, empty, "SELECT COUNT(*) FROM strata_schema_history WHERE type = 'BASELINE'"); n != 0 {
		t.Fatalf("empty schema got %d baseline rows", n)
	}
}

// An explicit baseline at another version wins over the configured
// baseline on migrate: the lifecycle commands see the history as recorded,
// not the baseline row migrate would write.
func (s *suite) baselineCommandBeside(t *testing.T) {
	db := s.newDB(t)()
	if _, err := db.ExecContext(ctx(t), "CREATE TABLE legacy3 (id INTEGER)"); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for v := 1; v <= 4; v++ {
		files[fmt.Sprintf("V%d__s.sql", v)] = fmt.Sprintf("CREATE TABLE bs%d (id INTEGER);\n", v)
	}
	if _, err := s.migrator(t, db, files, engine.WithBaselineOnMigrate("1", "")).Baseline(ctx(t), "3", ""); err != nil {
		t.Fatalf("baseline --version 3 with baseline_on_migrate configured: %v", err)
	}
	res := mustMigrate(t, s.migrator(t, db, files, engine.WithBaselineOnMigrate("1", "")))
	if res.Applied() != 1 || res.Targets[0].Applied[0].Version != "4" {
		t.Fatalf("applied %+v, want only 4", res.Targets[0].Applied)
	}
}

func (s *suite) typeEdited(t *testing.T) {
	db := s.newDB(t)()
	mustMigrate(t, s.migrator(t, db, base))
	if _, err := db.ExecContext(ctx(t), "UPDATE strata_schema_history SET type = 'JDBC' WHERE version = '1'"); err != nil {
		t.Fatal(err)
	}
	_, err := s.migrator(t, db, base).Migrate(ctx(t))
	var ve *engine.ValidationError
	var oe *engine.OrderError
	if !errors.As(err, &ve) || !hasFinding(ve, "TYPE_MISMATCH") || errors.As(err, &oe) {
		t.Fatalf("migrate after a type edit: %v, want TYPE_MISMATCH and no out-of-order advice", err)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM strata_schema_history WHERE version = '1'"); n != 1 {
		t.Fatalf("%d rows for version 1: an applied migration ran again", n)
	}
	if _, err := s.migrator(t, db, base).Repair(ctx(t)); err != nil {
		t.Fatalf("repair: %v", err)
	}
	if _, err := s.migrator(t, db, base).Validate(ctx(t)); err != nil {
		t.Fatalf("validate after repair: %v", err)
	}
}

func (s *suite) rowDeleted(t *testing.T) {
	db := s.newDB(t)()
	files := map[string]string{
		"V1__a.sql": "CREATE TABLE da (id INTEGER);\n",
		"V2__b.sql": "CREATE TABLE db_ (id INTEGER);\n",
		"V3__c.sql": "CREATE TABLE dc (id INTEGER);\n",
	}
	mustMigrate(t, s.migrator(t, db, files))
	if _, err := db.ExecContext(ctx(t), "DELETE FROM strata_schema_history WHERE version = '2'"); err != nil {
		t.Fatal(err)
	}
	_, err := s.migrator(t, db, files).Migrate(ctx(t))
	var ve *engine.ValidationError
	var oe *engine.OrderError
	if !errors.As(err, &ve) || !hasFinding(ve, "HISTORY_ROW_MISSING") || errors.As(err, &oe) {
		t.Fatalf("migrate after a deleted row: %v, want HISTORY_ROW_MISSING and no out-of-order advice", err)
	}
	if strings.Contains(err.Error(), "out_of_order") {
		t.Fatalf("the advice could run version 2 again: %v", err)
	}
	_, verr := s.migrator(t, db, files).Validate(ctx(t))
	if !errors.As(verr, &ve) || !hasFinding(ve, "HISTORY_ROW_MISSING") || hasFinding(ve, "RESOLVED_VERSIONED_MIGRATION_NOT_APPLIED") {
		t.Fatalf("validate after a deleted row: %v", verr)
	}
	info, err := s.migrator(t, db, files).Info(ctx(t))
	if err != nil || len(info.Targets[0].Problems) != 1 {
		t.Fatalf("info problems = %+v, %v", info.Targets[0].Problems, err)
	}
	// repair accepts the history as it stands: the finding goes, and the
	// version is then an ordinary out-of-order one.
	if _, err := s.migrator(t, db, files).Repair(ctx(t)); err != nil {
		t.Fatalf("repair: %v", err)
	}
	if _, err := s.migrator(t, db, files).Migrate(ctx(t)); !errors.As(err, &oe) {
		t.Fatalf("migrate after repair: %v, want the out-of-order refusal", err)
	}
}

func (s *suite) onePreflight(t *testing.T) {
	db := s.newDB(t)()
	files := map[string]string{
		"V1__a.sql": "CREATE TABLE pa (id INTEGER);\n",
		"V2__b.sql": "CREATE TABLE pb (id INTEGER);\n",
	}
	mustMigrate(t, s.migrator(t, db, files))
	files["V1__a.sql"] = "CREATE TABLE pa (id INTEGER, changed INTEGER);\n"
	files["V1_5__late.sql"] = "CREATE TABLE plate (id INTEGER);\n"
	files["V3__c.sql"] = "CREATE TABLE pc (id INTEGER);\nINSERT INTO pc (id) VALUES (${nowhere});\n"
	_, err := s.migrator(t, db, files).Migrate(ctx(t))
	var ve *engine.ValidationError
	var oe *engine.OrderError
	var pe *engine.PlaceholderError
	if !errors.As(err, &ve) || !hasFinding(ve, "CHECKSUM_MISMATCH") || !errors.As(err, &oe) || !errors.As(err, &pe) {
		t.Fatalf("one run must report the drift, the out-of-order file and the placeholder together; got %v", err)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM strata_schema_history"); n != 2 {
		t.Fatalf("history has %d rows after a refused run, want 2", n)
	}
	// The dry run refuses the same way.
	m := s.migrator(t, db, files)
	if _, err := m.Plan(ctx(t)); !errors.As(err, &pe) || !errors.As(err, &oe) {
		t.Fatalf("plan: %v", err)
	}
}

func (s *suite) validatePlaceholders(t *testing.T) {
	db := s.newDB(t)()
	files := map[string]string{"V1__a.sql": "CREATE TABLE vp (id INTEGER);\n-- ${nope}\n"}
	_, err := s.migrator(t, db, files, engine.WithIgnorePatterns("*:pending")).Validate(ctx(t))
	var ve *engine.ValidationError
	if !errors.As(err, &ve) || !hasFinding(ve, "UNDEFINED_PLACEHOLDER") {
		t.Fatalf("validate = %v, want the undefined placeholder of the pending file", err)
	}
}

func (s *suite) pendingCoversOutdated(t *testing.T) {
	db := s.newDB(t)()
	files := map[string]string{"V1__a.sql": "CREATE TABLE po (id INTEGER);\n", "R__v.sql": "DROP VIEW IF EXISTS pov;\nCREATE VIEW pov AS SELECT id FROM po;\n"}
	mustMigrate(t, s.migrator(t, db, files))
	files["R__v.sql"] = "DROP VIEW IF EXISTS pov;\nCREATE VIEW pov AS SELECT id, id AS again FROM po;\n"
	_, err := s.migrator(t, db, files).Validate(ctx(t))
	var ve *engine.ValidationError
	if !errors.As(err, &ve) || !hasFinding(ve, "OUTDATED_REPEATABLE_MIGRATION") {
		t.Fatalf("validate = %v, want the outdated repeatable", err)
	}
	if _, err := s.migrator(t, db, files, engine.WithIgnorePatterns("*:pending")).Validate(ctx(t)); err != nil {
		t.Fatalf("validate with *:pending = %v, want the outdated repeatable ignored", err)
	}
}

func hasFinding(ve *engine.ValidationError, code string) bool {
	for _, f := range ve.Findings {
		if f.Code == code {
			return true
		}
	}
	return false
}
