package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/stratadb/strata/internal/pgtest"
)

// decodeEnvelope decodes a JSON document of --format json and its result
// into result.
func decodeEnvelope(stdout string, result any) (jsonEnvelope, error) {
	var env jsonEnvelope
	var raw json.RawMessage
	env.Result = &raw
	if err := json.Unmarshal([]byte(stdout), &env); err != nil {
		return env, err
	}
	if len(raw) == 0 || string(raw) == "null" {
		return env, fmt.Errorf("the result is null")
	}
	return env, json.Unmarshal(raw, result)
}

// checkedResult checks r's stdout against the published output schema
// (and the envelope's success and exit code against r's) and decodes its
// result into out; the envelope is returned for its error.
func checkedResult(t *testing.T, r result, out any) jsonEnvelope {
	t.Helper()
	sch, err := outputSchema()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := checkJSONOutput(sch, r.stdout, r.code); err != nil {
		t.Fatalf("strata %s: %v\n%s", strings.Join(r.args, " "), err, r)
	}
	env, err := decodeEnvelope(r.stdout, out)
	if err != nil {
		t.Fatalf("strata %s: decode the result: %v\n%s", strings.Join(r.args, " "), err, r)
	}
	return env
}

// outputSchemaPath is the published JSON Schema of --format json.
func outputSchemaPath() string {
	_, here, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(here), "..", "..", "docs", "schema", "strata-output.schema.json")
}

var outputSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	return compileSchema(outputSchemaPath())
})

func compileSchema(path string) (*jsonschema.Schema, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource("strata-output.schema.json", doc); err != nil {
		return nil, err
	}
	return c.Compile("strata-output.schema.json")
}

// checkJSONOutput returns why stdout, printed by a command in JSON mode
// that exited code, breaks the contract: not exactly one JSON document,
// not valid against the schema, or an envelope that contradicts the exit
// code (unless code is anyFailure: unknown). It returns the decoded
// document.
func checkJSONOutput(sch *jsonschema.Schema, stdout string, code int) (map[string]any, error) {
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("stdout is not one JSON object: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return doc, fmt.Errorf("stdout holds more than one JSON document")
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(stdout))
	if err != nil {
		return doc, err
	}
	if err := sch.Validate(inst); err != nil {
		return doc, fmt.Errorf("invalid against %s: %#v", filepath.Base(outputSchemaPath()), err)
	}
	if code == anyFailure {
		return doc, nil
	}
	if doc["success"] != (code == 0) {
		return doc, fmt.Errorf("success is %v, but the exit code is %d", doc["success"], code)
	}
	if e, ok := doc["error"].(map[string]any); ok {
		if got := e["exitCode"].(json.Number).String(); got != fmt.Sprint(code) {
			return doc, fmt.Errorf("error.exitCode is %s, but the exit code is %d", got, code)
		}
	}
	return doc, nil
}

// jsonStep is one command of a JSON scenario and what its document must
// say beyond the schema.
type jsonStep struct {
	args []string
	code int // anyFailure: any exit code but 0
	// errCode is the error's code; fields are top-level error fields
	// that must be set ("file", "line", ...), with the value when not "".
	errCode string
	fields  map[string]string
	// check looks at the whole document.
	check func(t *testing.T, doc map[string]any)
}

// anyFailure is a jsonStep's code when the exit code is not pinned.
const anyFailure = -1

