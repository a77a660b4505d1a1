package config

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/stratadb/strata/locations"
)

// Options selects an env and supplies command-line values.
type Options struct {
	Env          string                      // selected env; "" allowed only when the file has exactly one env
	Vars         map[string]string           // --var name=value (converted to the variable's declared type)
	Placeholders map[string]string           // --placeholder name=value, merged last
	LookupEnv    func(string) (string, bool) // nil: os.LookupEnv (tests inject)
	URLOverride  string                      // --url: replaces the env's url; a missing url is then no error
}

// Config is a loaded strata.hcl with its selected env resolved.
type Config struct {
	Path  string               // absolute path of strata.hcl
	Dir   string               // its directory: base for relative paths
	Files map[string]*hcl.File // parser file map, for hcl.NewDiagnosticTextWriter
	Envs  []string             // env labels in file order
	Env   *Env                 // the selected env, resolved (nil when diagnostics have errors)
}

// Value is a string setting together with whether it is secret.
type Value struct {
	Text      string
	Sensitive bool // came from env(), file(), or a sensitive variable
}

// Display returns the text, or "(sensitive)" when the value is sensitive.
func (v Value) Display() string {
	if v.Sensitive {
		return "(sensitive)"
	}
	return v.Text
}

// String returns the same as Display, so that printing a Value with fmt never
// shows a secret by accident.
func (v Value) String() string { return v.Display() }

// GoString returns the same as Display, for %#v.
func (v Value) GoString() string { return v.Display() }

// Location is one folder of migration files.
type Location struct {
	Path     string    // absolute (or glob-expanded) folder
	Display  string    // as written in the file (relative), used as locations.Root.Name; for a glob, each match relative to Config.Dir
	Override bool      // from `overrides`
	Shared   bool      // from the top level
	Range    hcl.Range // the list element that named it
}

// Placeholders is the resolved placeholder configuration of an env.
type Placeholders struct {
	Prefix, Suffix string           // defaults "${", "}"
	Enabled        bool             // `enabled = false` switches replacement off for the env; default true
	Values         map[string]Value // merged: top level, env, then Options.Placeholders; keys as written
}

// Keys returns the placeholder names sorted case-insensitively.
func (p Placeholders) Keys() []string {
	keys := make([]string, 0, len(p.Values))
	for k := range p.Values {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := strings.ToLower(keys[i]), strings.ToLower(keys[j])
		if a != b {
			return a < b
		}
		return keys[i] < keys[j]
	})
	return keys
}

// History says where the history table lives.
type History struct {
	Schema, Table string    // Table default "strata_schema_history"
	Range         hcl.Range // the history block that decided (env's, else top level's, else the env block)
}

// Tenants says which schemas get the env's migrations.
type Tenants struct {
	Schemas  []string  // exactly one of Schemas, Query, Pattern
	Query    string    //
	Pattern  string    // a glob over existing schemas, e.g. "tenant_*"
	Parallel int       // default 4
	OnError  string    // "continue" (default) | "stop"
	Retries  int       // attempts after a transient failure of a tenant, default 2
	Range    hcl.Range // the tenants block header
}

// Lock configures the migration lock.
type Lock struct {
	Timeout time.Duration // `lock { timeout = "30s" }`, default 30s
}

