package schemas

import (
	"reflect"
	"testing"
)

func TestExpand(t *testing.T) {
	tests := []struct {
		name    string
		managed []string
		tenants []string
		def     string
		want    []Target
		wantErr bool
	}{
		{name: "default schema", def: "public", want: []Target{{Name: "public", Schema: "public"}}},
		{name: "first managed", managed: []string{"app", "audit"}, def: "public", want: []Target{{Name: "app", Schema: "app"}}},
		{name: "tenants only", managed: []string{"shared"}, tenants: []string{"t1", "t2"},
			want: []Target{{Name: "t1", Schema: "t1", Tenant: true}, {Name: "t2", Schema: "t2", Tenant: true}}},
		{name: "hostile name kept verbatim", tenants: []string{`x"; DROP TABLE y; --`},
			want: []Target{{Name: `x"; DROP TABLE y; --`, Schema: `x"; DROP TABLE y; --`, Tenant: true}}},
		{name: "duplicate tenant", tenants: []string{"a", "a"}, wantErr: true},
		{name: "empty tenant", tenants: []string{""}, wantErr: true},
		{name: "newline in a tenant name", tenants: []string{"a\nDROP TABLE x; --"}, wantErr: true},
		{name: "tab in a tenant name", tenants: []string{"a\tb"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Expand(tt.managed, tt.tenants, tt.def)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !tt.wantErr && !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestPlain(t *testing.T) {
	for name, want := range map[string]bool{"tenant_1": true, "_x": true, "1abc": false, "a-b": false, `x"y`: false, "": false, "Ünï": false} {
		if got := Plain(name); got != want {
			t.Errorf("Plain(%q) = %v, want %v", name, got, want)
		}
	}
}