// runJSONSteps runs each step in dir with --format json and checks its
// output against the schema and the step.
func runJSONSteps(t *testing.T, dir string, extra []string, steps []jsonStep) {
	t.Helper()
	sch, err := outputSchema()
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range steps {
		args := append([]string{"--config", filepath.Join(dir, "strata.hcl"), "--format", "json"}, extra...)
		args = append(args, st.args...)
		var out, errOut testWriter
		code := run(context.Background(), args, &out, &errOut)
		name := strings.Join(st.args, " ")
		if code != st.code && (st.code != anyFailure || code == 0) {
			t.Errorf("strata %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", name, code, st.code, out, errOut)
		}
		doc, err := checkJSONOutput(sch, out.String(), code)
		if err != nil {
			t.Errorf("strata %s: %v\nstdout:\n%s\nstderr:\n%s", name, err, out, errOut)
			continue
		}
		if st.errCode != "" {
			e, _ := doc["error"].(map[string]any)
			if e == nil || e["code"] != st.errCode {
				t.Errorf("strata %s: want error code %s, got:\n%s", name, st.errCode, out)
				continue
			}
			for k, want := range st.fields {
				if v := e[k]; v == nil || want != "" && fmt.Sprint(v) != want {
					t.Errorf("strata %s: error.%s = %v, want %q:\n%s", name, k, v, want, out)
				}
			}
		}
		if st.check != nil {
			st.check(t, doc)
		}
	}
}

// field returns the value at a path of keys and list indexes in doc.
func field(doc any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := doc.(map[string]any)
			doc = m[k]
		case int:
			l, _ := doc.([]any)
			if k >= len(l) {
				return nil
			}
			doc = l[k]
		}
	}
	return doc
}

func wantField(want any, path ...any) func(t *testing.T, doc map[string]any) {
	return func(t *testing.T, doc map[string]any) {
		t.Helper()
		if got := field(doc, path...); fmt.Sprint(got) != fmt.Sprint(want) {
			b, _ := json.MarshalIndent(doc, "", "  ")
			t.Errorf("%v = %v, want %v in:\n%s", path, got, want, b)
		}
	}
}

