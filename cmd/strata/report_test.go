package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// reportSchemaPath is the published JSON Schema of migrate --report.
func reportSchemaPath() string {
	_, here, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(here), "..", "..", "docs", "schema", "strata-rollout-report.schema.json")
}

var reportSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	return compileSchema(reportSchemaPath())
})

// readReport reads a report file, checks it against the published schema
// and decodes it.
func readReport(t *testing.T, path string) jsonReport {
	t.Helper()
	sch, err := reportSchema()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read the report: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(string(data)))
	if err != nil {
		t.Fatalf("the report is not JSON: %v\n%s", err, data)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("the report does not match %s: %v\n%s", reportSchemaPath(), err, data)
	}
	var r jsonReport
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("decode the report: %v", err)
	}
	return r
}

// TestReportSchema: a real report, of a run that applied and of one that
// failed, matches the published schema (the schema is checked against
// reports of tenant rollouts on PostgreSQL in rollout_process_test.go).
func TestReportSchema(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeFiles(t, dir, `
-- strata.hcl --
locations = ["db"]
env "dev" { url = "sqlite://x.db" }
-- db/V1__a.sql --
CREATE TABLE a (id INTEGER);
-- db/V2__b.sql --
CREATE TABLE b (id INTEGER);
`)
	report := filepath.Join(dir, "report.json")
	var out, errOut testWriter
	if code := run(context.Background(), []string{"migrate", "--report", report}, &out, &errOut); code != 0 {
		t.Fatalf("migrate: exit %d\n%s\n%s", code, out, errOut)
	}
	r := readReport(t, report)
	if r.Outcome != "succeeded" || len(r.Tenants) != 1 || r.Tenants[0].Outcome != "applied" || len(r.Tenants[0].Applied) != 2 ||
		r.Tenants[0].VersionBefore != "" || r.Tenants[0].VersionAfter != "2" || r.Summary.MigrationsApplied != 2 || r.Env != "dev" {
		t.Errorf("report of the first run: %+v", r)
	}

	writeFiles(t, dir, "\n-- db/V3__bad.sql --\nCREATE TABLE a (id INTEGER);\n")
	out, errOut = testWriter{}, testWriter{}
	if code := run(context.Background(), []string{"migrate", "--report", report}, &out, &errOut); code != 1 {
		t.Fatalf("migrate with a failing V3: exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	r = readReport(t, report)
	tn := r.Tenants[0]
	if r.Outcome != "failed" || tn.Outcome != "failed" || tn.VersionBefore != "2" || tn.VersionAfter != "2" || len(tn.Errors) != 1 ||
		tn.Errors[0].Kind != "permanent" || tn.Errors[0].Retried || !strings.Contains(tn.Errors[0].Message, "V3__bad.sql") {
		t.Errorf("report of the failed run: %+v", r)
	}

	out, errOut = testWriter{}, testWriter{}
	if code := run(context.Background(), []string{"migrate", "--report", report, "--dry-run"}, &out, &errOut); code != exitUsage {
		t.Errorf("--report with --dry-run: exit %d, want %d", code, exitUsage)
	}
	out, errOut = testWriter{}, testWriter{}
	if code := run(context.Background(), []string{"migrate", "--report", filepath.Join(dir, "no", "such", "dir", "r.json")}, &out, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), "--report") {
		t.Errorf("a report that cannot be written: exit %d, want 1 and the error\n%s\n%s", code, out, errOut)
	}
}
