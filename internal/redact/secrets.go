package redact

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"net/url"
	"sort"
	"strings"
)

// MinLen is the length under which a secret is not masked: replacing every
// one- or two-byte string would make messages unreadable and reveal about
// as much.
const MinLen = 3

// maxTokens bounds the fragments made of one value (n*(n+1)/2 of them).
const maxTokens = 24

// delims split a secret value into the pieces a lenient parser can take
// apart: libpq and pgx end the user information at the first '@' and take
// the rest for host, port, database and parameters.
const delims = "@:/?#&=,; \t"

// Secrets returns every fragment of the secrets of the connection string s
// that a driver's message could show, longest first: the password of the
// user information (postgres://user:PASSWORD@host, with raw '@', ':' or
// '/' in it, or mistaken for a port as in postgres://user:PASSWORD/db),
// and the values of parameters named like a password, secret or token, in
// a URL query, a libpq key=value list or an ADO/ODBC string. For each it
// lists the whole value, quoted and unquoted, every run of its pieces
// between delimiters (@ : / ? # & = , ; and blanks), and their
// percent-decoded and percent-encoded spellings. Pieces shorter than
// MinLen are left out.
func Secrets(s string) []string {
	var vals []string
	if p, ok := userinfoPassword(s); ok {
		vals = append(vals, p)
	}
	scanParams(s, func(v, end int) {
		raw := s[v:end]
		vals = append(vals, raw)
		if u := unquote(raw); u != raw {
			vals = append(vals, u)
		}
	})
	seen := map[string]bool{}
	var out []string
	add := func(f string) {
		if len(f) >= MinLen && !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	for _, v := range vals {
		forms := []string{v}
		if d, err := url.PathUnescape(v); err == nil && d != v {
			forms = append(forms, d)
		}
		if d, err := url.QueryUnescape(v); err == nil && d != v {
			forms = append(forms, d)
		}
		for _, form := range forms {
			for _, f := range fragments(form) {
				add(f)
				add(url.PathEscape(f))
				add(url.QueryEscape(f))
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// userinfoPassword returns the password of "scheme://user:password@host..."
// or "user:password@host..." (the last '@' ends it, as in URL), or the
// text a URL without '@' that does not parse would take for a port
// (postgres://user:password/db).
func userinfoPassword(s string) (string, bool) {
	start := 0
	if i := strings.Index(s, "://"); i >= 0 {
		start = i + 3
	} else if strings.Contains(s, "=") {
		return "", false // a key=value list: its passwords are parameters
	}
	rest := s[start:]
	at := userinfoEnd(s, rest)
	if at < 0 {
		if start == 0 {
			return "", false
		}
		if _, err := url.Parse(s); err == nil {
			return "", false
		}
		end := len(rest)
		if i := strings.IndexAny(rest, "/?#"); i >= 0 {
			end = i
		}
		_, p, ok := strings.Cut(rest[:end], ":")
		return p, ok && p != ""
	}
	_, p, ok := strings.Cut(rest[:at], ":")
	return p, ok && p != ""
}

// unquote removes the quotes of a quoted parameter value ('...' with \'
// and ” escapes, "..." with "" escapes, {...} with }} escapes).
func unquote(v string) string {
	if len(v) < 2 {
		return v
	}
	q := v[0]
	closer := q
	switch q {
	case '\'', '"':
	case '{':
		closer = '}'
	default:
		return v
	}
	inner := v[1:]
	inner = strings.TrimSuffix(inner, string(closer))
	var b strings.Builder
	for i := 0; i < len(inner); i++ {
		switch {
		case inner[i] == '\\' && q == '\'' && i+1 < len(inner):
			i++
		case inner[i] == closer && i+1 < len(inner) && inner[i+1] == closer:
			i++
		}
		b.WriteByte(inner[i])
	}
	return b.String()
}

// fragments returns v and every run of its pieces between delimiters.
func fragments(v string) []string {
	type span struct{ start, end int }
	var tokens []span
	start := 0
	for i := 0; i < len(v); i++ {
		if strings.IndexByte(delims, v[i]) >= 0 {
			tokens = append(tokens, span{start, i})
			start = i + 1
		}
	}
	tokens = append(tokens, span{start, len(v)})
	out := []string{v}
	if len(tokens) > maxTokens {
		for _, t := range tokens {
			out = append(out, v[t.start:t.end])
		}
		return out
	}
	for i := range tokens {
		for j := i; j < len(tokens); j++ {
			out = append(out, v[tokens[i].start:tokens[j].end])
		}
	}
	return out
}

// A Masker replaces known secrets in text with Mask. The zero value and
// nil mask nothing.
type Masker struct {
	secrets []string // longest first, at least MinLen bytes each
	json    []string // their spellings inside a JSON string, when different
}

// New returns a Masker for secrets; values shorter than MinLen and
// duplicates are ignored.
func New(secrets ...string) *Masker {
	m := &Masker{}
	seen := map[string]bool{}
	for _, s := range secrets {
		if len(s) < MinLen || seen[s] {
			continue
		}
		seen[s] = true
		m.secrets = append(m.secrets, s)
		if j := jsonText(s); j != s {
			m.json = append(m.json, j)
		}
	}
	sort.SliceStable(m.secrets, func(i, j int) bool { return len(m.secrets[i]) > len(m.secrets[j]) })
	return m
}

// Empty reports whether m masks nothing.
func (m *Masker) Empty() bool { return m == nil || len(m.secrets) == 0 }

// String returns s with every byte that belongs to an occurrence of a
// secret masked: each run of such bytes becomes one Mask. Overlapping and
// adjacent occurrences of different secrets are masked together, so no
// piece of either is left.
func (m *Masker) String(s string) string {
	if m.Empty() {
		return s
	}
	return maskAll(s, m.secrets)
}

// JSON returns the JSON text b with every secret masked, as written raw
// and as escaped inside a JSON string.
func (m *Masker) JSON(b []byte) []byte {
	if m.Empty() {
		return b
	}
	return []byte(maskAll(string(b), append(append([]string(nil), m.secrets...), m.json...)))
}

func maskAll(s string, secrets []string) string {
	type span struct{ start, end int }
	var spans []span
	for _, sec := range secrets {
		for off := 0; ; {
			i := strings.Index(s[off:], sec)
			if i < 0 {
				break
			}
			spans = append(spans, span{off + i, off + i + len(sec)})
			off += i + 1
		}
	}
	if len(spans) == 0 {
		return s
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	var b strings.Builder
	last := 0
	for i := 0; i < len(spans); {
		start, end := spans[i].start, spans[i].end
		for i++; i < len(spans) && spans[i].start <= end; i++ {
			end = max(end, spans[i].end)
		}
		b.WriteString(s[last:start])
		b.WriteString(Mask)
		last = end
	}
	b.WriteString(s[last:])
	return b.String()
}

// jsonText is s as encoding/json writes it inside a string (HTML escaping
// off, as the CLI writes JSON).
func jsonText(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return s
	}
	t := strings.TrimSuffix(b.String(), "\n")
	return t[1 : len(t)-1]
}

// Error returns err with its message masked: err itself when the message
// holds no secret, else an error whose Error is the masked message and
// whose Unwrap is err (errors.Is and errors.As still see the driver's
// error, whose own message is not masked).
func (m *Masker) Error(err error) error {
	if err == nil || m.Empty() {
		return err
	}
	s := err.Error()
	if ms := m.String(s); ms != s {
		return &maskedError{text: ms, err: err}
	}
	return err
}

type maskedError struct {
	text string
	err  error
}

func (e *maskedError) Error() string { return e.text }
func (e *maskedError) Unwrap() error { return e.err }

// Connector returns c with the messages of its connection errors masked
// (see Error), so that a driver's "lookup s3cret@host" never leaves it.
func (m *Masker) Connector(c driver.Connector) driver.Connector {
	if m.Empty() {
		return c
	}
	return &connector{c: c, m: m}
}

type connector struct {
	c driver.Connector
	m *Masker
}

func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.c.Connect(ctx)
	return conn, c.m.Error(err)
}

func (c *connector) Driver() driver.Driver { return c.c.Driver() }
