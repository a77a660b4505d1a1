package locations

import (
	"errors"
	"strings"
	"testing"
	"testing/iotest"
)

func ptr(b bool) *bool { return &b }

func sameBool(a, b *bool) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

func sameDirectives(a, b Directives) bool {
	return sameBool(a.Transaction, b.Transaction) && sameBool(a.Placeholders, b.Placeholders) &&
		sameBool(a.ShouldExecute, b.ShouldExecute) &&
		a.LockTimeout == b.LockTimeout && a.StatementTimeout == b.StatementTimeout
}

func showDirectives(d Directives) string {
	s := func(b *bool) string {
		if b == nil {
			return "nil"
		}
		if *b {
			return "true"
		}
		return "false"
	}
	return "{tx:" + s(d.Transaction) + " ph:" + s(d.Placeholders) + " exec:" + s(d.ShouldExecute) +
		" lock:" + d.LockTimeout + " stmt:" + d.StatementTimeout + "}"
}

func TestParseDirectives(t *testing.T) {
	tests := []struct {
		name string
		src  string
		conf string // "-" for none
		want Directives
	}{
		{"none", "CREATE TABLE t (id int);\n", "-", Directives{}},
		{"empty file", "", "-", Directives{}},
		{"transaction", "-- strata:transaction=false\nCREATE INDEX CONCURRENTLY i ON t (x);\n", "-", Directives{Transaction: ptr(false)}},
		{"several on one line", "-- strata:transaction=false placeholders=false\nSELECT 1;", "-",
			Directives{Transaction: ptr(false), Placeholders: ptr(false)}},
		{"prefix repeated", "-- strata:transaction=true strata:placeholders=true\n", "-",
			Directives{Transaction: ptr(true), Placeholders: ptr(true)}},
		{"timeouts", "-- strata:lock_timeout=5s statement_timeout=1min\n", "-",
			Directives{LockTimeout: "5s", StatementTimeout: "1min"}},
		{"timeout forms", "-- strata:lock_timeout=500ms\n--strata:statement_timeout=0\n", "-",
			Directives{LockTimeout: "500ms", StatementTimeout: "0"}},
		{"after other comments and blank lines", "-- Add users\n\n  -- author: me\n-- strata:transaction=false\nSELECT 1;", "-",
			Directives{Transaction: ptr(false)}},
		{"after bom", "\uFEFF-- strata:transaction=false\n", "-", Directives{Transaction: ptr(false)}},
		{"crlf", "-- x\r\n-- strata:transaction=false\r\nSELECT 1;\r\n", "-", Directives{Transaction: ptr(false)}},
		{"cr only", "-- x\r-- strata:transaction=false\rSELECT 1;", "-", Directives{Transaction: ptr(false)}},
		{"no final newline", "-- strata:placeholders=false", "-", Directives{Placeholders: ptr(false)}},
		{"spaces around equals", "-- strata: transaction = false  placeholders= true\n", "-",
			Directives{Transaction: ptr(false), Placeholders: ptr(true)}},
		{"case of values", "-- strata:transaction=FALSE\n", "-", Directives{Transaction: ptr(false)}},
		{"lint-ignore, repeated", "-- strata:lint-ignore=lock-table,drop-in-use\n-- strata:lint-ignore=set-not-null transaction=false\n", "-",
			Directives{Transaction: ptr(false), LintIgnore: []string{"lock-table", "drop-in-use", "set-not-null"}}},
		{"ignored after sql", "SELECT 1;\n-- strata:transaction=false\n", "-", Directives{}},
		{"ignored after sql on the first line", "SELECT 1; -- strata:transaction=false\n", "-", Directives{}},
		{"ignored after block comment", "/* header */\n-- strata:transaction=false\n", "-", Directives{}},
		{"ignored when not at comment start", "-- see strata:transaction=false\n", "-", Directives{}},
		{"single dash is not a comment", "- strata:transaction=false\n", "-", Directives{}},
		{"conf", "SELECT 1;", "executeInTransaction=false\nplaceholderReplacement=false\nencoding=UTF-8\nshouldExecute=false\n",
			Directives{Transaction: ptr(false), Placeholders: ptr(false), ShouldExecute: ptr(false)}},
		{"conf spacing and comments", "SELECT 1;", "# comment\n! comment\n\n  executeInTransaction = true  \r\nencoding: utf8\n",
			Directives{Transaction: ptr(true)}},
		{"conf encoding spellings", "", "encoding=utf_8", Directives{}},
		{"conf empty", "", "", Directives{}},
		{"conf and comment agree", "-- strata:transaction=false\n", "executeInTransaction=false",
			Directives{Transaction: ptr(false)}},
		{"conf and comment combine", "-- strata:lock_timeout=2s\n", "placeholderReplacement=false",
			Directives{Placeholders: ptr(false), LockTimeout: "2s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var conf []byte
			if tt.conf != "-" {
				conf = []byte(tt.conf)
			}
			got, err := ParseDirectives("loc/V1__x.sql", []byte(tt.src), "loc/V1__x.sql.conf", conf)
			if err != nil {
				t.Fatalf("ParseDirectives: %v", err)
			}
			if !sameDirectives(got, tt.want) {
				t.Errorf("ParseDirectives = %s, want %s", showDirectives(got), showDirectives(tt.want))
			}
			// Fed in one-byte chunks, the scanner finds the same.
			var h headerScanner
			r := iotest.OneByteReader(strings.NewReader(tt.src))
			buf := make([]byte, 1)
			for {
				n, err := r.Read(buf)
				if n > 0 {
					h.Write(buf[:n])
				}
				if err != nil {
					break
				}
			}
			h.finish()
			got2, err := buildDirectives("loc/V1__x.sql", &h, "loc/V1__x.sql.conf", conf)
			if err != nil || !sameDirectives(got2, tt.want) {
				t.Errorf("byte by byte: %s, %v; want %s", showDirectives(got2), err, showDirectives(tt.want))
			}
		})
	}
}

func TestParseDirectivesErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		conf string // "-" for none
		want []string
	}{
		{"unknown directive", "-- x\n-- strata:transactions=false\n", "-",
			[]string{`loc/V1__x.sql:2: unknown directive "transactions" (known: transaction, placeholders, lock_timeout, statement_timeout, lint-ignore)`}},
		{"bad bool", "-- strata:transaction=no\n", "-",
			[]string{"loc/V1__x.sql:1: directive transaction=no: value must be true or false"}},
		{"bad duration", "-- strata:lock_timeout=fast\n", "-",
			[]string{"loc/V1__x.sql:1: directive lock_timeout=fast: value must be a duration such as 500ms, 5s or 1min (units us, ms, s, min, h, d)"}},
		{"duration with space", "-- strata:lock_timeout=5 s\n", "-", []string{`loc/V1__x.sql:1: directive "s" is not key=value`}},
		{"bad unit", "-- strata:statement_timeout=5x\n", "-", []string{"loc/V1__x.sql:1: directive statement_timeout=5x: value must be a duration"}},
		{"no value", "-- strata:transaction\n", "-", []string{`loc/V1__x.sql:1: directive "transaction" is not key=value`}},
		{"empty", "-- strata:\n", "-", []string{"loc/V1__x.sql:1: empty directive"}},
		{"twice", "-- strata:transaction=false\n-- strata:transaction=false\n", "-",
			[]string{"loc/V1__x.sql:2: directive transaction set twice (first on line 1)"}},
		{"all errors", "-- strata:a=1 b=2\n-- strata:c=3\n", "-",
			[]string{`:1: unknown directive "a"`, `:1: unknown directive "b"`, `:2: unknown directive "c"`}},
		{"long directive line", "-- strata:transaction=false " + strings.Repeat("x", maxHeaderLine) + "\n", "-",
			[]string{"loc/V1__x.sql:1: directive line longer than"}},
		{"conf unknown key", "", "executeInTransaction=false\nflyway.mixed=true\n",
			[]string{`loc/V1__x.sql.conf:2: unknown key "flyway.mixed" (known: executeInTransaction, placeholderReplacement, encoding, shouldExecute)`}},
		{"conf bad bool", "", "executeInTransaction=yes", []string{"loc/V1__x.sql.conf:1: executeInTransaction=yes: value must be true or false"}},
		{"conf bad encoding", "", "\nencoding=ISO-8859-1", []string{`loc/V1__x.sql.conf:2: encoding "ISO-8859-1" is not supported: strata reads scripts as UTF-8 only`}},
		{"conf utf-16", "", "encoding=UTF-16", []string{`encoding "UTF-16" is not supported`}},
		{"conf shouldExecute expression", "", "shouldExecute=${env}==prod",
			[]string{"loc/V1__x.sql.conf:1: shouldExecute=${env}==prod: only true or false is supported (no expressions)"}},
		{"conf no separator", "", "executeInTransaction", []string{`loc/V1__x.sql.conf:1: "executeInTransaction" is not key=value`}},
		{"conf twice", "", "encoding=UTF-8\r\nencoding=UTF-8", []string{"loc/V1__x.sql.conf:2: encoding set twice (first on line 1)"}},
		{"conf invalid utf-8", "", "encoding=UTF-8\n\xff", []string{"loc/V1__x.sql.conf:2: invalid UTF-8 at byte offset 15"}},
		{"conf contradicts comment", "-- strata:transaction=true\n", "executeInTransaction=false",
			[]string{"loc/V1__x.sql.conf:1: executeInTransaction=false contradicts strata:transaction=true on line 1 of loc/V1__x.sql"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var conf []byte
			if tt.conf != "-" {
				conf = []byte(tt.conf)
			}
			_, err := ParseDirectives("loc/V1__x.sql", []byte(tt.src), "loc/V1__x.sql.conf", conf)
			if err == nil {
				t.Fatal("ParseDirectives: no error")
			}
			var de *DirectiveError
			if !errors.As(err, &de) {
				t.Errorf("error %v is not a *DirectiveError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if n := strings.Count(err.Error(), "\n") + 1; n != len(tt.want) {
				t.Errorf("error has %d lines, want %d:\n%v", n, len(tt.want), err)
			}
		})
	}
}

func TestHeaderScannerStops(t *testing.T) {
	var h headerScanner
	h.Write([]byte("-- a\nSELECT"))
	if !h.done {
		t.Error("scanner still looking after the first statement started")
	}
	h = headerScanner{}
	h.Write([]byte("\xef"))
	h.Write([]byte("\xbb"))
	if h.done {
		t.Error("scanner stopped inside a byte order mark")
	}
	h.Write([]byte("\xbf-- strata:transaction=false\n"))
	h.finish()
	if len(h.settings) != 1 {
		t.Errorf("settings after a split byte order mark = %v", h.settings)
	}
	h = headerScanner{}
	h.Write([]byte(strings.Repeat(" ", maxHeaderLine+10) + "SELECT 1;\n-- strata:transaction=false\n"))
	h.finish()
	if len(h.settings) != 0 || len(h.errs) != 0 {
		t.Errorf("a directive after a long blank-looking line was read: %v %v", h.settings, h.errs)
	}
}
