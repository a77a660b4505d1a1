package redact

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
)

func TestSecrets(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string // must be listed
		not      []string // must not be listed (not secrets, or too short)
	}{
		{"plain", "postgres://app:s3cret@db/x", []string{"s3cret"}, []string{"app", "db"}},
		{"raw @: every piece a parser may take for a host", "postgres://app:p@ss@TAIL@127.0.0.1/db",
			[]string{"p@ss@TAIL", "ss@TAIL", "p@ss", "TAIL", "p%40ss%40TAIL"}, []string{"127.0.0.1", "app", "p"}},
		{"encoded @ decoded too", "postgres://app:p%40ssTAIL@h/db", []string{"p%40ssTAIL", "p@ssTAIL", "ssTAIL"}, nil},
		{"raw : and /", "postgres://app:pa:ss/TAIL@h/db", []string{"pa:ss/TAIL", "ss/TAIL", "TAIL", "pa:ss"}, []string{"app"}},
		{"password taken for a port", "postgres://app:TAIL/db", []string{"TAIL"}, []string{"db"}},
		{"port is no secret", "postgres://app@h:5432/db", nil, []string{"5432"}},
		{"query", "postgres://h/db?sslmode=disable&password=q@TAIL", []string{"q@TAIL", "TAIL"}, []string{"disable"}},
		{"libpq quoted", "host=h password='se cr\\'TAIL' dbname=x", []string{"'se cr\\'TAIL'", "se cr'TAIL", "cr'TAIL"}, []string{"h", "x"}},
		{"ado braces", "server=h;Password={a;b}}TAIL};database=x", []string{"a;b}TAIL", "b}TAIL"}, nil},
		{"sqlserver url", "sqlserver://sa:p@TAIL@h:1433?database=x", []string{"p@TAIL", "TAIL"}, []string{"1433"}},
		{"no secret", "sqlite://dev.db", nil, []string{"dev.db"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Secrets(tt.in)
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("Secrets(%q) = %q: %q missing", tt.in, got, w)
				}
			}
			for _, n := range tt.not {
				if slices.Contains(got, n) {
					t.Errorf("Secrets(%q) = %q: %q listed", tt.in, got, n)
				}
			}
			for i := 1; i < len(got); i++ {
				if len(got[i]) > len(got[i-1]) {
					t.Errorf("Secrets(%q) = %q: not longest first", tt.in, got)
				}
			}
		})
	}
}

func TestMasker(t *testing.T) {
	m := New(Secrets("postgres://app:p@ss@TAILSECRET@127.0.0.1/db")...)
	for _, msg := range []string{
		"hostname resolving error: lookup ss@TAILSECRET@127.0.0.1: no such host",
		"password=p@ss@TAILSECRET",
		"p%40ss%40TAILSECRET",
	} {
		if got := m.String(msg); strings.Contains(got, "TAIL") || !strings.Contains(got, Mask) {
			t.Errorf("String(%q) = %q", msg, got)
		}
	}
	if got := m.String("lookup ss@TAILSECRET@127.0.0.1"); got != "lookup ***@127.0.0.1" {
		t.Errorf("String = %q, want the host kept", got)
	}
	// Overlapping secrets are masked together, leaving no piece of either.
	o := New("abcdef", "defghi")
	if got := o.String("x abcdefghi y"); got != "x *** y" {
		t.Errorf("overlap: %q", got)
	}
	if got := New("ab", "").String("ab"); got != "ab" {
		t.Errorf("short secrets must be ignored: %q", got)
	}
	var none *Masker
	if got := none.String("s3cret"); got != "s3cret" {
		t.Errorf("nil Masker: %q", got)
	}
	// JSON: a secret with characters JSON escapes.
	j := New(`q"u\ote<>`)
	if got := string(j.JSON([]byte(`{"m":"x q\"u\\ote<> y"}`))); got != `{"m":"x *** y"}` {
		t.Errorf("JSON: %s", got)
	}
}

func TestMaskerError(t *testing.T) {
	m := New("s3cret")
	base := io.ErrUnexpectedEOF
	if got := m.Error(base); got != base {
		t.Errorf("an error without secret must be returned as is: %v", got)
	}
	err := m.Error(errors.Join(errors.New("login s3cret failed"), base))
	if strings.Contains(err.Error(), "s3cret") || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("Error = %q, Is(EOF) = %v", err, errors.Is(err, io.ErrUnexpectedEOF))
	}
	if m.Error(nil) != nil {
		t.Error("Error(nil) != nil")
	}
}
