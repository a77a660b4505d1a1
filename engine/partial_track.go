package engine

import (
	"bufio"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strconv"
	"strings"

	"github.com/stratadb/strata/locations"
)

// Tracking the statements of a non-transactional file as they run: their
// checksums (recorded in the history so that a re-run can resume) and
// where each stands in the file (shown when a run fails part way).

// sourceReader reads a file's text forward, hashing the byte ranges of
// statements and counting lines on the way.
type sourceReader struct {
	r      *bufio.Reader
	c      io.Closer
	pos    int64
	line   int
	prevCR bool
	buf    []byte
}

func openSource(f *locations.File) (*sourceReader, error) {
	r, c, err := openText(f)
	if err != nil {
		return nil, err
	}
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	return &sourceReader{r: br, c: c, line: 1, buf: make([]byte, 0, 4096)}, nil
}

func (s *sourceReader) Close() error { return s.c.Close() }

// span returns the checksum of the bytes [from, to) without carriage
// returns, the line where from is, and the first bytes of the range.
// Ranges must come in order; an overlap starts at the current position.
func (s *sourceReader) span(from, to int64) (sum uint32, line int, head string, err error) {
	for s.pos < from {
		b, err := s.r.ReadByte()
		if err != nil {
			return 0, 0, "", err
		}
		s.count(b)
	}
	line = s.line
	var h strings.Builder
	s.buf = s.buf[:0]
	for s.pos < to {
		b, err := s.r.ReadByte()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, 0, "", err
		}
		s.count(b)
		if h.Len() < 512 {
			h.WriteByte(b)
		}
		if b == '\r' {
			continue
		}
		s.buf = append(s.buf, b)
		if len(s.buf) == cap(s.buf) {
			sum = crc32.Update(sum, crc32.IEEETable, s.buf)
			s.buf = s.buf[:0]
		}
	}
	sum = crc32.Update(sum, crc32.IEEETable, s.buf)
	return sum, line, h.String(), nil
}

func (s *sourceReader) count(b byte) {
	s.pos++
	switch {
	case b == '\n':
		if !s.prevCR {
			s.line++
		}
	case b == '\r':
		s.line++
	}
	s.prevCR = b == '\r'
}

// stmtTracker follows the statements of a file as they are read from its
// script (placeholders replaced), taking each one's checksum and first
// line from the file on disk.
type stmtTracker struct {
	src      *sourceReader
	toSource func(int64) int64
	sums     []uint32
	refs     []StatementRef // the first maxListedStatements
	err      error          // the file could not be read alongside: checksums unknown
}

func newTracker(f *locations.File, toSource func(int64) int64) *stmtTracker {
	t := &stmtTracker{toSource: toSource}
	t.src, t.err = openSource(f)
	return t
}

func (t *stmtTracker) Close() {
	if t.src != nil {
		t.src.Close()
	}
}

// add records statement i (0-based, in order) and returns its reference.
func (t *stmtTracker) add(st Statement, i int) StatementRef {
	ref := StatementRef{Number: i + 1, Line: st.Line, Text: firstLineOf(st.Text)}
	if t.err == nil && i == len(t.sums) {
		from := t.toSource(st.Offset)
		to := t.toSource(st.Offset + int64(len(st.Text)))
		sum, line, head, err := t.src.span(from, max(from, to))
		if err != nil {
			t.err = err
		} else {
			t.sums = append(t.sums, sum)
			ref.Line, ref.Text = line, firstLineOf(head)
		}
	}
	if i == len(t.refs) && i < maxListedStatements {
		t.refs = append(t.refs, ref)
	}
	return ref
}

// encode is the statement_checksums value for statements 1..n, or "" when
// they are not all known.
func (t *stmtTracker) encode(n int) string {
	if t.err != nil || n > len(t.sums) {
		return ""
	}
	return encodeSums(t.sums[:n])
}

// shown returns the applied statements 1..n to show in a message: the
// first ones and the last ones when there are many.
func (t *stmtTracker) shown(n int) ([]StatementRef, int) {
	known := t.refs[:min(n, len(t.refs))]
	if n <= shownStatements && len(known) == n {
		return append([]StatementRef(nil), known...), 0
	}
	head := known[:min(3, len(known))]
	out := append([]StatementRef(nil), head...)
	if len(known) == n && n > 3 {
		tail := known[max(3, n-2):]
		out = append(out, tail...)
	}
	return out, n - len(out)
}

func encodeSums(sums []uint32) string {
	var b strings.Builder
	for i, s := range sums {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%08x", s)
	}
	return b.String()
}

func decodeSums(s string) []uint32 {
	fields := strings.Fields(s)
	out := make([]uint32, 0, len(fields))
	for _, f := range fields {
		v, err := strconv.ParseUint(f, 16, 32)
		if err != nil {
			return out // a damaged list counts up to the damage
		}
		out = append(out, uint32(v))
	}
	return out
}
