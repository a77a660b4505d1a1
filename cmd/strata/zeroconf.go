package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/stratadb/strata/config"
)

// Where a run finds its configuration, env and database, strongest first:
//
//	--config, --env, --url, --locations     flags
//	STRATA_CONFIG, STRATA_ENV, STRATA_URL   the real environment
//	the same names in .env                  beside strata.hcl
//	strata.hcl                              the file
//
// DATABASE_URL (real environment, then .env) names the database only when
// there is no strata.hcl and neither --url nor STRATA_URL is given. Without
// strata.hcl, a run with a database URL gets one env (STRATA_ENV, else
// "default") whose migrations are in --locations (default: migrations).

// defaultConfigFile is the configuration file used when neither --config nor
// STRATA_CONFIG names one.
const defaultConfigFile = "strata.hcl"

// defaultLocation is the migrations folder of a run without strata.hcl and
// without --locations, and the one strata init creates.
const defaultLocation = "migrations"

// sources is what one run reads to find its configuration: resolved once,
// by resolveSources.
type sources struct {
	configPath   string            // the file, or "" before resolveSources
	explicit     bool              // named by --config or STRATA_CONFIG
	dotenv       map[string]string // .env beside the file; nil when absent
	dotenvPath   string            // as shown in messages
	url          string            // --url, STRATA_URL, or (no file) DATABASE_URL
	urlFrom      string            // "--url", "STRATA_URL", "DATABASE_URL"; "" when url is ""
	resolved     bool
	noConfigFile bool // the file does not exist and was not named: a run without strata.hcl
}

// lookupEnv reads a variable from the real environment, then from .env:
// .env never overrides a value the environment sets (an empty variable
// counts as unset when .env has a value for it).
func (a *app) lookupEnv(name string) (string, bool) {
	real, ok := os.LookupEnv(name)
	if real != "" {
		return real, true
	}
	if v, inFile := a.src.dotenv[name]; inFile {
		return v, true
	}
	return real, ok
}

// resolveSources finds the configuration file, reads the .env beside it,
// and picks the env name and database URL from the flags, the environment
// and .env (see the precedence above).
func (a *app) resolveSources() error {
	s := &a.src
	if s.resolved {
		return nil
	}
	s.resolved = true
	s.configPath, s.explicit = a.configPath, a.configPath != ""
	if !s.explicit {
		if v := os.Getenv("STRATA_CONFIG"); v != "" {
			s.configPath, s.explicit = v, true
		} else {
			s.configPath = defaultConfigFile
		}
	}
	if _, err := os.Stat(s.configPath); errors.Is(err, os.ErrNotExist) && !s.explicit {
		s.noConfigFile = true
	}
	s.dotenvPath = filepath.Join(filepath.Dir(s.configPath), ".env")
	src, err := os.ReadFile(s.dotenvPath)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return &exitError{code: exitUsage, err: fmt.Errorf("read %s: %w", relPath(s.dotenvPath), err)}
	default:
		vars, err := parseDotenv(src)
		if err != nil {
			return &exitError{code: exitUsage, err: fmt.Errorf("%s:%w", relPath(s.dotenvPath), err)}
		}
		s.dotenv = vars
	}
	if a.envName == "" {
		a.envName, _ = a.lookupEnv("STRATA_ENV")
	}
	switch {
	case a.url != "":
		s.url, s.urlFrom = a.url, "--url"
	default:
		if v, _ := a.lookupEnv("STRATA_URL"); v != "" {
			s.url, s.urlFrom = v, "STRATA_URL"
		} else if v, _ := a.lookupEnv("DATABASE_URL"); v != "" && s.noConfigFile {
			s.url, s.urlFrom = v, "DATABASE_URL"
		}
	}
	if len(a.locations) > 0 && !s.noConfigFile {
		return &exitError{code: exitUsage, err: fmt.Errorf("--locations is for a run without strata.hcl, but %s names the locations: list the folders there, or run where there is no strata.hcl", relPath(s.configPath))}
	}
	return nil
}

