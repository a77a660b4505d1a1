package engine

import (
	"strings"
	"unicode/utf8"

	"github.com/stratadb/strata/locations"
)

// splitPosition places a splitter's error in the file: its line, and the
// column of its offset when the file's text has that offset on that line
// (placeholders may shift offsets; the column is then 1).
func splitPosition(f *locations.File, se interface{ SplitPosition() (int, int64) }) (line, col int) {
	line, off := se.SplitPosition()
	col = 1
	text, err := f.ReadText()
	if err != nil || off < 0 || off > int64(len(text)) {
		return line, col
	}
	head := text[:off]
	l := 1 + strings.Count(head, "\n") + strings.Count(head, "\r") - strings.Count(head, "\r\n")
	if l != line {
		return line, col
	}
	start := strings.LastIndexAny(head, "\r\n") + 1
	return line, utf8.RuneCountInString(head[start:]) + 1
}
