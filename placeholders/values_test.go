package placeholders

import (
	"reflect"
	"strings"
	"testing"
)

func TestNewValues(t *testing.T) {
	tests := []struct {
		name    string
		maps    []map[string]string
		want    Values
		wantErr string
	}{
		{name: "none", want: Values{}},
		{name: "keys lower-cased", maps: []map[string]string{{"App_Role": "r", "x": ""}}, want: Values{"app_role": "r", "x": ""}},
		{name: "later map wins key by key", maps: []map[string]string{{"a": "1", "b": "1"}, nil, {"B": "2", "c": "2"}}, want: Values{"a": "1", "b": "2", "c": "2"}},
		{name: "case clash in one map", maps: []map[string]string{{"App_Role": "a", "app_role": "b", "x": "1"}}, wantErr: `merge placeholder values: placeholder names "App_Role" and "app_role" differ only by case`},
		{name: "three-way clash and another", maps: []map[string]string{{"b": "", "B": ""}, {"A": "", "a": "", "a_": "", "á": "", "Á": ""}}, wantErr: `merge placeholder values: placeholder names "B" and "b" differ only by case; placeholder names "A" and "a" differ only by case; placeholder names "Á" and "á" differ only by case`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewValues(tt.maps...)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("NewValues = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestValuesLookup(t *testing.T) {
	v := Values{"app_role": "r", "empty": ""}
	for _, tt := range []struct {
		name string
		val  string
		ok   bool
	}{{"app_role", "r", true}, {"APP_Role", "r", true}, {"EMPTY", "", true}, {"other", "", false}} {
		if val, ok := v.Lookup(tt.name); val != tt.val || ok != tt.ok {
			t.Errorf("Lookup(%q) = %q, %v; want %q, %v", tt.name, val, ok, tt.val, tt.ok)
		}
	}
}

func TestBuiltins(t *testing.T) {
	b := Builtins{
		Schema: `"Acme"`, DefaultSchema: "public", Tenant: "Acme", Env: "prod", User: "migrator",
		Database: "app", Timestamp: "2024-01-02 03:04:05", Filename: "V1__init.sql", Table: "strata_schema_history",
		WorkingDirectory: "/srv/app",
	}
	tests := []struct {
		name string
		want string
	}{
		{"strata:schema", `"Acme"`},
		{"strata:tenant", "Acme"},
		{"strata:env", "prod"},
		{"strata:user", "migrator"},
		{"strata:database", "app"},
		{"strata:timestamp", "2024-01-02 03:04:05"},
		{"strata:filename", "V1__init.sql"},
		{"strata:table", "strata_schema_history"},
		{"flyway:defaultSchema", "public"},
		{"flyway:user", "migrator"},
		{"flyway:database", "app"},
		{"flyway:timestamp", "2024-01-02 03:04:05"},
		{"flyway:filename", "V1__init.sql"},
		{"flyway:table", "strata_schema_history"},
		{"flyway:environment", "prod"},
		{"flyway:workingDirectory", "/srv/app"},
		{"FLYWAY:DEFAULTSCHEMA", "public"},
		{"Strata:Schema", `"Acme"`},
		{"flyway:workingdirectory", "/srv/app"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, ok := b.Lookup(tt.name); !ok || got != tt.want {
				t.Errorf("Lookup(%q) = %q, %v; want %q", tt.name, got, ok, tt.want)
			}
			if !IsBuiltin(tt.name) {
				t.Errorf("IsBuiltin(%q) = false", tt.name)
			}
			if _, ok := (Builtins{}).Lookup(tt.name); ok {
				t.Errorf("empty Builtins defines %q", tt.name)
			}
		})
	}
	for _, name := range []string{"strata:defaultSchema", "flyway:schema", "flyway:tenant", "schema", "strata:", "strata:workingDirectory"} {
		if _, ok := b.Lookup(name); ok || IsBuiltin(name) {
			t.Errorf("%q is a built-in", name)
		}
	}
	if got := BuiltinNames(); len(got) != 16 || got[0] != "strata:schema" {
		t.Errorf("BuiltinNames() = %q", got)
	}
	for _, name := range BuiltinNames() {
		if _, ok := b.Lookup(name); !ok {
			t.Errorf("BuiltinNames lists %q, which Lookup does not answer", name)
		}
	}
}

func TestChain(t *testing.T) {
	l := Chain(nil, Values{"a": "user", "b": ""}.Lookup, Builtins{User: "me"}.Lookup, Values{"a": "late"}.Lookup)
	for _, tt := range []struct {
		name, val string
		ok        bool
	}{{"a", "user", true}, {"b", "", true}, {"flyway:user", "me", true}, {"strata:tenant", "", false}, {"c", "", false}} {
		if val, ok := l(tt.name); val != tt.val || ok != tt.ok {
			t.Errorf("Chain lookup %q = %q, %v; want %q, %v", tt.name, val, ok, tt.val, tt.ok)
		}
	}
	if _, ok := Chain()("a"); ok {
		t.Error("empty Chain defines a")
	}
	x, err := Expand("${A}${flyway:USER}", Syntax{}, l)
	if err != nil || x.Text != "userme" || strings.Join(x.Used, ",") != "a,flyway:user" {
		t.Errorf("Expand with Chain = %+v, %v", x, err)
	}
}