// loadFromSources is config.Load of the resolved file, or, without one,
// config.Default with the URL and locations given on the command line or
// in the environment.
func (a *app) loadFromSources(opts config.Options) (*config.Config, hcl.Diagnostics, error) {
	s := &a.src
	opts.URLOverride = s.url
	opts.LookupEnv = a.lookupEnv
	if !s.noConfigFile {
		cfg, diags := config.Load(s.configPath, opts)
		return cfg, diags, nil
	}
	if s.url == "" {
		cfg, diags := config.Load(s.configPath, opts)
		return cfg, diags, nil
	}
	locs := a.locations
	if len(locs) == 0 {
		locs = []string{defaultLocation}
	}
	if len(opts.Vars) > 0 {
		return nil, nil, &exitError{code: exitUsage, err: errors.New("--var sets a variable declared in strata.hcl, and there is no strata.hcl")}
	}
	wd, err := os.Getwd()
	if err != nil {
		return nil, nil, err
	}
	cfg, diags := config.Default(wd, locs, opts)
	return cfg, diags, nil
}

// noConfigHint follows the diagnostic of a missing strata.hcl when nothing
// named the file or a database.
func (a *app) noConfigHint() {
	if a.src.noConfigFile && a.src.url == "" {
		fmt.Fprintf(a.stderr, "hint: run strata init to write %s and a %s folder, or run without it: give the database with --url (or STRATA_URL, or DATABASE_URL) and the migrations folders with --locations (default %s)\n",
			defaultConfigFile, defaultLocation, defaultLocation)
	}
}

// relPath is p relative to the working directory when that is no longer
// than p, else p: the path a message shows, clickable from where strata
// runs.
func relPath(p string) string {
	if p == "" {
		return p
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	rel, err := filepath.Rel(wd, abs)
	if err != nil || len(rel) > len(abs) {
		return abs
	}
	return rel
}

// parseDotenv reads KEY=VALUE lines: blank lines and lines starting with
// # are skipped, "export " before a key is allowed, a value may be in
// single quotes (taken as written) or double quotes (\n, \t, \", \\
// escapes), and an unquoted value ends at " #". Nothing is expanded: a $ is
// a $. Errors name the line, never its text, which may hold a secret.
func parseDotenv(src []byte) (map[string]string, error) {
	out := map[string]string{}
	text := strings.ReplaceAll(string(src), "\r\n", "\n")
	text = strings.TrimPrefix(text, "\ufeff")
	for n, line := range strings.Split(text, "\n") {
		n++
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		key, val, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || !validEnvName(key) {
			return nil, fmt.Errorf("%d: want KEY=VALUE with a key of letters, digits and _ (the line is not shown: it may hold a secret)", n)
		}
		val = strings.TrimSpace(val)
		switch {
		case strings.HasPrefix(val, "'"):
			end := strings.IndexByte(val[1:], '\'')
			if end < 0 || !commentOnly(val[end+2:]) {
				return nil, fmt.Errorf("%d: %s: the single-quoted value is not closed, or text follows it", n, key)
			}
			val = val[1 : end+1]
		case strings.HasPrefix(val, `"`):
			var b strings.Builder
			i, closed := 1, false
			for ; i < len(val); i++ {
				c := val[i]
				if c == '"' {
					closed = true
					break
				}
				if c == '\\' && i+1 < len(val) {
					i++
					switch val[i] {
					case 'n':
						b.WriteByte('\n')
					case 't':
						b.WriteByte('\t')
					case 'r':
						b.WriteByte('\r')
					default:
						b.WriteByte(val[i])
					}
					continue
				}
				b.WriteByte(c)
			}
			if !closed || !commentOnly(val[i+1:]) {
				return nil, fmt.Errorf("%d: %s: the double-quoted value is not closed, or text follows it", n, key)
			}
			val = b.String()
		default:
			if i := strings.Index(val, " #"); i >= 0 {
				val = strings.TrimSpace(val[:i])
			}
		}
		out[key] = val
	}
	return out, nil
}

// commentOnly reports whether s, after a closing quote, holds nothing but
// blanks and an optional comment.
func commentOnly(s string) bool {
	s = strings.TrimSpace(s)
	return s == "" || strings.HasPrefix(s, "#")
}

// validEnvName reports whether s is a variable name: letters, digits and
// _, not starting with a digit.
func validEnvName(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for _, c := range s {
		if c != '_' && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
