package locations

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

// TestEncodingErrorPosition: a NUL byte or an invalid UTF-8 byte is refused
// with file, line and column, the column counting characters.
func TestEncodingErrorPosition(t *testing.T) {
	tests := []struct {
		name, text string
		nul        bool
		line, col  int
		offset     int64
	}{
		{"nul first line", "SELECT \x00;\n", true, 1, 8, 7},
		{"nul after crlf", "SELECT 1;\r\nSELECT 'é\x00';\r\n", true, 2, 10, 21},
		{"nul after lone cr", "a\rb\x00", true, 2, 2, 3},
		{"latin1 mid file", "SELECT 1;\nSELECT 'caf\xe9';\n", false, 2, 12, 21},
		{"latin1 after multibyte", "-- ünïcode\nx\n'\xff'", false, 3, 2, 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{"V1__a.sql": {Data: []byte(tt.text)}}
			_, err := Collect([]Root{{Name: "db", FS: fsys}}, Options{})
			var e *EncodingError
			if !errors.As(err, &e) {
				t.Fatalf("want *EncodingError, got %v", err)
			}
			if e.NUL != tt.nul || e.Line != tt.line || e.Column != tt.col || e.Offset != tt.offset || e.Path != "db/V1__a.sql" {
				t.Errorf("got NUL=%v %s:%d:%d offset %d, want NUL=%v db/V1__a.sql:%d:%d offset %d", e.NUL, e.Path, e.Line, e.Column, e.Offset, tt.nul, tt.line, tt.col, tt.offset)
			}
			if want := e.Path + ":"; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("message %q does not start with %q", err, want)
			}
		})
	}
}

// TestUndoWithoutVersioned: U7 without V7 is a warning naming the file, and a
// *NamingError with ValidateNaming; an undo with its versioned file (or a
// baseline of its version) is neither.
func TestUndoWithoutVersioned(t *testing.T) {
	fsys := fstest.MapFS{
		"V1__a.sql":     {Data: []byte("x")},
		"U1__a.sql":     {Data: []byte("x")},
		"B2__b.sql":     {Data: []byte("x")},
		"U2__b.sql":     {Data: []byte("x")},
		"U7__seven.sql": {Data: []byte("x")},
	}
	set, err := Collect([]Root{{Name: "db", FS: fsys}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Warnings) != 1 || set.Warnings[0].Path != "db/U7__seven.sql" || !strings.Contains(set.Warnings[0].Message, "V7__<description>.sql") {
		t.Errorf("warnings = %v, want one for db/U7__seven.sql naming V7__<description>.sql", set.Warnings)
	}
	_, err = Collect([]Root{{Name: "db", FS: fsys}}, Options{ValidateNaming: true})
	var ne *NamingError
	if !errors.As(err, &ne) || len(ne.Problems) != 1 || ne.Problems[0].Path != "db/U7__seven.sql" {
		t.Errorf("with ValidateNaming: got %v, want a *NamingError for db/U7__seven.sql", err)
	}
}

// TestFirstBadByteWins: a NUL after an invalid byte, or before one, is
// reported in file order.
func TestFirstBadByteWins(t *testing.T) {
	for text, nul := range map[string]bool{"ab\xffc\x00": false, "ab\x00c\xff": true} {
		_, err := Collect([]Root{{Name: "db", FS: fstest.MapFS{"V1__a.sql": {Data: []byte(text)}}}}, Options{})
		var e *EncodingError
		if !errors.As(err, &e) || e.NUL != nul || e.Column != 3 {
			t.Errorf("%q: got %v, want NUL=%v at column 3", text, err, nul)
		}
	}
}
