package config

import "github.com/stratadb/strata/internal/redact"

// RedactURL returns a database URL or DSN with its secrets replaced by
// "***", for messages and output:
//
//   - the password of a URL: postgres://user:***@host/db
//   - the value of every parameter whose name contains "pass", "pwd",
//     "secret" or "token", in a URL query (?password=***), a libpq
//     key=value DSN (password=*** or password='***') or an ADO/ODBC
//     connection string (Password=***;)
//   - the password of a DSN without scheme (user:***@tcp(host)/db).
//
// It works on the text, never echoing a parse error, and when the text is not
// a well-formed URL it masks more rather than less (everything between the
// first ':' and the last '@' of the authority).
func RedactURL(s string) string { return redact.URL(s) }

// URLSecrets returns every piece of the secrets of a database URL or DSN
// that a message could show (see redact.Secrets), for masking them in
// driver messages.
func URLSecrets(s string) []string { return redact.Secrets(s) }
