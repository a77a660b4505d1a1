package engine

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/stratadb/strata/locations"
	"github.com/stratadb/strata/placeholders"
	"github.com/stratadb/strata/schemas"
)

// batchSize is how much statement text is sent to the database at once.
// A file smaller than this runs in one round trip; a larger one is
// streamed in batches inside the same transaction, so memory stays bounded
// by the batch and the largest statement, not by the file.
const batchSize = 1 << 20

// streamBatchSize is the size of the batches a file larger than batchSize
// is streamed in: smaller, so that the batch being sent, its copies on the
// way to the driver and the next batch being read stay a few MiB in all.
const streamBatchSize = 512 << 10

var bom = []byte{0xEF, 0xBB, 0xBF}

// script is one file's text for one target, streamed: BOM removed and
// placeholders replaced.
type script struct {
	io.Reader
	closer    io.Closer
	toSource  func(out int64) int64 // output offset -> offset in the file's text
	rawTenant bool                  // a raw tenant placeholder was replaced
}

func (s *script) Close() error { return s.closer.Close() }

// openText opens f's text with one leading BOM skipped.
func openText(f *locations.File) (io.Reader, io.Closer, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", f.Path(), err)
	}
	br := bufio.NewReaderSize(rc, 64<<10)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, bom) {
		_, _ = br.Discard(3)
	}
	return br, rc, nil
}

// openScript opens f's text for target t with placeholders replaced
// (unless switched off, or the file has no placeholder prefix at all).
// Undefined placeholders surface as an *placeholders.UndefinedError when
// the end of the text is read.
func (m *run) openScript(s Session, t schemas.Target, f *locations.File, start time.Time) (*script, error) {
	has, err := m.hasPrefix(f)
	if err != nil {
		return nil, err
	}
	r, c, err := openText(f)
	if err != nil {
		return nil, err
	}
	sc := &script{Reader: r, closer: c, toSource: func(o int64) int64 { return o }}
	if !m.replaces(f) || !has {
		return sc, nil
	}
	b := m.builtins(s, t, f, start)
	chain := placeholders.Chain(b.Lookup, m.values.Lookup)
	lookup := func(name string) (string, bool) {
		v, ok := chain(name)
		if ok && (name == "strata:tenant" || name == "flyway:defaultschema") {
			sc.rawTenant = true
		}
		return v, ok
	}
	pr := placeholders.NewReader(r, m.syntax, lookup)
	sc.Reader, sc.toSource = pr, pr.SourceOffset
	return sc, nil
}

// hasPrefix reports whether f's text contains the placeholder prefix at
// all; most files do not, and then the text is used as it is. The answer
// is remembered per file.
func (m *run) hasPrefix(f *locations.File) (bool, error) {
	if !m.replaces(f) {
		return false, nil
	}
	m.prefixMu.Lock()
	v, ok := m.prefixSeen[f]
	m.prefixMu.Unlock()
	if ok {
		return v, nil
	}
	prefix := []byte(m.syntax.Prefix)
	if len(prefix) == 0 {
		prefix = []byte(placeholders.DefaultPrefix)
	}
	r, c, err := openText(f)
	if err != nil {
		return false, err
	}
	defer c.Close()
	buf := make([]byte, 256<<10)
	keep := 0
	found := false
	for !found {
		n, err := io.ReadFull(r, buf[keep:])
		chunk := buf[:keep+n]
		found = bytes.Contains(chunk, prefix)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				break
			}
			return false, fmt.Errorf("read %s: %w", f.Path(), err)
		}
		keep = min(len(prefix)-1, len(chunk))
		copy(buf, chunk[len(chunk)-keep:])
	}
	m.prefixMu.Lock()
	if m.prefixSeen == nil {
		m.prefixSeen = map[*locations.File]bool{}
	}
	m.prefixSeen[f] = found
	m.prefixMu.Unlock()
	return found, nil
}

// checkScript reads f's text for t to the end: it returns the checksum of
// the text after placeholder replacement (a repeatable's checksum), or the
// undefined placeholders, or a refusal of raw tenant placeholders for names
// that need quoting.
func (m *run) checkScript(s Session, t schemas.Target, f *locations.File, start time.Time) (int32, error) {
	sc, err := m.openScript(s, t, f, start)
	if err != nil {
		return 0, err
	}
	defer sc.Close()
	if has, _ := m.hasPrefix(f); !has {
		return f.Checksum, nil // the text is the file as it is
	}
	c, err := locations.Checksum(sc)
	if err != nil {
		var ue *placeholders.UndefinedError
		if errors.As(err, &ue) {
			return 0, ue
		}
		return 0, fmt.Errorf("read %s: %w", f.Path(), err)
	}
	if sc.rawTenant && t.Tenant && !schemas.Plain(t.Name) {
		return 0, &RawTenantError{Path: f.Path(), Tenant: t.Name}
	}
	return c, nil
}

// lineCol returns the 1-based line and column (in characters) of a byte
// offset in f's text, reading the file up to there; lines end at "\n",
// "\r\n" or "\r", as placeholders.LineCol counts them.
func lineCol(f *locations.File, offset int64) (int, int, error) {
	r, c, err := openText(f)
	if err != nil {
		return 0, 0, err
	}
	defer c.Close()
	br := bufio.NewReader(io.LimitReader(r, offset))
	line, col := 1, 1
	prevCR := false
	for {
		b, err := br.ReadByte()
		if err != nil {
			break
		}
		switch {
		case b == '\n':
			if !prevCR {
				line++
			}
			col = 1
		case b == '\r':
			line++
			col = 1
		case b&0xC0 != 0x80: // not a UTF-8 continuation byte
			col++
		}
		prevCR = b == '\r'
	}
	return line, col, nil
}

// statements reads the statements of a script one by one, counting them.
type statements struct {
	sr    StatementReader
	index int // index of the next statement
}

func (s *statements) next() (Statement, error) {
	st, err := s.sr.Next()
	if err == nil {
		s.index++
	}
	return st, err
}

// batch accumulates statements into one piece of SQL, remembering where
// each came from in the script.
type batch struct {
	sql   bytes.Buffer
	stmts []Statement // Offset relative to sql
	orig  []int64     // offset of each statement in the script
	first int         // index in the script of stmts[0]
}

func (b *batch) add(st Statement, index int) {
	if len(b.stmts) == 0 {
		b.first = index
	}
	b.orig = append(b.orig, st.Offset)
	st.Offset = int64(b.sql.Len())
	b.sql.WriteString(st.Text)
	b.sql.WriteString(";\n")
	b.stmts = append(b.stmts, st)
}

func (b *batch) part() Part {
	stmts := b.stmts
	if stmts == nil {
		stmts = []Statement{}
	}
	return Part{SQL: b.sql.String(), Script: true, Stmts: stmts}
}

func (b *batch) reset() {
	b.sql.Reset()
	b.stmts, b.orig = b.stmts[:0], b.orig[:0]
}

// locate maps an offset in the batch's SQL to the statement it falls in:
// its index in the script, its text, and the offset in the script.
func (b *batch) locate(off int64) (index int, text string, scriptOff int64) {
	i := len(b.stmts) - 1
	for i > 0 && b.stmts[i].Offset > off {
		i--
	}
	if i < 0 {
		return -1, "", -1
	}
	st := b.stmts[i]
	rel := off - st.Offset
	if rel < 0 || rel > int64(len(st.Text)) {
		rel = 0
	}
	return b.first + i, st.Text, b.orig[i] + rel
}
