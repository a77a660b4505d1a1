package config

import (
	"strings"
	"testing"
)

func TestRegistry(t *testing.T) {
	dir := t.TempDir()
	cfg := mustParse(t, dir, `env "prod" {
  registry {
    url   = env("REGISTRY_URL")
    query = "SELECT instance_url, tenant FROM control.tenants"
  }
  tenants { parallel = 3 }
  max_connections = 8
  rollout {
    wave "canary" { count = 1 }
    wave "rest" {}
  }
}
`, Options{LookupEnv: fakeEnv(map[string]string{"REGISTRY_URL": "postgres://reg:s3cret@db0/registry"})})
	e := cfg.Env
	r := e.Registry
	if r == nil {
		t.Fatal("no registry")
	}
	if r.URL.Text != "postgres://reg:s3cret@db0/registry" || !r.URL.Sensitive || r.Query != "SELECT instance_url, tenant FROM control.tenants" {
		t.Errorf("registry = %+v", *r)
	}
	if r.QueryRange.Start.Line != 4 || r.URLRange.Start.Line != 3 || r.Range.Start.Line != 2 {
		t.Errorf("ranges: block %d, url %d, query %d", r.Range.Start.Line, r.URLRange.Start.Line, r.QueryRange.Start.Line)
	}
	if e.Tenants == nil || e.Tenants.Parallel != 3 || e.Tenants.Schemas != nil || e.Tenants.Query != "" || e.Tenants.Pattern != "" {
		t.Errorf("tenants = %+v", e.Tenants)
	}
	if len(e.Instances) != 0 || e.URL.Text != "" || e.MaxConnections != 8 || e.Rollout == nil {
		t.Errorf("instances %v, url %q, max_connections %d, rollout %v", e.Instances, e.URL.Text, e.MaxConnections, e.Rollout)
	}
	inst := r.Instance("postgres://app:pw@db1:5432/app?sslmode=disable", 0, []string{"t1"})
	if inst.Name != "db1:5432/app" || !inst.URL.Sensitive || inst.Range != r.QueryRange || inst.Tenants[0] != "t1" {
		t.Errorf("instance = %+v", inst)
	}
}

// TestRegistryWithoutTenants: the tenants block is optional with a
// registry; its settings are then the defaults.
func TestRegistryWithoutTenants(t *testing.T) {
	cfg := mustParse(t, t.TempDir(), "env \"prod\" {\n  registry {\n    url = \"sqlite://reg.db\"\n    query = \"SELECT u, t FROM r\"\n  }\n}\n", Options{})
	tn := cfg.Env.Tenants
	if tn == nil || tn.Parallel != DefaultTenantsParallel || tn.OnError != DefaultTenantsOnError || tn.Retries != DefaultTenantsRetries {
		t.Fatalf("tenants = %+v", tn)
	}
}

// TestRegistryURLOverride: --url runs one instance; the registry is kept
// (it says which tenants live there).
func TestRegistryURLOverride(t *testing.T) {
	cfg := mustParse(t, t.TempDir(), "env \"prod\" {\n  registry {\n    url = \"postgres://r/reg\"\n    query = \"SELECT u, t FROM r\"\n  }\n}\n",
		Options{URLOverride: "postgres://h/db1"})
	if cfg.Env.Registry == nil || cfg.Env.URL.Text != "postgres://h/db1" {
		t.Fatalf("registry %v, url %q", cfg.Env.Registry, cfg.Env.URL.Text)
	}
}

func TestRegistryDiagnostics(t *testing.T) {
	dir := t.TempDir()
	reg := "  registry {\n    url = \"postgres://r/reg\"\n    query = \"SELECT u, t FROM r\"\n  }\n"
	for _, tt := range []struct{ name, src, want string }{
		{"url", "env \"prod\" {\n  url = \"postgres://h/db\"\n" + reg + "}\n", `Both url and registry: The env "prod" sets url and has a registry block (at`},
		{"instances", "env \"prod\" {\n" + reg + "  instances = [\"postgres://a/x\"]\n}\n", "Both instances and registry"},
		{"no url", "env \"prod\" {\n  registry {\n    query = \"SELECT u, t FROM r\"\n  }\n}\n", "Missing registry url: The registry block needs the url of the registry database"},
		{"no query", "env \"prod\" {\n  registry {\n    url = \"postgres://r/reg\"\n  }\n}\n", "Missing registry query: The registry block needs a query that returns two columns"},
		{"null query", "env \"prod\" {\n  registry {\n    url = \"postgres://r/reg\"\n    query = null\n  }\n}\n", "Missing registry query"},
		{"empty url", "env \"prod\" {\n  registry {\n    url = \" \"\n    query = \"SELECT u, t FROM r\"\n  }\n}\n", "Empty registry url"},
		{"query not a string", "env \"prod\" {\n  registry {\n    url = \"postgres://r/reg\"\n    query = [\"x\"]\n  }\n}\n", `Inappropriate value for "query" in the registry block: a string is required`},
		{"pattern", "env \"prod\" {\n" + reg + "  tenants {\n    parallel = 2\n    pattern = \"t_*\"\n  }\n}\n", `Tenants source with registry: The tenants block sets "pattern", but the env has a registry block (at`},
		{"schemas", "env \"prod\" {\n" + reg + "  tenants { schemas = [\"a\"] }\n}\n", `Tenants source with registry: The tenants block sets "schemas"`},
		{"query", "env \"prod\" {\n" + reg + "  tenants { query = \"SELECT 1\" }\n}\n", `Tenants source with registry: The tenants block sets "query"`},
		{"top level", "registry {\n  url = \"postgres://r/reg\"\n}\nenv \"prod\" { url = \"postgres://h/db\" }\n", "Misplaced registry block"},
		{"unknown attribute", "env \"prod\" {\n  registry {\n    url = \"postgres://r/reg\"\n    query = \"SELECT u, t FROM r\"\n    tenants = \"x\"\n  }\n}\n", `An argument named "tenants" is not expected in a registry block`},
		{"max_connections 1", "env \"prod\" {\n" + reg + "  max_connections = 1\n}\n", "Invalid max_connections"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := parseErr(t, dir, tt.src, Options{})
			if !strings.Contains(got, tt.want) || !strings.Contains(got, "(line ") {
				t.Errorf("for:\n%s\ngot:\n%s\nwant it to contain %q and a line", tt.src, got, tt.want)
			}
		})
	}
}