// TestJSONSchema runs every command with --format json, succeeding and
// failing, on SQLite, and validates each document against the published
// schema (TestJSONSchemaPostgres does tenants and the server cases).
func TestJSONSchema(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir) // paths in messages are relative to the working directory
	writeFiles(t, dir, `
-- strata.hcl --
locations = ["db"]
env "dev" {
  url            = "sqlite://x.db"
  clean_disabled = false
}
env "broken" {
  url = "oracle://localhost/x"
}
env "down" {
  url = "postgres://nobody@127.0.0.1:1/x?sslmode=disable"
}
-- db/V1__a.sql --
CREATE TABLE a (id INTEGER);
-- db/U1__a.sql --
DROP TABLE a;
-- db/V2__b.sql --
CREATE TABLE b (id INTEGER);
-- db/U2__b.sql --
DROP TABLE b;
-- db/R__v.sql --
CREATE VIEW IF NOT EXISTS v AS SELECT 1 AS one;
-- db/afterMigrate.sql --
SELECT 1;
-- db/beforeValidate.sql --
SELECT 1;
-- db/V3 bad name.txt --
not a migration
`)
	dev := []string{"--env", "dev"}
	runJSONSteps(t, dir, dev, []jsonStep{
		{args: []string{"config"}, check: wantField("sqlite://x.db", "result", "url")},
		{args: []string{"validate"}, code: exitValidation, errCode: codeValidation, fields: map[string]string{"target": "main"},
			check: wantField("dev", "env")},
		{args: []string{"info"}, check: wantField("false", "result", "tablesExist")},
		{args: []string{"migrate", "--dry-run"}, check: wantField("V1__a.sql", "result", "targets", 0, "migrations", 0, "script")},
		{args: []string{"migrate"}, check: func(t *testing.T, doc map[string]any) {
			wantField("3", "result", "migrationsApplied")(t, doc)
			// beforeValidate is not a callback strata runs: a warning.
			wantField("db/beforeValidate.sql", "warnings", 0, "file")(t, doc)
		}},
		{args: []string{"migrate"}, check: wantField("0", "result", "migrationsApplied")},
		{args: []string{"info"}, check: wantField("2", "result", "targets", 0, "schemaVersion")},
		{args: []string{"validate"}, check: wantField("3", "result", "validatedMigrations")},
		{args: []string{"wait"}, check: wantField("true", "result", "ready")},
		{args: []string{"undo"}, code: exitUsage, errCode: codeNotConfirmed},
		{args: []string{"undo", "--yes"}, check: wantField("undo", "result", "actions", 0, "kind")},
		{args: []string{"undo", "--to", "0", "--yes"}, check: wantField("1", "result", "actions", 0, "version")},
		{args: []string{"undo", "--yes"}, check: wantField("[]", "result", "actions")},
		{args: []string{"repair", "--yes"}, check: wantField("[]", "result", "actions")},
		{args: []string{"baseline", "--version", "5", "--yes"}, code: exitFailed, errCode: codeFailed},
		{args: []string{"baseline", "--from-flyway"}, check: wantField("true", "result", "targets", 0, "skipped")},
		{args: []string{"clean", "--yes"}, check: func(t *testing.T, doc map[string]any) {
			wantField("clean schema", "result", "actions", 0, "kind")(t, doc)
			wantField("[]", "result", "schemasDropped")(t, doc)
			wantField("[main]", "result", "schemasCleaned")(t, doc)
		}},
		{args: []string{"baseline", "--version", "5", "--yes"}, check: wantField("5", "result", "actions", 0, "version")},
		{args: []string{"clean", "--yes"}},
		// Usage errors after the flags were read.
		{args: []string{"migrate", "--target", ""}, code: exitUsage, errCode: codeUsage, check: wantField("migrate", "command")},
		{args: []string{"migrate", "--bogus"}, code: exitUsage, errCode: codeUsage, check: wantField("migrate", "command")},
		{args: []string{"migrate", "extra"}, code: exitUsage, errCode: codeUsage},
		{args: []string{"nosuchcommand"}, code: exitUsage, errCode: codeUsage, check: wantField("<nil>", "command")},
		{args: []string{"baseline"}, code: exitUsage, errCode: codeUsage},
		{args: []string{"info", "--tenant", "acme"}, code: exitUsage, errCode: codeUsage},
	})
	// Drift, a failing migration, an undefined placeholder, a failing
	// callback.
	runJSONSteps(t, dir, dev, []jsonStep{{args: []string{"migrate"}}})
	writeFiles(t, dir, `
-- db/V1__a.sql --
CREATE TABLE a (id INTEGER, edited INTEGER);
`)
	runJSONSteps(t, dir, dev, []jsonStep{
		{args: []string{"validate"}, code: exitValidation, errCode: codeValidation,
			check: func(t *testing.T, doc map[string]any) {
				wantField("CHECKSUM_MISMATCH", "error", "problems", 0, "code")(t, doc)
				wantField("CHECKSUM_MISMATCH", "result", "findings", 0, "code")(t, doc)
			}},
		{args: []string{"migrate"}, code: exitValidation, errCode: codeValidation},
		{args: []string{"repair", "--yes"}, check: wantField("align", "result", "actions", 0, "kind")},
	})
	writeFiles(t, dir, `
-- db/V8__fails.sql --
SELECT 1;
SELECT * FROM nope;
`)
	runJSONSteps(t, dir, dev, []jsonStep{
		{args: []string{"migrate"}, code: exitFailed, errCode: codeMigration,
			fields: map[string]string{"file": "db/V8__fails.sql", "line": "2", "column": "1", "target": "main", "sqlstate": "", "statement": ""},
			check:  wantField("MIGRATION_FAILED", "result", "targets", 0, "error", "code")},
	})
	if err := os.Remove(filepath.Join(dir, "db", "V8__fails.sql")); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dir, `
-- db/V9__ph.sql --
SELECT 1;
SELECT '${nope}';
-- db/V10__ph.sql --
SELECT '${nope_either}';
`)
	runJSONSteps(t, dir, dev, []jsonStep{
		{args: []string{"migrate"}, code: exitValidation, errCode: codePlaceholder,
			fields: map[string]string{"file": "db/V9__ph.sql", "line": "2", "column": "9", "target": "main"},
			check:  wantField("db/V10__ph.sql", "error", "problems", 1, "file")},
	})
	for _, f := range []string{"V9__ph.sql", "V10__ph.sql"} {
		if err := os.Remove(filepath.Join(dir, "db", f)); err != nil {
			t.Fatal(err)
		}
	}
	writeFiles(t, dir, `
-- db/V11__k.sql --
CREATE TABLE k (id INTEGER);
-- db/afterMigrate.sql --
SELECT 1;
SELECT * FROM gone;
`)
	runJSONSteps(t, dir, dev, []jsonStep{
		{args: []string{"migrate"}, code: exitFailed, errCode: codeCallback,
			fields: map[string]string{"file": "db/afterMigrate.sql", "line": "2", "target": "main"},
			check:  wantField("[V11__k.sql]", "error", "applied")},
	})
	// Two kinds of problem found before migrating: checksum drift and a
	// version out of order, each in problems with its code.
	writeFiles(t, dir, `
-- db/V10__late.sql --
SELECT 10;
-- db/V1__a.sql --
CREATE TABLE a (id INTEGER, edited INTEGER, again INTEGER);
`)
	runJSONSteps(t, dir, dev, []jsonStep{
		{args: []string{"migrate"}, code: exitValidation, errCode: codeValidation, check: func(t *testing.T, doc map[string]any) {
			wantField("CHECKSUM_MISMATCH", "error", "problems", 0, "code")(t, doc)
			wantField("OUT_OF_ORDER", "error", "problems", 1, "code")(t, doc)
			wantField("db/V10__late.sql", "error", "problems", 1, "file")(t, doc)
		}},
	})
	// Interrupted (here before anything ran): INTERRUPTED, exit 130.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errOut testWriter
	code := run(ctx, []string{"--config", filepath.Join(dir, "strata.hcl"), "--env", "dev", "--format", "json", "migrate"}, &out, &errOut)
	sch, err := outputSchema()
	if err != nil {
		t.Fatal(err)
	}
	if doc, err := checkJSONOutput(sch, out.String(), code); err != nil || code != exitInterrupted || field(doc, "error", "code") != codeInterrupted {
		t.Errorf("interrupted migrate: exit %d (%v):\n%s\n%s", code, err, out, errOut)
	}
	// new, in a project of its own (its version would be the highest of the
	// project above).
	newDir := t.TempDir()
	writeFiles(t, newDir, `
-- strata.hcl --
locations = ["db"]
env "dev" {
  url = "sqlite://x.db"
}
-- db/V1__a.sql --
SELECT 1;
`)
	runJSONSteps(t, newDir, nil, []jsonStep{
		{args: []string{"new", "add thing", "--undo"}, check: func(t *testing.T, doc map[string]any) {
			files, _ := field(doc, "result", "files").([]any)
			// Paths are relative to the working directory, the other project's.
			if len(files) != 2 || !strings.HasSuffix(fmt.Sprint(files[0]), "/db/V2__add_thing.sql") || !strings.HasSuffix(fmt.Sprint(files[1]), "/db/U2__add_thing.sql") {
				t.Errorf("new: files = %v", files)
			}
		}},
		{args: []string{"new", "a/b"}, code: exitUsage, errCode: codeUsage},
	})
	// Failures before the command can run: configuration, database.
	writeFiles(t, dir, `
-- bad.hcl --
locations = ["db"]
env "dev" {
  url = 42
  nope = true
}
`)
	runJSONSteps(t, dir, nil, []jsonStep{
		{args: []string{"--env", "broken", "info"}, code: exitUsage, errCode: codeConfig,
			fields: map[string]string{"file": "", "line": ""}, check: wantField("broken", "env")},
		{args: []string{"--env", "down", "migrate"}, code: exitUnreachable, errCode: codeUnreachable},
		{args: []string{"--env", "down", "validate"}, code: exitUnreachable, errCode: codeUnreachable},
		{args: []string{"--env", "down", "--url", "sqlite://y.db", "--placeholder", "x", "info"}, code: exitUsage, errCode: codeUsage},
		{args: []string{"info"}, code: exitUsage, errCode: codeConfig, check: wantField("<nil>", "env")},
		{args: []string{"--config", filepath.Join(dir, "bad.hcl"), "config"}, code: exitUsage, errCode: codeConfig,
			fields: map[string]string{"file": "", "line": "4", "column": "3"},
			check:  wantField("4", "error", "problems", 0, "line")},
		{args: []string{"--config", filepath.Join(dir, "missing.hcl"), "new", "x"}, code: exitUsage, errCode: codeConfig},
	})
}

