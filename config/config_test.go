package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/stratadb/strata/locations"
)

// project makes a directory with the given folders and files (names ending
// in "/" are folders) and returns it.
func project(t *testing.T, paths ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, p := range paths {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte("file "+p+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// fakeEnv is a LookupEnv over a map.
func fakeEnv(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// mustParse parses src as dir/strata.hcl and fails on any diagnostic.
func mustParse(t *testing.T, dir, src string, opts Options) *Config {
	t.Helper()
	if opts.LookupEnv == nil {
		opts.LookupEnv = fakeEnv(nil)
	}
	cfg, diags := Parse([]byte(src), filepath.Join(dir, "strata.hcl"), opts)
	if len(diags) > 0 {
		t.Fatalf("unexpected diagnostics:\n%s", renderDiags(cfg, diags))
	}
	if cfg.Env == nil {
		t.Fatal("Env is nil without diagnostics")
	}
	return cfg
}

// parseErr parses src and returns the rendered diagnostics, failing when
// there is no error.
func parseErr(t *testing.T, dir, src string, opts Options) string {
	t.Helper()
	if opts.LookupEnv == nil {
		opts.LookupEnv = fakeEnv(nil)
	}
	cfg, diags := Parse([]byte(src), filepath.Join(dir, "strata.hcl"), opts)
	if !diags.HasErrors() {
		t.Fatalf("no error for:\n%s", src)
	}
	if cfg.Env != nil {
		t.Error("Env is set although there are errors")
	}
	checkRanges(t, []byte(src), filepath.Join(dir, "strata.hcl"), diags)
	var b strings.Builder
	for _, d := range diags {
		b.WriteString(d.Summary + ": " + d.Detail)
		if d.Subject != nil {
			fmt.Fprintf(&b, " (line %d)", d.Subject.Start.Line)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func renderDiags(cfg *Config, diags hcl.Diagnostics) string {
	var b strings.Builder
	var files map[string]*hcl.File
	if cfg != nil {
		files = cfg.Files
	}
	_ = hcl.NewDiagnosticTextWriter(&b, files, 80, false).WriteDiagnostics(diags)
	return b.String()
}

func TestDefaults(t *testing.T) {
	dir := project(t)
	cfg := mustParse(t, dir, `env "dev" { url = "sqlite://dev.db" }`, Options{})
	e := cfg.Env
	want := &Env{
		Name:                    "dev",
		URL:                     Value{Text: "sqlite://dev.db"},
		CleanDisabled:           true,
		Placeholders:            Placeholders{Prefix: "${", Suffix: "}", Enabled: true, Values: map[string]Value{}},
		History:                 History{Table: "strata_schema_history"},
		Lock:                    Lock{Timeout: 30 * time.Second},
		IgnoreMigrationPatterns: []string{"*:future"},
		Target:                  "latest",
		BaselineVersion:         "1",
		Naming:                  locations.DefaultNaming(),
		ConnectRetriesInterval:  120 * time.Second,
		ConnectTimeout:          10 * time.Second,
		NetworkTimeout:          30 * time.Second,
	}
	// Ranges are checked elsewhere; compare the settings.
	got := *e
	got.URLRange, got.History.Range, got.Ranges, got.Range, got.dir = hcl.Range{}, hcl.Range{}, nil, hcl.Range{}, ""
	if !reflect.DeepEqual(&got, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", got, *want)
	}
	if cfg.Path != filepath.Join(dir, "strata.hcl") || cfg.Dir != dir {
		t.Errorf("Path %q Dir %q", cfg.Path, cfg.Dir)
	}
	if !reflect.DeepEqual(cfg.Envs, []string{"dev"}) {
		t.Errorf("Envs %q", cfg.Envs)
	}
	if e.Tenants != nil {
		t.Errorf("Tenants %+v, want nil", e.Tenants)
	}
}

func TestMerge(t *testing.T) {
	dir := project(t, "m/common/", "m/dev/", "m/prod/", "m/over/", "m/g/a/", "m/g/b/", "m/g/file.sql")
	tests := []struct {
		name  string
		src   string
		env   string
		check func(t *testing.T, e *Env)
	}{
		{
			name: "locations append, shared first, then overrides",
			src: `
locations = ["m/common"]
env "dev" {
  url       = "sqlite://dev.db"
  locations = ["m/dev", "m/prod"]
  overrides = ["m/over"]
}`,
			check: func(t *testing.T, e *Env) {
				var got []string
				for _, l := range e.Locations {
					got = append(got, l.Display)
				}
				if want := []string{"m/common", "m/dev", "m/prod", "m/over"}; !reflect.DeepEqual(got, want) {
					t.Errorf("locations %q, want %q", got, want)
				}
				flags := func(l Location) [2]bool { return [2]bool{l.Shared, l.Override} }
				wantFlags := [][2]bool{{true, false}, {false, false}, {false, false}, {false, true}}
				for i, l := range e.Locations {
					if flags(l) != wantFlags[i] {
						t.Errorf("%s: shared/override %v, want %v", l.Display, flags(l), wantFlags[i])
					}
					if l.Path != filepath.Join(dir, filepath.FromSlash(l.Display)) {
						t.Errorf("%s: path %q", l.Display, l.Path)
					}
				}
				if r := e.Locations[1].Range; r.Start.Line != 5 || r.Start.Column != 16 {
					t.Errorf("range of m/dev: %v", r)
				}
			},
		},
		{
			name: "glob locations expand to folders in sorted order",
			src: `
env "dev" {
  url       = "sqlite://dev.db"
  locations = ["m/g/*"]
}`,
			check: func(t *testing.T, e *Env) {
				var got []string
				for _, l := range e.Locations {
					got = append(got, l.Display)
				}
				if want := []string{"m/g/a", "m/g/b"}; !reflect.DeepEqual(got, want) {
					t.Errorf("locations %q, want %q", got, want)
				}
			},
		},
		{
			name: "placeholder values merge by key, case-insensitively",
			src: `
placeholders {
  values = { app_role = "app_rw", region = "eu", Schema_Owner = "owner" }
}
env "dev" {
  url = "sqlite://dev.db"
  placeholders {
    values = { APP_ROLE = "app_dev", extra = 1 }
  }
}`,
			check: func(t *testing.T, e *Env) {
				want := map[string]Value{
					"APP_ROLE":     {Text: "app_dev"},
					"region":       {Text: "eu"},
					"Schema_Owner": {Text: "owner"},
					"extra":        {Text: "1"},
					"cli":          {Text: "x"},
				}
				if !reflect.DeepEqual(e.Placeholders.Values, want) {
					t.Errorf("values %v, want %v", e.Placeholders.Values, want)
				}
				if got := e.Placeholders.Keys(); !reflect.DeepEqual(got, []string{"APP_ROLE", "cli", "extra", "region", "Schema_Owner"}) {
					t.Errorf("Keys() = %q", got)
				}
			},
		},
		{
			name: "nested blocks merge attribute by attribute",
			src: `
placeholders {
  prefix  = "#["
  suffix  = "]"
  enabled = false
}
history {
  schema = "control"
  table  = "flyway_schema_history"
}
lock {
  timeout = "1m"
}
env "dev" {
  url = "sqlite://dev.db"
  placeholders { suffix = "]]" }
  history { table = "strata_history" }
  lock {}
}`,
			check: func(t *testing.T, e *Env) {
				p := e.Placeholders
				if p.Prefix != "#[" || p.Suffix != "]]" || p.Enabled {
					t.Errorf("placeholders %+v", p)
				}
				if e.History.Schema != "control" || e.History.Table != "strata_history" {
					t.Errorf("history %+v", e.History)
				}
				if e.History.Range.Start.Line != 17 {
					t.Errorf("history range %v, want the env's block (line 17)", e.History.Range)
				}
				if e.Lock.Timeout != time.Minute {
					t.Errorf("lock timeout %v", e.Lock.Timeout)
				}
			},
		},
		{
			name: "false in env overrides true at top level",
			src: `
out_of_order    = true
validate_naming = true
placeholders { enabled = true }
env "dev" {
  url             = "sqlite://dev.db"
  out_of_order    = false
  validate_naming = false
  placeholders { enabled = false }
}`,
			check: func(t *testing.T, e *Env) {
				if e.OutOfOrder || e.ValidateNaming || e.Placeholders.Enabled {
					t.Errorf("out_of_order %v validate_naming %v enabled %v, want all false", e.OutOfOrder, e.ValidateNaming, e.Placeholders.Enabled)
				}
				if r, ok := e.Ranges["out_of_order"]; !ok || r.Start.Line != 7 {
					t.Errorf("out_of_order range %v, want line 7 (the env's)", r)
				}
			},
		},
		{
			name: "true at top level is inherited when the env says nothing",
			src: `
out_of_order = true
env "dev" { url = "sqlite://dev.db" }`,
			check: func(t *testing.T, e *Env) {
				if !e.OutOfOrder {
					t.Error("out_of_order not inherited")
				}
			},
		},
		{
			name: "lists and scalars replace",
			src: `
schemas                   = ["a", "b"]
hotfixes                  = ["1.1"]
ignore_migration_patterns = ["*:missing"]
target                    = "5"
lock_timeout              = "5s"
statement_timeout         = "1m"
installed_by              = "ci"
env "dev" {
  url                       = "sqlite://dev.db"
  schemas                   = ["c"]
  hotfixes                  = []
  ignore_migration_patterns = ["Repeatable:Missing", "versioned:*"]
  target                    = "7.10"
  statement_timeout         = "2m"
  pooler                    = "transaction"
}`,
			check: func(t *testing.T, e *Env) {
				if !reflect.DeepEqual(e.Schemas, []string{"c"}) {
					t.Errorf("schemas %q", e.Schemas)
				}
				if len(e.Hotfixes) != 0 {
					t.Errorf("hotfixes %q, want empty", e.Hotfixes)
				}
				if !reflect.DeepEqual(e.IgnoreMigrationPatterns, []string{"repeatable:missing", "versioned:*"}) {
					t.Errorf("ignore patterns %q", e.IgnoreMigrationPatterns)
				}
				if e.Target != "7.10" || e.LockTimeout != "5s" || e.StatementTimeout != "2m" || e.InstalledBy != "ci" || e.Pooler != "transaction" {
					t.Errorf("target %q lock_timeout %q statement_timeout %q installed_by %q pooler %q",
						e.Target, e.LockTimeout, e.StatementTimeout, e.InstalledBy, e.Pooler)
				}
			},
		},
		{
			name: "null in env means inherit",
			src: `
target = "3"
env "dev" {
  url    = "sqlite://dev.db"
  target = null
}`,
			check: func(t *testing.T, e *Env) {
				if e.Target != "3" {
					t.Errorf("target %q, want the top-level 3", e.Target)
				}
			},
		},
		{
			name: "require_ack and confirm merge by presence",
			src: `
require_ack = false
confirm     = true
env "dev" {
  url         = "sqlite://dev.db"
  require_ack = true
  confirm     = false
}`,
			check: func(t *testing.T, e *Env) {
				if e.RequireAck == nil || !*e.RequireAck || e.Confirm {
					t.Errorf("require_ack %v confirm %v, want the env's true and false", e.RequireAck, e.Confirm)
				}
			},
		},
		{
			name: "require_ack unset",
			src: `
env "dev" {
  url = "sqlite://dev.db"
}`,
			check: func(t *testing.T, e *Env) {
				if e.RequireAck != nil || e.Confirm {
					t.Errorf("require_ack %v confirm %v, want unset and false", e.RequireAck, e.Confirm)
				}
			},
		},
		{
			name: "tenants and clean_disabled",
			src: `
env "dev" {
  url            = "postgres://db/app"
  clean_disabled = false
  tenants {
    schemas  = ["t1", "t2"]
    parallel = 16
    on_error = "stop"
  }
}`,
			check: func(t *testing.T, e *Env) {
				want := &Tenants{Schemas: []string{"t1", "t2"}, Parallel: 16, OnError: "stop", Retries: DefaultTenantsRetries}
				got := *e.Tenants
				got.Range = hcl.Range{}
				if !reflect.DeepEqual(&got, want) {
					t.Errorf("tenants %+v, want %+v", got, *want)
				}
				if e.CleanDisabled {
					t.Error("clean_disabled = false ignored")
				}
			},
		},
		{
			name: "tenant pattern with defaults",
			src: `
env "dev" {
  url = "postgres://db/app"
  tenants { pattern = "tenant_*" }
}`,
			check: func(t *testing.T, e *Env) {
				if tn := e.Tenants; tn.Pattern != "tenant_*" || tn.Parallel != 4 || tn.OnError != "continue" {
					t.Errorf("tenants %+v", *tn)
				}
			},
		},
		{
			name: "literal ${ is written $${",
			src: `
placeholders {
  prefix = "$${"
  values = { tpl = "$${x} and %%{y}" }
}
env "dev" { url = "sqlite://dev.db" }`,
			check: func(t *testing.T, e *Env) {
				if e.Placeholders.Prefix != "${" {
					t.Errorf("prefix %q", e.Placeholders.Prefix)
				}
				if v := e.Placeholders.Values["tpl"].Text; v != "${x} and %{y}" {
					t.Errorf("tpl %q", v)
				}
			},
		},
		{
			name: "selected env among several",
			env:  "prod",
			src: `
env "dev" { url = "sqlite://dev.db" }
env "prod" { url = "postgres://db/app" }`,
			check: func(t *testing.T, e *Env) {
				if e.Name != "prod" || e.URL.Text != "postgres://db/app" {
					t.Errorf("env %q url %q", e.Name, e.URL.Text)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := mustParse(t, dir, tt.src, Options{Env: tt.env, Placeholders: map[string]string{"cli": "x"}})
			tt.check(t, cfg.Env)
		})
	}
}

func TestSensitive(t *testing.T) {
	dir := project(t, "secret.txt")
	env := fakeEnv(map[string]string{"PW": "s3cret", "STAGE": "dev"})
	tests := []struct {
		name    string
		src     string
		vars    map[string]string
		url     bool // whether the URL is sensitive
		role    bool // whether placeholder "role" is sensitive
		roleVal string
	}{
		{
			name: "format with env() is sensitive",
			src:  `env "dev" { url = format("postgres://u:%s@h/db", env("PW")) }`,
			url:  true,
		},
		{
			name: "template with env() is sensitive",
			src:  `env "dev" { url = "postgres://u:${env("PW")}@h/db" }`,
			url:  true,
		},
		{
			name: "env() with default is sensitive",
			src:  `env "dev" { url = env("NOPE", "sqlite://dev.db") }`,
			url:  true,
		},
		{
			name: "file() is sensitive",
			src:  `env "dev" { url = trimspace(file("secret.txt")) }`,
			url:  true,
		},
		{
			name: "sensitive variable",
			src: `
variable "pw" {
  sensitive = true
  default   = "x"
}
env "dev" { url = "postgres://u:${var.pw}@h/db" }`,
			url: true,
		},
		{
			name: "sensitive variable set by --var",
			src: `
variable "pw" { sensitive = true }
env "dev" { url = "postgres://u:${var.pw}@h/db" }`,
			vars: map[string]string{"pw": "s3cret"},
			url:  true,
		},
		{
			name: "plain text is not sensitive",
			src: `
variable "stage" { default = "dev" }
env "dev" { url = "sqlite://${var.stage}.db" }`,
		},
		{
			name: "placeholder values keep their own sensitivity",
			src: `
env "dev" {
  url = "sqlite://dev.db"
  placeholders {
    values = { role = upper(env("PW")), plain = "x" }
  }
}`,
			role:    true,
			roleVal: "S3CRET",
		},
		{
			name: "placeholder map built by a function keeps marks per value",
			src: `
env "dev" {
  url = "sqlite://dev.db"
  placeholders {
    values = merge({ role = "r" }, { pw = env("PW") })
  }
}`,
			role:    false,
			roleVal: "r",
		},
		{
			name: "sensitivity survives conditionals",
			src: `
env "dev" {
  url = env("STAGE") == "dev" ? "sqlite://dev.db" : "sqlite://other.db"
}`,
			url: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := mustParse(t, dir, tt.src, Options{LookupEnv: env, Vars: tt.vars})
			e := cfg.Env
			if e.URL.Sensitive != tt.url {
				t.Errorf("URL.Sensitive = %v, want %v", e.URL.Sensitive, tt.url)
			}
			if tt.url {
				if d := e.URL.Display(); d != "(sensitive)" {
					t.Errorf("Display() = %q", d)
				}
				if d := e.DisplayURL(); d != "(sensitive)" {
					t.Errorf("DisplayURL() = %q", d)
				}
			}
			if tt.roleVal != "" {
				v := e.Placeholders.Values["role"]
				if v.Sensitive != tt.role || v.Text != tt.roleVal {
					t.Errorf("role = %+v, want text %q sensitive %v", v, tt.roleVal, tt.role)
				}
			}
			if p, ok := e.Placeholders.Values["plain"]; ok && p.Sensitive {
				t.Error("plain placeholder is sensitive")
			}
			if p, ok := e.Placeholders.Values["pw"]; ok && (!p.Sensitive || p.Text != "s3cret") {
				t.Errorf("pw = %+v, want sensitive s3cret", p)
			}
		})
	}
}

func TestValueNeverPrintsSecret(t *testing.T) {
	v := Value{Text: "s3cret", Sensitive: true}
	for _, s := range []string{v.Display(), v.String(), v.GoString()} {
		if strings.Contains(s, "s3cret") {
			t.Errorf("%q shows the secret", s)
		}
	}
	if got := (Value{Text: "plain"}).Display(); got != "plain" {
		t.Errorf("Display() = %q", got)
	}
}

func TestOnlySelectedEnvEvaluated(t *testing.T) {
	dir := project(t)
	src := `
variable "prod_password" {
  type      = string
  sensitive = true
}
env "dev" {
  url = "sqlite://dev.db"
}
env "prod" {
  url = "postgres://app:${var.prod_password}@db/${env("UNSET")}"
  installed_by = file("missing.txt")
  placeholders { values = { x = env("ALSO_UNSET") } }
}`
	cfg := mustParse(t, dir, src, Options{Env: "dev"})
	if cfg.Env.Name != "dev" {
		t.Errorf("env %q", cfg.Env.Name)
	}
	if !reflect.DeepEqual(cfg.Envs, []string{"dev", "prod"}) {
		t.Errorf("Envs %q", cfg.Envs)
	}
	// Selecting prod evaluates it and reports each problem.
	out := parseErr(t, dir, src, Options{Env: "prod"})
	for _, want := range []string{"No value for variable", "UNSET", "missing.txt", "ALSO_UNSET"} {
		if !strings.Contains(out, want) {
			t.Errorf("prod: no %q in\n%s", want, out)
		}
	}
	// The other envs are still checked against the schema.
	out = parseErr(t, dir, `
env "dev" { url = "sqlite://dev.db" }
env "prod" {
  ulr = env("UNSET")
  url = "x${var.nope}"
}`, Options{Env: "dev"})
	for _, want := range []string{`Did you mean "url"?`, "Undeclared variable"} {
		if !strings.Contains(out, want) {
			t.Errorf("schema check of other env: no %q in\n%s", want, out)
		}
	}
}

func TestVars(t *testing.T) {
	dir := project(t, "m/a/", "m/b/")
	src := `
variable "port" {
  type    = number
  default = 5432
}
variable "dirs" {
  type    = list(string)
  default = ["m/a"]
}
variable "flag" {
  type    = bool
  default = false
}
variable "name" {}
variable "opts" {
  type    = map(string)
  default = {}
}
env "dev" {
  url          = "postgres://db:${var.port}/app"
  locations    = var.dirs
  out_of_order = var.flag
  installed_by = var.name
  placeholders { values = var.opts }
}`
	tests := []struct {
		name  string
		vars  map[string]string
		check func(t *testing.T, e *Env)
	}{
		{
			name: "defaults",
			vars: map[string]string{"name": "n"},
			check: func(t *testing.T, e *Env) {
				if e.URL.Text != "postgres://db:5432/app" || len(e.Locations) != 1 || e.OutOfOrder || e.InstalledBy != "n" {
					t.Errorf("%+v", e)
				}
			},
		},
		{
			name: "--var converted to the declared types",
			vars: map[string]string{"port": "6543", "dirs": `["m/a", "m/b"]`, "flag": "true", "name": "42", "opts": `{ k = "v" }`},
			check: func(t *testing.T, e *Env) {
				if e.URL.Text != "postgres://db:6543/app" {
					t.Errorf("url %q", e.URL.Text)
				}
				if len(e.Locations) != 2 || !e.OutOfOrder || e.InstalledBy != "42" {
					t.Errorf("locations %v out_of_order %v installed_by %q", e.Locations, e.OutOfOrder, e.InstalledBy)
				}
				if e.Placeholders.Values["k"].Text != "v" {
					t.Errorf("values %v", e.Placeholders.Values)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := mustParse(t, dir, src, Options{Vars: tt.vars})
			tt.check(t, cfg.Env)
		})
	}

	errTests := []struct {
		name string
		vars map[string]string
		want []string
	}{
		{"number", map[string]string{"name": "n", "port": "abc"}, []string{"--var port", "not a valid number", `(line 2)`}},
		{"list", map[string]string{"name": "n", "dirs": "m/a"}, []string{"--var dirs", "list(string)"}},
		{"bool", map[string]string{"name": "n", "flag": "yes"}, []string{"--var flag", "not a valid bool"}},
		{"undeclared", map[string]string{"name": "n", "prot": "1"}, []string{"--var prot", `Did you mean "port"?`}},
		{"missing", nil, []string{"No value for variable", `"name"`}},
	}
	for _, tt := range errTests {
		t.Run("error/"+tt.name, func(t *testing.T) {
			out := parseErr(t, dir, src, Options{Vars: tt.vars})
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("no %q in\n%s", w, out)
				}
			}
		})
	}
}

func TestURLOverride(t *testing.T) {
	dir := project(t)
	cfg := mustParse(t, dir, `env "dev" {}`, Options{URLOverride: "sqlite://cli.db"})
	if cfg.Env.URL.Text != "sqlite://cli.db" {
		t.Errorf("url %q", cfg.Env.URL.Text)
	}
	// --url also spares evaluating the env's url.
	cfg = mustParse(t, dir, `env "dev" { url = env("UNSET") }`, Options{URLOverride: "sqlite://cli.db"})
	if cfg.Env.URL.Text != "sqlite://cli.db" || cfg.Env.URLRange.Start.Line != 1 {
		t.Errorf("url %q range %v", cfg.Env.URL.Text, cfg.Env.URLRange)
	}
}

func TestResolvePath(t *testing.T) {
	dir := project(t)
	e := mustParse(t, dir, `env "dev" { url = "sqlite://dev.db" }`, Options{}).Env
	tests := []struct{ in, want string }{
		{"dev.db", filepath.Join(dir, "dev.db")},
		{"data/dev.db", filepath.Join(dir, "data", "dev.db")},
		{"../dev.db", filepath.Join(filepath.Dir(dir), "dev.db")},
		{filepath.Join(dir, "abs.db"), filepath.Join(dir, "abs.db")},
		{":memory:", ":memory:"},
		{"file::memory:?cache=shared", "file::memory:?cache=shared"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := e.ResolvePath(tt.in); got != tt.want {
				t.Errorf("ResolvePath(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := project(t, "m/")
	path := filepath.Join(dir, "strata.hcl")
	if err := os.WriteFile(path, []byte(`env "dev" {
  url       = "sqlite://dev.db"
  locations = ["m"]
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := Load(path, Options{})
	if len(diags) > 0 || cfg.Env == nil {
		t.Fatalf("diags %v", diags)
	}
	if cfg.Files[path] == nil {
		t.Errorf("Files has no entry for %q: %v", path, cfg.Files)
	}
	if cfg.Env.Locations[0].Path != filepath.Join(dir, "m") {
		t.Errorf("location %q", cfg.Env.Locations[0].Path)
	}

	cfg, diags = Load(filepath.Join(dir, "nope.hcl"), Options{})
	if cfg != nil || !diags.HasErrors() || !strings.Contains(diags[0].Detail, "nope.hcl") {
		t.Errorf("missing file: cfg %v diags %v", cfg, diags)
	}
}

func TestDiagnostics(t *testing.T) {
	dir := project(t, "m/")
	tests := []struct {
		name string
		opts Options
		src  string
		want []string
	}{
		{
			name: "unknown function",
			src:  `env "dev" { url = uper("x") }`,
			want: []string{"Call to unknown function", `"upper"`},
		},
		{
			name: "duplicate placeholder across --placeholder",
			opts: Options{Placeholders: map[string]string{"a": "1", "A": "2"}},
			src:  `env "dev" { url = "sqlite://dev.db" }`,
			want: []string{"Duplicate --placeholder"},
		},
		{
			name: "invalid variable type",
			src: `variable "x" { type = strin }
env "dev" { url = "sqlite://dev.db" }`,
			want: []string{"Invalid type specification"},
		},
		{
			name: "default does not match type",
			src: `variable "x" {
  type    = number
  default = "abc"
}
env "dev" { url = "sqlite://${var.x}.db" }`,
			want: []string{"Invalid default value", "number"},
		},
		{
			name: "empty env name",
			src:  `env "" { url = "sqlite://dev.db" }`,
			want: []string{"Empty env name"},
		},
		{
			name: "env with two labels",
			src:  `env "a" "b" { url = "sqlite://dev.db" }`,
			want: []string{"Extraneous label for env"},
		},
		{
			name: "tenants source null",
			src: `env "dev" {
  url = "postgres://db/app"
  tenants { query = null }
}`,
			want: []string{"Missing tenants source"},
		},
		{
			name: "parallel not whole",
			src: `env "dev" {
  url = "postgres://db/app"
  tenants {
    pattern  = "t_*"
    parallel = 1.5
  }
}`,
			want: []string{"Invalid parallel"},
		},
		{
			name: "reserved placeholder on the command line",
			opts: Options{Placeholders: map[string]string{"flyway:user": "x"}},
			src:  `env "dev" { url = "sqlite://dev.db" }`,
			want: []string{"Invalid --placeholder", "reserved"},
		},
		{
			name: "hotfix shape",
			src: `env "dev" {
  url      = "sqlite://dev.db"
  hotfixes = ["7.x"]
}`,
			want: []string{"Invalid version"},
		},
		{
			name: "location element null",
			src: `env "dev" {
  url       = "sqlite://dev.db"
  locations = ["m", null]
}`,
			want: []string{"element 2 is null"},
		},
		{
			name: "empty location",
			src: `env "dev" {
  url       = "sqlite://dev.db"
  locations = [""]
}`,
			want: []string{"Empty location"},
		},
		{
			name: "empty schema name",
			src: `env "dev" {
  url     = "sqlite://dev.db"
  schemas = ["a", " "]
}`,
			want: []string{"Empty schema name"},
		},
		{
			name: "url not a string",
			src:  `env "dev" { url = { a = 1 } }`,
			want: []string{"a string is required, got object"},
		},
		{
			name: "sensitive flag not literal",
			src: `variable "x" { sensitive = "yes" }
env "dev" { url = "sqlite://dev.db" }`,
			want: []string{"Invalid sensitive flag"},
		},
		{
			name: "variable default refers to a variable",
			src: `variable "a" { default = "x" }
variable "b" { default = var.a }
env "dev" { url = "sqlite://${var.b}.db" }`,
			want: []string{"Variables not allowed"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := parseErr(t, dir, tt.src, tt.opts)
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("no %q in\n%s", w, out)
				}
			}
		})
	}
}

func TestLintSettings(t *testing.T) {
	dir := t.TempDir()
	cfg := mustParse(t, dir, "lint = \"warning\"\nlint_disable = [\"lock-table\"]\nenv \"prod\" {\n  url = \"postgres://h/db\"\n  lint = \"error\"\n}\n", Options{})
	if cfg.Env.Lint != "error" || !slices.Equal(cfg.Env.LintDisable, []string{"lock-table"}) {
		t.Fatalf("Lint = %q, LintDisable = %q; want the env's error and the top level's list", cfg.Env.Lint, cfg.Env.LintDisable)
	}
	if cfg := mustParse(t, dir, "env \"dev\" {\n  url = \"postgres://h/db\"\n  lint = \"off\"\n}\n", Options{}); cfg.Env.Lint != "" {
		t.Fatalf("lint = \"off\" gives Lint %q, want \"\"", cfg.Env.Lint)
	}
	if msg := parseErr(t, dir, "env \"dev\" {\n  url = \"postgres://h/db\"\n  lint = \"strict\"\n}\n", Options{}); !strings.Contains(msg, "Invalid lint") {
		t.Fatalf("diagnostic %q does not say Invalid lint", msg)
	}
}
