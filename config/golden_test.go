package config

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/stratadb/strata/locations"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// secretText is the value every test secret contains; no rendered output may
// show it.
const secretText = "s3cret"

// testOptions reads "# test: key=value" lines: env=NAME, var=NAME=VALUE,
// setenv=NAME=VALUE, placeholder=NAME=VALUE, url=URL.
func testOptions(t *testing.T, src []byte) Options {
	t.Helper()
	opts := Options{Vars: map[string]string{}, Placeholders: map[string]string{}}
	envVars := map[string]string{}
	for _, line := range strings.Split(string(src), "\n") {
		rest, ok := strings.CutPrefix(line, "# test: ")
		if !ok {
			continue
		}
		key, val, _ := strings.Cut(rest, "=")
		name, value, _ := strings.Cut(val, "=")
		switch key {
		case "env":
			opts.Env = val
		case "url":
			opts.URLOverride = val
		case "var":
			opts.Vars[name] = value
		case "setenv":
			envVars[name] = value
		case "placeholder":
			opts.Placeholders[name] = value
		default:
			t.Fatalf("unknown test option %q", key)
		}
	}
	opts.LookupEnv = func(name string) (string, bool) {
		v, ok := envVars[name]
		return v, ok
	}
	return opts
}

// render writes the diagnostics as the CLI will, then the resolved env.
func render(t *testing.T, cfg *Config, diags hcl.Diagnostics) string {
	t.Helper()
	var buf bytes.Buffer
	if cfg == nil {
		t.Fatal("Parse returned a nil Config")
	}
	w := hcl.NewDiagnosticTextWriter(&buf, cfg.Files, 0, false) // no wrapping: the output must not depend on the length of the checkout path
	if err := w.WriteDiagnostics(diags); err != nil {
		t.Fatal(err)
	}
	if len(diags) == 0 {
		buf.WriteString("(no diagnostics)\n")
	}
	if cfg.Env != nil {
		buf.WriteString("\n")
		buf.WriteString(dumpEnv(cfg.Env, cfg.Dir))
	}
	return strings.ReplaceAll(buf.String(), cfg.Dir, "$DIR")
}

// dumpEnv renders an env the way `strata config` might, secrets hidden.
func dumpEnv(e *Env, dir string) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("env %s", e.Name)
	p("  url = %s", e.DisplayURL())
	for _, l := range e.Locations {
		kind := "env"
		switch {
		case l.Shared:
			kind = "shared"
		case l.Override:
			kind = "override"
		}
		rel, _ := filepath.Rel(dir, l.Path)
		p("  location %-8s %s (%s) line %d", kind, l.Display, filepath.ToSlash(rel), l.Range.Start.Line)
	}
	p("  out_of_order = %v, validate_naming = %v, clean_disabled = %v", e.OutOfOrder, e.ValidateNaming, e.CleanDisabled)
	p("  hotfixes = %q, schemas = %q", e.Hotfixes, e.Schemas)
	p("  placeholders: prefix %q suffix %q enabled %v", e.Placeholders.Prefix, e.Placeholders.Suffix, e.Placeholders.Enabled)
	for _, k := range e.Placeholders.Keys() {
		p("    %s = %s", k, e.Placeholders.Values[k].Display())
	}
	p("  history: schema %q table %q", e.History.Schema, e.History.Table)
	if t := e.Tenants; t != nil {
		p("  tenants: schemas %q query %q pattern %q parallel %d on_error %q", t.Schemas, t.Query, t.Pattern, t.Parallel, t.OnError)
	}
	p("  lock.timeout = %s, lock_timeout = %q, statement_timeout = %q, pooler = %q", e.Lock.Timeout, e.LockTimeout, e.StatementTimeout, e.Pooler)
	p("  ignore_migration_patterns = %q, target = %q, installed_by = %q", e.IgnoreMigrationPatterns, e.Target, e.InstalledBy)
	if n := e.Naming; !reflect.DeepEqual(n, locations.DefaultNaming()) {
		p("  naming: V %q U %q R %q B %q separator %q suffixes %q", n.VersionedPrefix, n.UndoPrefix, n.RepeatablePrefix, n.BaselinePrefix, n.Separator, n.Suffixes)
	}
	if e.ConnectRetries != DefaultConnectRetries || e.ConnectRetriesInterval != DefaultConnectRetriesInterval {
		p("  connect_retries = %d, connect_retries_interval = %s", e.ConnectRetries, e.ConnectRetriesInterval)
	}
	keys := make([]string, 0, len(e.Ranges))
	for k := range e.Ranges {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		r := e.Ranges[k]
		p("  range %s: line %d, column %d", k, r.Start.Line, r.Start.Column)
	}
	return b.String()
}

func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/*.hcl files")
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".hcl")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			cfg, diags := Parse(src, file, testOptions(t, src))
			got := render(t, cfg, diags)
			if strings.Contains(got, secretText) {
				t.Errorf("output shows the secret %q:\n%s", secretText, got)
			}
			checkRanges(t, src, file, diags)
			if diags.HasErrors() != (cfg.Env == nil) {
				t.Errorf("errors %v but Env %v", diags.HasErrors(), cfg.Env)
			}
			golden := strings.TrimSuffix(file, ".hcl") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (run go test -update):\n--- got\n%s\n--- want\n%s", golden, got, want)
			}
		})
	}
}

// checkRanges fails when a diagnostic's range is outside src or names
// another file.
func checkRanges(t *testing.T, src []byte, filename string, diags hcl.Diagnostics) {
	t.Helper()
	for _, d := range diags {
		for _, r := range []*hcl.Range{d.Subject, d.Context} {
			if r == nil {
				continue
			}
			if r.Filename != filename {
				t.Errorf("diagnostic %q: range in %q, want %q", d.Summary, r.Filename, filename)
			}
			if r.Start.Byte < 0 || r.Start.Byte > r.End.Byte || r.End.Byte > len(src) || r.Start.Line < 1 || r.Start.Column < 1 {
				t.Errorf("diagnostic %q: range %#v outside the %d-byte input", d.Summary, *r, len(src))
			}
		}
	}
}