// TestJSONSchemaPostgres is TestJSONSchema for what needs a server:
// tenants, a non-transactional failure, clean of managed schemas,
// adoption of a Flyway history.
func TestJSONSchemaPostgres(t *testing.T) {
	url := pgtest.Database(t)
	dir := t.TempDir()
	t.Chdir(dir) // paths in messages are relative to the working directory
	writeFiles(t, dir, fmt.Sprintf(`
-- strata.hcl --
locations = ["db"]
schemas   = ["app"]
env "pg" {
  url            = %q
  clean_disabled = false
}
env "tenants" {
  url            = %q
  clean_disabled = false
  schemas        = []
  tenants {
    schemas = ["t_one", "t_two"]
  }
  history {
    table = "tenant_history"
  }
}
-- db/V1__a.sql --
CREATE TABLE a (id int);
-- db/U1__a.sql --
DROP TABLE a;
`, url, url))
	runJSONSteps(t, dir, []string{"--env", "tenants"}, []jsonStep{
		{args: []string{"migrate"}, check: wantField("2", "result", "migrationsApplied")},
		{args: []string{"info"}, check: wantField("2", "result", "summary", "upToDate")},
		{args: []string{"info", "--tenant", "t_one"}, check: wantField("t_one", "result", "targets", 0, "target")},
		{args: []string{"info", "--tenant", "nobody"}, code: anyFailure},
		{args: []string{"validate"}, check: wantField("t_two", "result", "targets", 1, "target")},
		{args: []string{"config"}, check: wantField("[t_one t_two]", "result", "tenants", "schemas")},
		{args: []string{"undo", "--yes"}, check: func(t *testing.T, doc map[string]any) {
			if acts, _ := field(doc, "result", "actions").([]any); len(acts) != 2 {
				t.Errorf("undo over two tenants: want 2 actions, got %v", acts)
			}
		}},
	})
	writeFiles(t, dir, `
-- db/V2__nontx.sql --
CREATE INDEX CONCURRENTLY a_idx ON a (id);
INSERT INTO a VALUES ('not a number');
SELECT 1;
`)
	runJSONSteps(t, dir, []string{"--env", "pg"}, []jsonStep{
		{args: []string{"migrate"}, code: exitFailed, errCode: codeMigration,
			fields: map[string]string{"sqlstate": "22P02", "file": "db/V2__nontx.sql", "line": "2", "target": "app"},
			check:  wantField("1", "error", "partial", "statementsApplied")},
		{args: []string{"info"}, check: wantField("1", "result", "targets", 0, "migrations", 2, "statementsApplied")},
		{args: []string{"validate"}, code: exitValidation, errCode: codeValidation},
		{args: []string{"repair", "--yes"}, check: wantField("remove failed", "result", "actions", 0, "kind")},
		{args: []string{"clean", "--yes"}, check: wantField("[app]", "result", "schemasDropped")},
	})
}

// jsonoutCmd is the testscript command "jsonout [code]": the stdout of the
// last command is one document valid against the published schema and,
// with code, its envelope agrees with that exit code.
func jsonoutCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) > 1 {
		ts.Fatalf("usage: jsonout [exit code]")
	}
	sch, err := outputSchema()
	if err != nil {
		ts.Fatalf("%v", err)
	}
	stdout := ts.ReadFile("stdout")
	code := anyFailure
	if len(args) == 1 {
		if code, err = strconv.Atoi(args[0]); err != nil {
			ts.Fatalf("jsonout: bad exit code %q", args[0])
		}
	}
	if _, err := checkJSONOutput(sch, stdout, code); err != nil {
		ts.Fatalf("%v\n%s", err, stdout)
	}
}
