package config

import (
	"strings"
	"testing"
	"time"
)

func TestRollout(t *testing.T) {
	dir := t.TempDir()
	cfg := mustParse(t, dir, `variable "pause" {
  type    = string
  default = "1m"
}
env "prod" {
  url = "postgres://h/db"
  tenants { pattern = "tenant_*" }
  rollout {
    wave "canary" { tenants = ["tenant_demo"] }
    wave "early" {
      percent      = 10
      max_failures = 1
      pause        = var.pause
    }
    wave "eu" {
      pattern      = "tenant_eu_*"
      max_failures = "5%"
    }
    wave "next" { count = 20 }
    wave "beta" { query = "SELECT schema_name FROM control.tenants WHERE beta" }
    wave "rest" {
      parallel     = 16
      max_failures = "2.5%"
    }
  }
}
`, Options{})
	ro := cfg.Env.Rollout
	if ro == nil || len(ro.Waves) != 6 {
		t.Fatalf("rollout = %+v, want 6 waves", ro)
	}
	w := ro.Waves
	if w[0].Name != "canary" || len(w[0].Tenants) != 1 || w[0].Tenants[0] != "tenant_demo" || w[0].MaxFailures != 0 {
		t.Errorf("canary = %+v", w[0])
	}
	if w[1].Percent != 10 || w[1].MaxFailures != 1 || w[1].Pause != time.Minute {
		t.Errorf("early = %+v", w[1])
	}
	if w[2].Pattern != "tenant_eu_*" || w[2].MaxFailuresPercent != 5 {
		t.Errorf("eu = %+v", w[2])
	}
	if w[3].Count != 20 {
		t.Errorf("next = %+v", w[3])
	}
	if w[4].Query != "SELECT schema_name FROM control.tenants WHERE beta" {
		t.Errorf("beta = %+v", w[4])
	}
	if w[5].Parallel != 16 || w[5].MaxFailuresPercent != 2.5 || w[5].Tenants != nil || w[5].Pattern != "" || w[5].Query != "" || w[5].Count != 0 || w[5].Percent != 0 {
		t.Errorf("rest = %+v", w[5])
	}
	if w[2].Range.Start.Line != 15 {
		t.Errorf("wave eu at line %d, want 15", w[2].Range.Start.Line)
	}
}

func TestRolloutDiagnostics(t *testing.T) {
	dir := t.TempDir()
	env := func(body string) string {
		return "env \"prod\" {\n  url = \"postgres://h/db\"\n  tenants { pattern = \"t_*\" }\n" + body + "}\n"
	}
	for _, tt := range []struct{ src, want string }{
		{"rollout {}\nenv \"prod\" { url = \"postgres://h/db\" }\n", "Misplaced rollout block"},
		{"env \"prod\" {\n  url = \"postgres://h/db\"\n  rollout {\n    wave \"a\" {}\n  }\n}\n", "Rollout without tenants: A rollout runs waves over the env's tenants, but env \"prod\" has no tenants block"},
		{env("  rollout {}\n"), "Rollout without waves"},
		{env("  rollout {\n    wave \"a\" {\n      count = 1\n      percent = 5\n    }\n  }\n"), `Conflicting wave selectors: Wave "a" sets both "count" (at `},
		{env("  rollout {\n    wave \"a\" {\n      query = \"SELECT 1\"\n      pattern = \"t_*\"\n    }\n  }\n"), `Conflicting wave selectors: Wave "a" sets both "pattern" (at `},
		{env("  rollout {\n    wave \"a\" { query = \"  \" }\n  }\n"), `Empty wave query: query of wave "a" is empty`},
		{env("  rollout {\n    wave \"a\" {}\n    wave \"b\" { count = 1 }\n  }\n"), `Wave without selector: Wave "a" selects no tenants`},
		{env("  rollout {\n    wave \"a\" { count = 1 }\n    wave \"a\" {}\n  }\n"), `Duplicate wave: A wave named "a" is already defined`},
		{env("  rollout {\n    wave \"a\" { percent = 150 }\n  }\n"), "Invalid percent: percent is 150"},
		{env("  rollout {\n    wave \"a\" { count = 0 }\n  }\n"), "Invalid count: count is 0"},
		{env("  rollout {\n    wave \"a\" { max_failures = \"ten\" }\n  }\n"), `Invalid max_failures: max_failures is "ten"`},
		{env("  rollout {\n    wave \"a\" { max_failures = -1 }\n  }\n"), "Invalid max_failures: max_failures is -1"},
		{env("  rollout {\n    wave \"a\" { pause = \"soon\" }\n  }\n"), `Invalid duration: "soon"`},
		{env("  rollout {\n    wave \"a\" { pattern = \"[\" }\n  }\n"), "Invalid tenant pattern"},
		{env("  rollout {\n    wave \"a\" { tenant = [\"x\"] }\n  }\n"), `Unsupported argument: An argument named "tenant" is not expected in a wave block. Did you mean "tenants"?`},
		{env("  rollout {\n    wave \"a\" { count = 1 }\n  }\n  rollout {\n    wave \"b\" {}\n  }\n"), "Duplicate block: A rollout block is already defined"},
	} {
		got := parseErr(t, dir, tt.src, Options{})
		if !strings.Contains(got, tt.want) || !strings.Contains(got, "(line ") {
			t.Errorf("for:\n%s\ngot:\n%s\nwant it to contain %q and a line", tt.src, got, tt.want)
		}
	}
}
