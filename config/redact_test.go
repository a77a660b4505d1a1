package config

import (
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"postgres url", "postgres://app:s3cret@db:5432/app?sslmode=disable", "postgres://app:***@db:5432/app?sslmode=disable"},
		{"user without password", "postgres://app@db/app", "postgres://app@db/app"},
		{"no user", "postgres://db/app", "postgres://db/app"},
		{"sqlite", "sqlite://dev.db", "sqlite://dev.db"},
		{"sqlite file uri", "file:dev.db?mode=rwc&cache=shared", "file:dev.db?mode=rwc&cache=shared"},
		{"empty", "", ""},
		{"query password", "postgres://db/app?user=app&password=s3cret&sslmode=require", "postgres://db/app?user=app&password=***&sslmode=require"},
		{"query password upper case", "postgres://db/app?PASSWORD=s3cret", "postgres://db/app?PASSWORD=***"},
		{"query sslpassword and token", "postgres://db/app?sslpassword=s3cret&auth_token=s3cret2#x", "postgres://db/app?sslpassword=***&auth_token=***#x"},
		{"both", "postgres://u:s3cret@db/app?password=s3cret", "postgres://u:***@db/app?password=***"},
		{"at sign in password", "postgres://u:p@s3cret@db/app", "postgres://u:***@db/app"},
		{"slash in password", "postgres://u:p/s3cret@db/app", "postgres://u:***@db/app"},
		{"question mark in password", "postgres://u:p?s3cret@db/app", "postgres://u:***@db/app"},
		{"hash in password", "postgres://u:p#s3cret@db/app", "postgres://u:***@db/app"},
		{"digits and question mark in password", "postgres://u:12?s3cret@db/app", "postgres://u:***@db/app"},
		{"bad escape in password", "postgres://u:s3%zzcret@db/app", "postgres://u:***@db/app"},
		{"space in password", "postgres://u:s3 cret@db/app", "postgres://u:***@db/app"},
		{"e-mail in query", "postgres://u:s3cret@db/app?application_name=a@b.c", "postgres://u:***@db/app?application_name=a@b.c"},
		{"e-mail in query without user", "postgres://db:5432/app?application_name=a@b.c", "postgres://db:5432/app?application_name=a@b.c"},
		{"password taken for a port", "postgres://user:s3cret/app", "postgres://user:***/app"},
		{"password taken for a port, no path", "postgres://user:s3cret", "postgres://user:***"},
		{"sqlserver url", "sqlserver://sa:S3cret!x@localhost:1433?database=app", "sqlserver://sa:***@localhost:1433?database=app"},
		{"sqlserver url query password", "sqlserver://localhost:1433?database=app&password=s3cret", "sqlserver://localhost:1433?database=app&password=***"},
		{"jdbc", "jdbc:postgresql://db/app?user=u&password=s3cret", "jdbc:postgresql://db/app?user=u&password=***"},
		{"mysql dsn", "app:s3cret@tcp(db:3306)/app?parseTime=true", "app:***@tcp(db:3306)/app?parseTime=true"},
		{"libpq dsn", "host=db user=app password=s3cret dbname=app", "host=db user=app password=*** dbname=app"},
		{"libpq quoted", "host=db password='s3 cr\\'et' dbname=app", "host=db password=*** dbname=app"},
		{"libpq spaces around =", "host=db password = s3cret dbname=app", "host=db password = *** dbname=app"},
		{"libpq at sign", "host=db password=p@s3cret dbname=app", "host=db password=*** dbname=app"},
		{"ado", "server=db;user id=sa;Password=s3 cret;database=app", "server=db;user id=sa;Password=***;database=app"},
		{"ado pwd", "Server=db;UID=sa;PWD=s3cret", "Server=db;UID=sa;PWD=***"},
		{"odbc braces", "Server=db;Password={s3;c}}ret};Database=app", "Server=db;Password=***;Database=app"},
		{"ado with colon and at", "server=tcp:db,1433;password=p@ss:s3cret;database=app", "server=tcp:db,1433;password=***;database=app"},
		{"double quoted", `host=db password="s3""cret" x=y`, "host=db password=*** x=y"},
		{"unterminated quote", "host=db password='s3cret", "host=db password=***"},
		{"user named like a key", "postgres://u:pass=s3cret@db/app", "postgres://u:***@db/app"},
		{"query mark in user", "postgres://u?a=:s3cret@db/app", "postgres://u?a=:***@db/app"},
		{"control character", "postgres://u:s3cret@db/app\x7f", "postgres://u:***@db/app\x7f"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RedactURL(tt.in)
			if got != tt.want {
				t.Errorf("RedactURL(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			if strings.Contains(tt.in, "s3") && strings.Contains(got, "s3") {
				t.Errorf("RedactURL(%q) = %q shows the secret", tt.in, got)
			}
		})
	}
}

func TestDisplayURL(t *testing.T) {
	e := &Env{URL: Value{Text: "postgres://u:s3cret@db/app"}}
	if got := e.DisplayURL(); got != "postgres://u:***@db/app" {
		t.Errorf("DisplayURL() = %q", got)
	}
	e.URL.Sensitive = true
	if got := e.DisplayURL(); got != "(sensitive)" {
		t.Errorf("sensitive DisplayURL() = %q", got)
	}
}

// FuzzRedactURL checks that RedactURL never panics and never shows a
// password placed in the userinfo or a password= parameter.
func FuzzRedactURL(f *testing.F) {
	f.Add("postgres", "app", "db:5432/app")
	f.Add("sqlserver", "sa", "localhost?database=x")
	f.Add("", "u", "tcp(db)/x")
	f.Fuzz(func(t *testing.T, scheme, user, rest string) {
		const secret = "Zq9SECRETq9Z"
		prefix := ""
		if scheme != "" {
			prefix = scheme + "://"
		}
		if strings.ContainsAny(user, ":@") || strings.Contains(scheme+user+rest, "Zq9") || strings.Contains(scheme, "://") {
			return
		}
		u := prefix + user + ":" + secret + "@" + rest
		if got := RedactURL(u); strings.Contains(got, secret) {
			t.Errorf("RedactURL(%q) = %q shows the password", u, got)
		}
		_ = RedactURL(rest)
	})
}
