package main

import (
	"maps"
	"strings"
	"testing"

	"github.com/stratadb/strata/config"
)

func TestParseDotenv(t *testing.T) {
	tests := []struct {
		name, src string
		want      map[string]string
	}{
		{"plain", "A=1\nB = two words \n", map[string]string{"A": "1", "B": "two words"}},
		{"comments and blanks", "# c\n\n  # indented\nA=1 # trailing\nB=x#not-a-comment\n", map[string]string{"A": "1", "B": "x#not-a-comment"}},
		{"export", "export A=1\n", map[string]string{"A": "1"}},
		{"single quotes are literal", `A='p$ss\n # x' # c` + "\n", map[string]string{"A": `p$ss\n # x`}},
		{"double quotes escape", `A="a\"b\\c\nd"` + "\n", map[string]string{"A": "a\"b\\c\nd"}},
		{"no expansion", "A=$HOME/${USER}\n", map[string]string{"A": "$HOME/${USER}"}},
		{"empty", "A=\nB=''\n", map[string]string{"A": "", "B": ""}},
		{"crlf and bom", "\ufeffA=1\r\nB=2\r\n", map[string]string{"A": "1", "B": "2"}},
		{"url", "DATABASE_URL=postgres://u:p@h:5432/db?sslmode=disable\n", map[string]string{"DATABASE_URL": "postgres://u:p@h:5432/db?sslmode=disable"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseDotenv([]byte(tt.src))
			if err != nil || !maps.Equal(got, tt.want) {
				t.Errorf("parseDotenv(%q) = %q, %v; want %q", tt.src, got, err, tt.want)
			}
		})
	}
	for _, bad := range []string{"no equals hunter2\n", "1A=x\n", "A B=hunter2\n", "A='hunter2\n", `A="hunter2` + "\n", "A='x' hunter2\n"} {
		_, err := parseDotenv([]byte("OK=1\n" + bad))
		if err == nil {
			t.Errorf("parseDotenv(%q) accepted", bad)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") || !strings.HasPrefix(err.Error(), "2: ") {
			t.Errorf("parseDotenv(%q): %v; want line 2, without the line's text", bad, err)
		}
	}
}

func TestDatabase(t *testing.T) {
	tests := map[string]string{
		"postgres://app:s3cret-pw@db.example:6432/shop?sslmode=disable": "postgres db.example:6432/shop",
		"postgresql://app@db.example/shop":                              "postgres db.example:5432/shop",
		"postgres:///shop?host=/run/postgresql":                         "postgres /run/postgresql/shop",
		"sqlserver://sa:s3cret-pw@sql.example:1433?database=shop":       "sqlserver sql.example:1433/shop",
		"mysql://app:s3cret-pw@my.example/shop":                         "mysql my.example:3306/shop",
		"mariadb://app:s3cret-pw@my.example:3307/shop?tls=true":         "mariadb my.example:3307/shop",
		"sqlserver://sa:s3cret-pw@sql.example/SQLEXPRESS?database=shop": `sqlserver sql.example\SQLEXPRESS/shop`,
		"sqlite:///var/lib/app.db":                                      "sqlite /var/lib/app.db",
		"sqlite://:memory:":                                             "sqlite :memory:",
		"postgres://app:s3cret-pw@[::1]:5432/shop":                      "postgres [::1]:5432/shop",
	}
	for url, want := range tests {
		env := &config.Env{URL: config.Value{Text: url, Sensitive: true}}
		if got := database(env, t.TempDir()); got != want {
			t.Errorf("database(%q) = %q, want %q", url, got, want)
		}
		if strings.Contains(database(env, ""), "s3cret") {
			t.Errorf("database(%q) shows the password", url)
		}
	}
}
