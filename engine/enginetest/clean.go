package enginetest

import (
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/locations"
)

// hasSchemas reports whether the dialect has schemas to create (SQLite has
// one, main, which always exists).
func (s *suite) hasSchemas() bool { return s.d.CreateSchema("x") != "" }

func (s *suite) needCleaner(t *testing.T) {
	if _, ok := s.d.(engine.Cleaner); !ok {
		t.Skipf("%s cannot clean", s.d.Name())
	}
}

// markers returns the SCHEMA rows of the history table as "tenant=script".
func (s *suite) markers(t *testing.T, db *sql.DB, schema string) []string {
	t.Helper()
	rows, err := db.QueryContext(ctx(t), "SELECT tenant, script, description, version, checksum FROM "+s.d.Table(schema, "strata_schema_history")+
		" WHERE type = 'SCHEMA' ORDER BY installed_rank")
	if err != nil {
		t.Fatalf("read SCHEMA rows: %v", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var tenant, script, descr string
		var version, checksum any
		if err := rows.Scan(&tenant, &script, &descr, &version, &checksum); err != nil {
			t.Fatal(err)
		}
		if descr != engine.SchemaCreationDescription || version != nil || checksum != nil {
			t.Fatalf("SCHEMA row %s=%s: description %q, version %v, checksum %v; want Flyway's marker", tenant, script, descr, version, checksum)
		}
		out = append(out, tenant+"="+script)
	}
	return out
}

func (s *suite) schemaExists(t *testing.T, db *sql.DB, name string) bool {
	t.Helper()
	return count(t, db, "SELECT count(*) FROM information_schema.schemata WHERE schema_name = '"+name+"'") == 1
}

func (s *suite) exec(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		if _, err := db.ExecContext(ctx(t), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func kinds(res *engine.LifecycleResult) string {
	var out []string
	for _, a := range res.Actions {
		out = append(out, a.Target+":"+a.Kind)
	}
	return strings.Join(out, ",")
}

// cleanKeepsForeignSchemas: clean drops whole only the schemas Strata
// created (recorded by a SCHEMA row at bootstrap); a schema that existed
// before, holding a table Strata never created, is emptied and kept. On a
// database without schemas (SQLite) the one schema is emptied and nothing
// is recorded.
func (s *suite) cleanKeepsForeignSchemas(t *testing.T) {
	s.needCleaner(t)
	db := s.newDB(t)()
	if !s.hasSchemas() {
		m := s.migrator(t, db, base)
		mustMigrate(t, m)
		if got := s.markers(t, db, ""); len(got) != 0 {
			t.Fatalf("SCHEMA rows on a database without schemas: %v", got)
		}
		s.exec(t, db, "CREATE TABLE keep_me (id INTEGER)")
		plan, err := s.migrator(t, db, base).CleanPlan(ctx(t), nil)
		if err != nil || kinds(plan) != "main:clean schema" || !strings.Contains(plan.Actions[0].Detail, "keep_me") {
			t.Fatalf("clean plan = %+v, %v; want main emptied", plan, err)
		}
		if _, err := s.migrator(t, db, base).Clean(ctx(t), nil); err != nil {
			t.Fatalf("clean: %v", err)
		}
		if n := count(t, db, "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite%'"); n != 0 {
			t.Fatalf("%d objects left after clean", n)
		}
		if res := mustMigrate(t, s.migrator(t, db, base)); res.Applied() != 3 {
			t.Fatalf("migrate after clean applied %d, want 3", res.Applied())
		}
		return
	}
	// "pre" exists before strata, with a comment (standing for its owner
	// and grants, which go with the schema); "made" does not.
	made, pre := s.schema(t, "made"), s.schema(t, "pre")
	s.exec(t, db, s.d.CreateSchema(pre))
	s.markSchema(t, db, pre)
	opts := []engine.Option{engine.WithSchemas(made, pre)}
	mustMigrate(t, s.migrator(t, db, base, opts...))
	wantMarker := made + "=" + s.d.Quote(made)
	if got := strings.Join(s.markers(t, db, made), " "); got != wantMarker {
		t.Fatalf("SCHEMA rows = %s, want one for made only", got)
	}
	// The marker is shown as Flyway shows it and changes nothing pending.
	info, err := s.migrator(t, db, base, opts...).Info(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	first := info.Targets[0].Entries[0]
	if first.Type != engine.TypeSchema || first.State != engine.StateSuccess || first.Category != "" || first.Version != "" || first.Script != s.d.Quote(made) {
		t.Fatalf("first info row = %+v, want the SCHEMA row in state Success", first)
	}
	if res := mustMigrate(t, s.migrator(t, db, base, opts...)); res.Applied() != 0 {
		t.Fatalf("second migrate applied %d", res.Applied())
	}
	if _, err := s.migrator(t, db, base, opts...).Validate(ctx(t)); err != nil {
		t.Fatalf("validate: %v", err)
	}
	s.exec(t, db, "CREATE TABLE "+s.d.Table(pre, "keep_me")+" (id INTEGER)",
		"CREATE VIEW "+s.d.Table(pre, "keep_view")+" AS SELECT id FROM "+s.d.Table(pre, "keep_me"))

	plan, err := s.migrator(t, db, base, opts...).CleanPlan(ctx(t), nil)
	if err != nil || kinds(plan) != made+":drop schema,"+pre+":clean schema" || !strings.Contains(plan.Actions[1].Detail, "keep_me") {
		t.Fatalf("clean plan = %+v, %v", plan, err)
	}
	if !s.schemaExists(t, db, made) {
		t.Fatal("CleanPlan changed something")
	}
	if _, err := s.migrator(t, db, base, opts...).Clean(ctx(t), nil); err != nil {
		t.Fatalf("clean: %v", err)
	}
	if s.schemaExists(t, db, made) {
		t.Fatal("schema made, created by strata, survived clean")
	}
	if !s.schemaExists(t, db, pre) {
		t.Fatal("schema pre, which existed before strata, was dropped")
	}
	if !s.schemaMarked(t, db, pre) {
		t.Fatal("the mark of schema pre is gone: the schema was re-created")
	}
	if n := s.relations(t, db, pre); n != 0 {
		t.Fatalf("%d relations left in pre", n)
	}
	if res := mustMigrate(t, s.migrator(t, db, base, opts...)); res.Applied() != 3 {
		t.Fatalf("migrate after clean applied %d, want 3", res.Applied())
	}
	if got := strings.Join(s.markers(t, db, made), " "); got != wantMarker {
		t.Fatalf("SCHEMA rows after a second bootstrap = %s", got)
	}
}

// markSchema gives schema a property that goes with it: a comment on
// PostgreSQL, a character set on MySQL (whose databases have no comment).
func (s *suite) markSchema(t *testing.T, db *sql.DB, schema string) {
	t.Helper()
	if s.d.Name() == "mysql" {
		s.exec(t, db, "ALTER DATABASE "+s.d.Quote(schema)+" CHARACTER SET latin1")
		return
	}
	s.exec(t, db, "COMMENT ON SCHEMA "+s.d.Quote(schema)+" IS 'kept'")
}

// schemaMarked reports whether schema still has the property markSchema gave it.
func (s *suite) schemaMarked(t *testing.T, db *sql.DB, schema string) bool {
	t.Helper()
	var v sql.NullString
	q := "SELECT obj_description(" + s.d.Literal(s.d.Quote(schema)) + "::regnamespace)"
	if s.d.Name() == "mysql" {
		q = "SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = " + s.d.Literal(schema)
	}
	if err := db.QueryRowContext(ctx(t), q).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v.String == "kept" || v.String == "latin1"
}

// relations counts the tables and views of schema.
func (s *suite) relations(t *testing.T, db *sql.DB, schema string) int {
	t.Helper()
	if s.d.Name() == "mysql" {
		return count(t, db, "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = "+s.d.Literal(schema))
	}
	return count(t, db, "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = "+s.d.Literal(schema))
}

// cleanTenants: a tenant schema strata created belongs to the tenant (its
// SCHEMA row has the tenant's name) and is dropped; a tenant schema that
// existed is emptied; managed schemas created for an env with tenants are
// recorded under no tenant (""), and the history surviving in its own
// schema forgets the cleaned tenants and the dropped schemas.
func (s *suite) cleanTenants(t *testing.T) {
	s.needCleaner(t)
	if !s.hasSchemas() {
		t.Skip("tenants need schemas")
	}
	db := s.newDB(t)()
	tOld, tNew, ctl, shared := s.schema(t, "t_old"), s.schema(t, "t_new"), s.schema(t, "ctl"), s.schema(t, "shared")
	s.exec(t, db, s.d.CreateSchema(tOld), s.d.CreateSchema(ctl))
	opts := []engine.Option{engine.WithSchemas(shared), engine.WithTenants(tOld, tNew), engine.WithHistoryTable(ctl, "strata_schema_history")}
	mustMigrate(t, s.migrator(t, db, base, opts...))
	got := s.markers(t, db, ctl)
	sort.Strings(got)
	if want := "=" + s.d.Quote(shared) + " " + tNew + "=" + s.d.Quote(tNew); strings.Join(got, " ") != want {
		t.Fatalf("SCHEMA rows = %v, want %s", got, want)
	}
	info, err := s.migrator(t, db, base, append(opts, engine.WithDetails())...).Info(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range info.Targets {
		schemaRows := 0
		for _, e := range ti.Entries {
			if e.Type == engine.TypeSchema {
				schemaRows++
			}
		}
		if want := map[string]int{tOld: 0, tNew: 1}[ti.Target]; schemaRows != want {
			t.Fatalf("target %s shows %d SCHEMA rows, want %d", ti.Target, schemaRows, want)
		}
	}
	res, err := s.migrator(t, db, base, opts...).Clean(ctx(t), []string{tOld, tNew})
	if err != nil {
		t.Fatalf("clean: %v", err)
	}
	if k, want := kinds(res), tOld+":clean schema,"+tNew+":drop schema,"+shared+":drop schema"; k != want {
		t.Fatalf("clean did %s, want %s", k, want)
	}
	if !s.schemaExists(t, db, tOld) || s.schemaExists(t, db, tNew) || s.schemaExists(t, db, shared) {
		t.Fatal("wrong schemas dropped")
	}
	if n := count(t, db, "SELECT count(*) FROM "+s.d.Table(ctl, "strata_schema_history")); n != 0 {
		t.Fatalf("%d history rows left after cleaning every tenant and the shared schema", n)
	}
	if res := mustMigrate(t, s.migrator(t, db, base, opts...)); res.Applied() != 6 {
		t.Fatalf("migrate after clean applied %d, want 6", res.Applied())
	}
}

// schemaCreationRace: several runners bootstrapping one database at once
// record the creation of a schema exactly once.
func (s *suite) schemaCreationRace(t *testing.T) {
	if !s.hasSchemas() {
		t.Skip("needs schemas")
	}
	open := s.newDB(t)
	raced := s.schema(t, "raced")
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		db := open()
		m := s.migrator(t, db, base, engine.WithSchemas(raced))
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = m.Migrate(ctx(t))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("migrate: %v", err)
		}
	}
	if got := s.markers(t, open(), raced); strings.Join(got, " ") != raced+"="+s.d.Quote(raced) {
		t.Fatalf("SCHEMA rows = %v, want exactly one", got)
	}
}

// cleanAdoptedFlyway: the SCHEMA row of an adopted Flyway history counts:
// the schemas Flyway created are dropped, another managed schema emptied.
// On SQLite a SCHEMA row naming main changes nothing: main is emptied and
// the file stays.
func (s *suite) cleanAdoptedFlyway(t *testing.T) {
	s.needCleaner(t)
	db := s.newDB(t)()
	v1 := base["V1__create_items.sql"]
	sum, err := locations.Checksum(strings.NewReader(v1))
	if err != nil {
		t.Fatal(err)
	}
	fly, extra, kept := s.schema(t, "fly"), s.schema(t, "extra"), s.schema(t, "kept")
	marker, opts := `"main"`, []engine.Option(nil)
	if s.hasSchemas() {
		marker = s.d.Quote(fly) + "," + s.d.Quote(extra)
		s.exec(t, db, s.d.CreateSchema(fly), s.d.CreateSchema(extra), s.d.CreateSchema(kept), "CREATE TABLE "+s.d.Table(kept, "own")+" (id INTEGER)")
		opts = []engine.Option{engine.WithSchemas(fly, extra, kept)}
	} else {
		fly = ""
	}
	fw := s.d.Table(fly, "flyway_schema_history")
	s.exec(t, db,
		`CREATE TABLE `+fw+` (installed_rank INT NOT NULL PRIMARY KEY, version VARCHAR(50), description VARCHAR(200) NOT NULL,
			type VARCHAR(20) NOT NULL, script VARCHAR(1000) NOT NULL, checksum INT, installed_by VARCHAR(100) NOT NULL,
			installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, execution_time INT NOT NULL, success BOOLEAN NOT NULL)`,
		`INSERT INTO `+fw+` (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES
			(0, NULL, '<< Flyway Schema Creation >>', 'SCHEMA', `+s.d.Literal(marker)+`, NULL, 'flyway', 0, `+s.d.Bool(true)+`),
			(1, '1', 'create items', 'SQL', 'V1__create_items.sql', `+fmt.Sprint(sum)+`, 'flyway', 5, `+s.d.Bool(true)+`)`,
		"CREATE TABLE "+s.d.Table(fly, "items")+" (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL)")
	files := map[string]string{"V1__create_items.sql": v1}
	if _, err := s.migrator(t, db, files, opts...).AdoptFlyway(ctx(t), ""); err != nil {
		t.Fatalf("adopt: %v", err)
	}
	info, err := s.migrator(t, db, files, opts...).Info(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if e := info.Targets[0].Entries[0]; e.Type != engine.TypeSchema || e.State != engine.StateSuccess || e.Script != marker {
		t.Fatalf("first info row after adoption = %+v, want Flyway's SCHEMA row", e)
	}
	res, err := s.migrator(t, db, files, opts...).Clean(ctx(t), nil)
	if err != nil {
		t.Fatalf("clean: %v", err)
	}
	if !s.hasSchemas() {
		if k := kinds(res); k != "main:clean schema" {
			t.Fatalf("clean did %s", k)
		}
		if n := count(t, db, "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite%'"); n != 0 {
			t.Fatalf("%d objects left after clean", n)
		}
		return
	}
	if k, want := kinds(res), fly+":drop schema,"+extra+":drop schema,"+kept+":clean schema"; k != want {
		t.Fatalf("clean did %s, want %s", k, want)
	}
	if s.schemaExists(t, db, fly) || s.schemaExists(t, db, extra) || !s.schemaExists(t, db, kept) {
		t.Fatal("wrong schemas dropped")
	}
	if n := s.relations(t, db, kept); n != 0 {
		t.Fatalf("%d relations left in kept", n)
	}
}
