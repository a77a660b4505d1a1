// Package scan holds the streaming input buffer shared by the SQL statement
// splitters of the engine packages. The lexical rules of each dialect stay
// in its own package; this one only reads, keeps and counts bytes.
package scan

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

const (
	initialBuffer = 64 << 10
	minRead       = 16 << 10
)

// Buffer reads an io.Reader through one growing buffer. A splitter scans
// Buf from Pos on; Fill drops the bytes before Pos (or before the held
// offset, see Hold) to make room, so memory is bounded by what must be
// kept, not by the input.
type Buffer struct {
	Buf []byte // buffered input; Buf[0] is at input offset base
	Pos int    // scan position in Buf

	r    io.Reader
	base int64 // input offset of Buf[0]
	eof  bool  // r reported io.EOF
	err  error // read error other than io.EOF, sticky

	hold   bool  // bytes from holdAt on must be kept
	holdAt int64 // input offset

	lpos  int64 // input offset where lline is the line number
	lline int
}

// NewBuffer returns a Buffer reading from r.
func NewBuffer(r io.Reader) Buffer {
	return Buffer{r: r, lline: 1}
}

// Off returns the input offset of buffer index i.
func (b *Buffer) Off(i int) int64 { return b.base + int64(i) }

// Index returns the buffer index of input offset off, which must still be
// buffered.
func (b *Buffer) Index(off int64) int { return int(off - b.base) }

// Slice returns the buffered input from offset from to offset to.
func (b *Buffer) Slice(from, to int64) []byte { return b.Buf[from-b.base : to-b.base] }

// Hold makes Fill keep the input from offset off on, which must still be
// buffered, until Release.
func (b *Buffer) Hold(off int64) { b.hold, b.holdAt = true, off }

// Release ends a Hold: Fill may drop everything before Pos again.
func (b *Buffer) Release() { b.hold = false }

// Holding reports whether a Hold is in effect.
func (b *Buffer) Holding() bool { return b.hold }

// Err returns the read error other than io.EOF, wrapped, once one happened
// (or the reader made no progress); nil before that.
func (b *Buffer) Err() error { return b.err }

// Line returns the 1-based line of input offset off, which must not be
// before an offset asked for earlier and must still be buffered.
func (b *Buffer) Line(off int64) int {
	if off > b.lpos {
		b.lline += bytes.Count(b.Buf[b.lpos-b.base:off-b.base], newline)
		b.lpos = off
	}
	return b.lline
}

var newline = []byte{'\n'}

// Fill reads more input. It may first drop bytes that are no longer needed
// and move the rest to the front of Buf, adjusting Pos. It reports whether
// new bytes arrived.
func (b *Buffer) Fill() bool {
	if b.eof || b.err != nil {
		return false
	}
	if b.Buf == nil {
		b.Buf = make([]byte, 0, initialBuffer)
	}
	if cap(b.Buf)-len(b.Buf) < minRead {
		keep := b.Pos
		if b.hold {
			keep = int(b.holdAt - b.base)
		}
		if keep > 0 {
			b.Line(b.Off(keep))
			n := copy(b.Buf, b.Buf[keep:])
			b.Buf = b.Buf[:n]
			b.base += int64(keep)
			b.Pos -= keep
		}
		if cap(b.Buf)-len(b.Buf) < minRead {
			nb := make([]byte, len(b.Buf), 2*cap(b.Buf))
			copy(nb, b.Buf)
			b.Buf = nb
		}
	}
	for range 100 {
		n, err := b.r.Read(b.Buf[len(b.Buf):cap(b.Buf)])
		b.Buf = b.Buf[:len(b.Buf)+n]
		if err == io.EOF {
			b.eof = true
			return n > 0
		}
		if err != nil {
			b.err = fmt.Errorf("read sql: %w", err)
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	b.err = fmt.Errorf("read sql: %w", io.ErrNoProgress)
	return false
}

// Need makes n bytes from Pos available; false when the input ends first.
func (b *Buffer) Need(n int) bool {
	for len(b.Buf)-b.Pos < n {
		if !b.Fill() {
			return false
		}
	}
	return true
}

// SkipPast moves Pos past the next c, or to the end of the input. It
// reports whether c was found.
func (b *Buffer) SkipPast(c byte) bool {
	for {
		if i := bytes.IndexByte(b.Buf[b.Pos:], c); i >= 0 {
			b.Pos += i + 1
			return true
		}
		b.Pos = len(b.Buf)
		if !b.Fill() {
			return false
		}
	}
}

// AtBOM reports whether a UTF-8 byte order mark starts at Pos, at the start
// of the input. Buf[Pos] must be buffered.
func (b *Buffer) AtBOM() bool {
	return b.Buf[b.Pos] == 0xEF && b.Off(b.Pos) == 0 && b.Need(3) && b.Buf[b.Pos+1] == 0xBB && b.Buf[b.Pos+2] == 0xBF
}

// Split returns the items next returns until io.EOF. On error it returns
// the items before the error and the error.
func Split[T any, S interface{ Next() (T, error) }](s S) ([]T, error) {
	var out []T
	for {
		st, err := s.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, st)
	}
}

// LineOffset is the byte offset of 1-based line n of s (0 for n <= 1; the
// end of the last line when s has fewer lines): where a database's error
// that names a line of a statement starts in it.
func LineOffset(s string, n int) int {
	off := 0
	for l := 1; l < n; l++ {
		i := strings.IndexByte(s[off:], '\n')
		if i < 0 {
			return off
		}
		off += i + 1
	}
	return off
}