// Env is one environment, resolved: top-level defaults merged with the env block.
type Env struct {
	Name                    string
	URL                     Value
	URLRange                hcl.Range
	Instances               []Instance // `instances`: several databases, each with its own history table across the tenants (replaces url)
	MaxConnections          int        // `max_connections`: connections across all instances at once; 0 = no limit but each instance's own
	Registry                *Registry  // `registry`: the instances and their tenants come from a query (replaces url and instances; Instances is empty until cmd runs it)
	Locations               []Location // shared locations, then env locations, then env overrides
	OutOfOrder              bool
	Hotfixes                []string // versions as strings; a number in HCL is a diagnostic (7.10 would be 7.1)
	Schemas                 []string
	ValidateNaming          bool
	CleanDisabled           bool // default true; only inside env
	Placeholders            Placeholders
	History                 History
	Tenants                 *Tenants // only inside env; nil when absent
	Rollout                 *Rollout // only inside env, with Tenants; nil when absent
	Lock                    Lock
	LockTimeout             string   // SQL lock_timeout for statements ("" = server default); a Go duration or PostgreSQL's form ("15min")
	StatementTimeout        string   // SQL statement_timeout ("" = server default); a Go duration or PostgreSQL's form
	Pooler                  string   // "" | "transaction"
	Lint                    string   // "" (off) | "warning" | "error": migrate lints the pending files first (PostgreSQL)
	LintDisable             []string // rule ids strata lint skips for this env (checked by cmd, which knows the rules)
	IgnoreMigrationPatterns []string // Flyway's type:state patterns, lower-cased; default ["*:future"]
	Target                  string   // default "latest"
	InstalledBy             string
	// BaselineOnMigrate baselines, on migrate, a target whose schema holds
	// objects but has no history, at BaselineVersion (Flyway's
	// baselineOnMigrate, baselineVersion, baselineDescription).
	BaselineOnMigrate bool
	// RequireAck says whether migrate and validate refuse files that
	// differ from their location's strata.sum (see locations.SumFile):
	// nil (not set) requires it when a location of the env has a
	// strata.sum.
	RequireAck *bool
	// Confirm makes migrate ask before it changes the database (on a
	// terminal; --yes otherwise), for production envs.
	Confirm                bool
	BaselineVersion        string               // default "1"
	BaselineDescription    string               // "" = Flyway's "<< Flyway Baseline >>"
	Naming                 locations.Naming     // Flyway's file naming settings, defaults filled in
	ConnectRetries         int                  // Flyway's connectRetries: tries after the first failed connection, default 0
	ConnectRetriesInterval time.Duration        // Flyway's connectRetriesInterval: the longest wait between tries, default 120s
	ConnectTimeout         time.Duration        // one attempt to connect (dial, TLS, login), default 10s
	NetworkTimeout         time.Duration        // the longest silence of an unreachable server before a connection is given up, default 30s
	Ranges                 map[string]hcl.Range // attribute name -> where it was set (for later diagnostics)
	Range                  hcl.Range            // the `env "name"` header

	dir string
}

// ResolvePath returns p joined with the directory of strata.hcl when p is
// relative, and p unchanged when it is absolute, empty, or an SQLite
// in-memory name (":memory:", "file::memory:..."). Use it for the file part of
// a sqlite:// URL.
func (e *Env) ResolvePath(p string) string {
	if p == "" || filepath.IsAbs(p) || strings.HasPrefix(p, ":memory:") || strings.HasPrefix(p, "file::memory:") {
		return p
	}
	return filepath.Join(e.dir, p)
}

// DisplayURL returns the URL for output: "(sensitive)" when it came from
// env(), file() or a sensitive variable, else RedactURL of it.
func (e *Env) DisplayURL() string {
	if e.URL.Sensitive {
		return "(sensitive)"
	}
	return RedactURL(e.URL.Text)
}

// Load reads, parses and resolves the configuration file at path. The Config
// is non-nil whenever the file was read; Config.Env is nil when the
// diagnostics have errors.
func Load(path string, opts Options) (*Config, hcl.Diagnostics) {
	src, err := os.ReadFile(path)
	if err != nil {
		detail := "Strata could not read its configuration file: " + err.Error() + "."
		if os.IsNotExist(err) {
			detail = "There is no file " + path + ". Create it (see the README for an example), or point --config at the right file."
		}
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read configuration file",
			Detail:   detail,
		}}
	}
	return Parse(src, path, opts)
}

// Parse is Load from memory: filename names the file in diagnostics and its
// directory is the base for relative paths.
func Parse(src []byte, filename string, opts Options) (*Config, hcl.Diagnostics) {
	abs, err := filepath.Abs(filename)
	if err != nil {
		abs = filepath.Clean(filename)
	}
	cfg := &Config{Path: abs, Dir: filepath.Dir(abs)}
	l := newLoader(cfg, src, filename, opts)
	l.run()
	l.scrubSecrets()
	diags := l.diags
	sortDiagnostics(diags)
	if diags.HasErrors() {
		cfg.Env = nil
	}
	return cfg, diags
}

// sortDiagnostics orders diagnostics without a source range first, then by
// position in the file, keeping the order of equal positions.
func sortDiagnostics(diags hcl.Diagnostics) {
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Subject, diags[j].Subject
		switch {
		case a == nil || b == nil:
			return a == nil && b != nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		default:
			return a.Start.Byte < b.Start.Byte
		}
	})
}
