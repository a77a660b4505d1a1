package main

import (
	"fmt"
	"io"
	"os"
)

// escWriter writes what strata prints with control characters escaped:
// a file name, tenant or database message holding ESC, NUL or a carriage
// return must not reach the terminal raw, where it could recolour, hide or
// rewrite what the user reads. "\x1b" is written as the four characters
// \x1b. Newlines and tabs pass. Output that needs a raw control character
// (colours, the carriage return of a progress line) writes to raw.
type escWriter struct {
	raw io.Writer
}

func (w escWriter) Write(p []byte) (int, error) {
	clean := true
	for _, c := range p {
		if isEscaped(c) {
			clean = false
			break
		}
	}
	if clean {
		return w.raw.Write(p)
	}
	out := make([]byte, 0, len(p)+16)
	for _, c := range p {
		if isEscaped(c) {
			out = fmt.Appendf(out, `\x%02x`, c)
			continue
		}
		out = append(out, c)
	}
	if _, err := w.raw.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// isEscaped reports the bytes escWriter escapes: ASCII control characters
// other than newline and tab, and DEL.
func isEscaped(c byte) bool { return (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f }

// rawWriter returns the writer under an escWriter (w itself otherwise).
func rawWriter(w io.Writer) io.Writer {
	if e, ok := w.(escWriter); ok {
		return e.raw
	}
	return w
}

// fileOf returns the *os.File under w, if any, to ask whether it is a
// terminal.
func fileOf(w io.Writer) (*os.File, bool) {
	f, ok := rawWriter(w).(*os.File)
	return f, ok
}
