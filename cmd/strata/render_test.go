package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRangeAt(t *testing.T) {
	src := []byte("SELECT 1;\nSELECT 'é' + x;\nlast")
	tests := []struct {
		line, col, byte int
	}{
		{1, 1, 0},
		{2, 1, 10},
		{2, 10, 20}, // 'é' is two bytes, one character
		{3, 4, 30},
		{2, 99, 26}, // past the end of line 2: stays on it
	}
	for _, tt := range tests {
		r := rangeAt("f.sql", src, tt.line, tt.col)
		if r.Start.Byte != tt.byte || r.Start.Line != tt.line || r.Start.Column != tt.col {
			t.Errorf("rangeAt(%d, %d) = %+v, want byte %d", tt.line, tt.col, r.Start, tt.byte)
		}
	}
}

// An error on the last line of a large file is located in one pass (the
// renderer used to copy the rest of the file for every line: a 50 MB
// file took over 15 minutes).
func TestRangeAtLargeFile(t *testing.T) {
	const lines = 200_000
	src := bytes.Repeat([]byte("INSERT INTO t VALUES (1, 'some text');\n"), lines)
	src = append(src, []byte("SELEC oops;")...)
	r := rangeAt("big.sql", src, lines+1, 5)
	if got := string(src[r.Start.Byte:r.End.Byte]); got != "C" {
		t.Fatalf("range points at %q, want C", got)
	}
	if !strings.HasPrefix(string(src[r.Start.Byte-4:]), "SELEC") {
		t.Fatal("wrong line")
	}
}
