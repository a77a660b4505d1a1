package engine

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/stratadb/strata/locations"
	"github.com/stratadb/strata/placeholders"
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

// readPosition places an error met while reading a file (an undefined
// placeholder, a statement the splitter cannot end) in the file on disk;
// 0, 0 when it has no position.
func readPosition(f *locations.File, err error) (line, col int) {
	var ue *placeholders.UndefinedError
	if errors.As(err, &ue) && len(ue.Items) > 0 {
		return ue.Items[0].Line, ue.Items[0].Column
	}
	var se interface{ SplitPosition() (int, int64) }
	if errors.As(err, &se) {
		return splitPosition(f, se)
	}
	return 0, 0
}
