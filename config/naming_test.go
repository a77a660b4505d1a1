package config

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stratadb/strata/locations"
)

func TestNamingMerge(t *testing.T) {
	dir := project(t)
	src := `
sql_migration_prefix   = "M"
sql_migration_suffixes = [".pgsql", ".sql"]
connect_retries        = 5
env "a" {
  url = "sqlite://a.db"
}
env "b" {
  url                      = "sqlite://b.db"
  sql_migration_prefix     = "V"
  sql_migration_separator  = "-"
  connect_retries          = 0
  connect_retries_interval = "1m30s"
}
`
	a := mustParse(t, dir, src, Options{Env: "a"}).Env
	want := locations.Naming{VersionedPrefix: "M", UndoPrefix: "U", RepeatablePrefix: "R", BaselinePrefix: "B", Separator: "__", Suffixes: []string{".pgsql", ".sql"}}
	if !reflect.DeepEqual(a.Naming, want) || a.ConnectRetries != 5 || a.ConnectRetriesInterval != 120*time.Second {
		t.Errorf("env a: %+v, %d, %s", a.Naming, a.ConnectRetries, a.ConnectRetriesInterval)
	}
	b := mustParse(t, dir, src, Options{Env: "b"}).Env
	want.VersionedPrefix, want.Separator = "V", "-"
	if !reflect.DeepEqual(b.Naming, want) || b.ConnectRetries != 0 || b.ConnectRetriesInterval != 90*time.Second {
		t.Errorf("env b: %+v, %d, %s", b.Naming, b.ConnectRetries, b.ConnectRetriesInterval)
	}
	for _, e := range []*Env{a, b} {
		if err := e.Naming.Validate(); err != nil {
			t.Errorf("env %s: the library refuses what config accepted: %v", e.Name, err)
		}
	}
}

// TestNamingRefusedLikeTheLibrary: every naming that locations refuses is a
// diagnostic in config too, at the attribute.
func TestNamingRefusedLikeTheLibrary(t *testing.T) {
	dir := project(t)
	cases := map[string]string{
		"both prefixes set": `sql_migration_prefix = "X"
repeatable_sql_migration_prefix = "X"`,
		"prefix is an event":       `baseline_migration_prefix = "beforeMigrate"`,
		"suffix ends in conf":      `sql_migration_suffixes = [".conf"]`,
		"suffix twice":             `sql_migration_suffixes = [".sql", ".Sql"]`,
		"separator with backslash": `sql_migration_separator = "\\"`,
	}
	for name, attrs := range cases {
		t.Run(name, func(t *testing.T) {
			msg := parseErr(t, dir, attrs+"\nenv \"dev\" {\n  url = \"sqlite://x.db\"\n}\n", Options{})
			if !strings.Contains(msg, "(line ") {
				t.Errorf("no position: %s", msg)
			}
			if name == "both prefixes set" && !strings.Contains(msg, `repeatable_sql_migration_prefix is "X", which is also sql_migration_prefix`) || strings.Count(msg, "\n") != 1 {
				t.Errorf("want one diagnostic at the later attribute, got:\n%s", msg)
			}
		})
	}
}

func TestNamingWrongTypes(t *testing.T) {
	dir := project(t)
	for attr, want := range map[string]string{
		`sql_migration_suffixes = ".sql"`:  `For example: sql_migration_suffixes = [".sql", ".pgsql"]`,
		`connect_retries = "ten"`:          `For example: connect_retries = 10`,
		`sql_migration_prefix = ["V"]`:     `For example: sql_migration_prefix = "M"`,
		`connect_retries_interval = ["1"]`: `For example: connect_retries_interval = 120`,
	} {
		msg := parseErr(t, dir, attr+"\nenv \"dev\" {\n  url = \"sqlite://x.db\"\n}\n", Options{})
		if !strings.Contains(msg, want) || !strings.Contains(msg, "(line 1)") {
			t.Errorf("%s: got %s", attr, msg)
		}
	}
}

func TestDeadlines(t *testing.T) {
	dir := project(t)
	src := `
network_timeout = "5s"
env "a" {
  url = "sqlite://a.db"
}
env "b" {
  url             = "sqlite://b.db"
  connect_timeout = "2s"
  network_timeout = "1m"
}
`
	a := mustParse(t, dir, src, Options{Env: "a"}).Env
	if a.ConnectTimeout != DefaultConnectTimeout || a.NetworkTimeout != 5*time.Second {
		t.Errorf("env a: connect %s network %s", a.ConnectTimeout, a.NetworkTimeout)
	}
	b := mustParse(t, dir, src, Options{Env: "b"}).Env
	if b.ConnectTimeout != 2*time.Second || b.NetworkTimeout != time.Minute {
		t.Errorf("env b: connect %s network %s", b.ConnectTimeout, b.NetworkTimeout)
	}
	for attr, want := range map[string]string{
		`network_timeout = "500ms"`: `network_timeout is "500ms", but it must be a duration of at least 1s`,
		`network_timeout = "soon"`:  `network_timeout is "soon"`,
		`connect_timeout = "0s"`:    `connect_timeout is "0s", but it must be a duration of at least 100ms`,
		`connect_timeout = 10`:      `connect_timeout is "10", but it must be a duration`,
		`network_timeout = ["1s"]`:  `For example: network_timeout = "30s"`,
	} {
		msg := parseErr(t, dir, "env \"dev\" {\n  url = \"sqlite://x.db\"\n  "+attr+"\n}\n", Options{})
		if !strings.Contains(msg, want) || !strings.Contains(msg, "(line 3)") {
			t.Errorf("%s: got %s", attr, msg)
		}
	}
}
