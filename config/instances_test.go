package config

import (
	"strings"
	"testing"
)

func TestInstances(t *testing.T) {
	dir := t.TempDir()
	cfg := mustParse(t, dir, `env "prod" {
  instances = [
    "postgres://app@db1:5432/app",
    "postgres://app@db2/app?sslmode=require",
    env("THIRD_DB"),
  ]
  max_connections = 12
  tenants { pattern = "tenant_*" }
}
`, Options{LookupEnv: fakeEnv(map[string]string{"THIRD_DB": "postgres://app:s3cret@db3/app"})})
	e := cfg.Env
	if len(e.Instances) != 3 || e.MaxConnections != 12 {
		t.Fatalf("instances = %+v, max_connections = %d", e.Instances, e.MaxConnections)
	}
	for i, want := range []string{"db1:5432/app", "db2/app", "instance 3"} {
		if e.Instances[i].Name != want {
			t.Errorf("instance %d named %q, want %q", i+1, e.Instances[i].Name, want)
		}
	}
	if !e.Instances[2].URL.Sensitive || e.Instances[0].URL.Sensitive {
		t.Errorf("sensitivity: %v %v", e.Instances[0].URL.Sensitive, e.Instances[2].URL.Sensitive)
	}
	if e.Instances[1].Range.Start.Line != 4 {
		t.Errorf("instance 2 at line %d, want 4", e.Instances[1].Range.Start.Line)
	}
	if e.URL.Text != "postgres://app@db1:5432/app" {
		t.Errorf("url = %q, want the first instance's", e.URL.Text)
	}
}

func TestInstancesDiagnostics(t *testing.T) {
	dir := t.TempDir()
	tenants := "  tenants { pattern = \"t_*\" }\n"
	for _, tt := range []struct{ src, want string }{
		{"instances = [\"postgres://a/x\"]\nenv \"prod\" { url = \"postgres://h/db\" }\n", `"instances" can only be set inside an env block`},
		{"env \"prod\" {\n  url = \"postgres://h/db\"\n  instances = [\"postgres://a/x\"]\n" + tenants + "}\n", "Both url and instances"},
		{"env \"prod\" {\n  instances = []\n" + tenants + "}\n", "Empty instances"},
		{"env \"prod\" {\n  instances = \"postgres://a/x\"\n" + tenants + "}\n", "a list of strings is required"},
		{"env \"prod\" {\n  instances = [\"postgres://a/x\", \"\"]\n" + tenants + "}\n", "Empty instance url: Element 2 of instances is empty"},
		{"env \"prod\" {\n  instances = [\"postgres://a/x\", \"postgres://u@a/x\"]\n" + tenants + "}\n", "Duplicate instance: Element 2 of instances names the same database"},
		{"env \"prod\" {\n  instances = [\"postgres://a/x\", \"postgres://b/x\"]\n}\n", `Instances without tenants: The env "prod" lists several instances but has no tenants block`},
		{"env \"prod\" {\n  instances = [\"postgres://a/x\"]\n  max_connections = 1\n" + tenants + "}\n", "Invalid max_connections: max_connections is 1"},
		{"env \"prod\" {\n  url = \"postgres://h/db\"\n  max_connections = 8\n" + tenants + "}\n", "max_connections without instances"},
	} {
		got := parseErr(t, dir, tt.src, Options{})
		if !strings.Contains(got, tt.want) || !strings.Contains(got, "(line ") {
			t.Errorf("for:\n%s\ngot:\n%s\nwant it to contain %q and a line", tt.src, got, tt.want)
		}
	}
}
