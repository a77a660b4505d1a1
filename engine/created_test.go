package engine

import (
	"reflect"
	"testing"
)

func TestParseSchemaList(t *testing.T) {
	tests := []struct {
		script string
		want   []string
	}{
		{`"app"`, []string{"app"}},
		{`"app","audit"`, []string{"app", "audit"}},
		{`"odd""name","a,b"`, []string{`odd"name`, "a,b"}},
		{`[dbo],[x]]y]`, []string{"dbo", "x]y"}},
		{`app, audit`, []string{"app", "audit"}},
		{``, nil},
	}
	for _, tt := range tests {
		t.Run(tt.script, func(t *testing.T) {
			if got := parseSchemaList(tt.script); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("parseSchemaList(%q) = %q, want %q", tt.script, got, tt.want)
			}
		})
	}
}
