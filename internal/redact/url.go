package redact

import (
	"net/url"
	"strings"
)

// Mask replaces a secret in text.
const Mask = "***"

// URL returns a database URL or DSN with its secrets replaced by
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
func URL(s string) string {
	return maskUserinfo(maskParams(s))
}

// maskUserinfo masks the password of "scheme://user:password@host..." or
// "user:password@host...".
func maskUserinfo(s string) string {
	start := 0
	if i := strings.Index(s, "://"); i >= 0 {
		start = i + 3
	}
	rest := s[start:]
	at := userinfoEnd(s, rest)
	if at < 0 {
		if start > 0 {
			return maskBadAuthority(s, start)
		}
		return s
	}
	c := strings.IndexByte(rest[:at], ':')
	if c < 0 {
		return s
	}
	return s[:start+c+1] + Mask + rest[at:]
}

// userinfoEnd is the index in rest of the '@' that ends the user
// information, or -1. A password may contain unescaped '@', '/', '?' or
// '#', so the last '@' is taken, except one inside a query parameter value
// of a URL that parses (postgres://h/db?user=a@b.c).
func userinfoEnd(s, rest string) int {
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return -1
	}
	if _, err := url.Parse(s); err != nil {
		return at
	}
	q := strings.IndexByte(rest, '?')
	for at > q && q >= 0 {
		seg := rest[q+1 : at]
		if i := strings.LastIndexAny(seg, "&;"); i >= 0 {
			seg = seg[i+1:]
		}
		if !strings.Contains(seg, "=") || strings.Contains(seg, ":") {
			return at // not a key=value parameter (or a user:password): take it as userinfo
		}
		at = strings.LastIndexByte(rest[:at], '@')
	}
	return at
}

// maskBadAuthority masks the part after the first ':' of the authority of a
// URL without '@' that does not parse, such as postgres://user:pass/db
// (the password would otherwise be taken for a port).
func maskBadAuthority(s string, start int) string {
	if _, err := url.Parse(s); err == nil {
		return s
	}
	rest := s[start:]
	end := len(rest)
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		end = i
	}
	c := strings.IndexByte(rest[:end], ':')
	if c < 0 {
		return s
	}
	return s[:start+c+1] + Mask + rest[end:]
}

// secretKey reports whether a parameter name names a secret.
func secretKey(k string) bool {
	k = strings.ToLower(strings.TrimSpace(k))
	for _, w := range []string{"pass", "pwd", "secret", "token"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// paramKey reports whether k looks like a parameter name (letters, digits,
// '_', '-', '.', and the spaces of ADO names such as "User ID"), so that
// "user:pass=word" in a URL is not taken for a parameter.
func paramKey(k string) bool {
	k = strings.TrimSpace(k)
	if k == "" {
		return false
	}
	for _, r := range k {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-. ", r)
		if !ok {
			return false
		}
	}
	return true
}

// maskParams masks the values of secret parameters (see scanParams).
func maskParams(s string) string {
	var b strings.Builder
	last := 0 // s[:last] is written
	scanParams(s, func(v, end int) {
		b.WriteString(s[last:v])
		b.WriteString(Mask)
		last = end
	})
	b.WriteString(s[last:])
	return b.String()
}

// scanParams calls found with the bounds s[v:end] of the value of every
// parameter whose name names a secret (secretKey), in order. Three forms
// are recognised by their look: a URL query (values end at '&' or '#'), an
// ADO/ODBC string with ';' (values end at ';'), and a libpq key=value list
// (values end at white space). Quoted values ('...', "...", {...}) are
// taken whole, quotes included.
func scanParams(s string, found func(v, end int)) {
	var term, bounds string
	switch {
	case strings.Contains(s, "://") || (strings.Contains(s, "?") && !strings.ContainsAny(s, " \t;")):
		term, bounds = "&#", "?&;"
	case strings.Contains(s, ";"):
		term, bounds = ";", ";"
	default:
		term, bounds = " \t\r\n", " \t\r\n"
	}
	last := 0 // values before last are done
	for i := 0; i < len(s); i++ {
		if s[i] != '=' {
			continue
		}
		// The key runs back from '=' to a boundary (spaces before '=' allowed).
		k := i
		for k > 0 && (s[k-1] == ' ' || s[k-1] == '\t') {
			k--
		}
		j := k
		for j > 0 && !strings.ContainsRune(bounds, rune(s[j-1])) {
			j--
		}
		if j < last || !paramKey(s[j:k]) || !secretKey(s[j:k]) {
			continue
		}
		// The value starts after '=' and optional spaces.
		v := i + 1
		for v < len(s) && (s[v] == ' ' || s[v] == '\t') && term != "&#" {
			v++
		}
		end := valueEnd(s, v, term)
		found(v, end)
		last = end
		i = end - 1
	}
}

// valueEnd returns the index after the value that starts at v.
func valueEnd(s string, v int, term string) int {
	if v >= len(s) {
		return v
	}
	switch q := s[v]; q {
	case '\'', '"', '{':
		closer := q
		if q == '{' {
			closer = '}'
		}
		for i := v + 1; i < len(s); i++ {
			switch {
			case s[i] == '\\' && q == '\'' && i+1 < len(s):
				i++
			case s[i] == closer && i+1 < len(s) && s[i+1] == closer:
				i++ // doubled closer: an escaped quote or brace
			case s[i] == closer:
				return i + 1
			}
		}
		return len(s)
	}
	if i := strings.IndexAny(s[v:], term); i >= 0 {
		return v + i
	}
	return len(s)
}
