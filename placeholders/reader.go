package placeholders

import (
	"io"
	"strings"
)

// readBufSize is the size of a Reader's read buffer, beyond the lookahead.
const readBufSize = 32 << 10

// Reader replaces placeholders in a stream. Its output is byte for byte the
// Text that Expand would return for the whole input, but it holds only a
// fixed-size buffer (32 KiB plus the longest possible placeholder), the value
// being written, and a record per replaced placeholder (a few bytes each, for
// SourceOffset) and per undefined one.
// A Reader is not safe for concurrent use.
type Reader struct {
	src    io.Reader
	m      matcher
	syn    Syntax
	lookup Lookup

	buf    []byte // unread source is buf[r:w]
	r, w   int
	eof    bool     // src returned io.EOF
	srcOff int64    // source offset of buf[r]
	pos    position // line and column of buf[r]
	outOff int64    // output bytes returned so far

	lit int    // buf[r:r+lit] is literal and must be copied without scanning
	val string // rest of the value being written

	segs  segments
	undef []Undefined
	done  bool  // all output has been returned
	err   error // sticky error, returned once all output is out
}

// NewReader returns a Reader that reads r and replaces placeholders by the
// same rules as Expand (lookup gets lower-cased names; nil defines nothing).
// Undefined placeholders are copied unchanged and reading goes on to the end,
// where Read returns an *UndefinedError listing all of them instead of
// io.EOF. A read error of r is returned as is and ends the stream.
func NewReader(r io.Reader, syn Syntax, lookup Lookup) *Reader {
	m := newMatcher(syn)
	return &Reader{
		src:    r,
		m:      m,
		syn:    syn,
		lookup: lookup,
		buf:    make([]byte, readBufSize+2*m.lookahead()),
		pos:    startPosition(),
	}
}

// Read implements io.Reader.
func (r *Reader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n := 0
	for n < len(p) {
		if r.val != "" {
			c := copy(p[n:], r.val)
			r.val = r.val[c:]
			n += c
			r.outOff += int64(c)
			continue
		}
		if r.lit > 0 {
			c := copy(p[n:], r.buf[r.r:r.r+r.lit])
			r.consume(c)
			r.lit -= c
			n += c
			r.outOff += int64(c)
			continue
		}
		if r.err != nil || (r.eof && r.r == r.w) {
			r.finish()
			break
		}
		t := next(r.m, r.buf[r.r:r.w], r.eof)
		switch t.kind {
		case tokNeedMore:
			if n > 0 {
				return n, nil // hand out what we have before blocking on input
			}
			r.fill()
		case tokLiteral:
			r.lit = t.n
		case tokPlaceholder:
			name := string(r.buf[r.r+t.nameStart : r.r+t.nameEnd])
			lower := strings.ToLower(name)
			var (
				val string
				ok  bool
			)
			if r.lookup != nil {
				val, ok = r.lookup(lower)
			}
			if !ok {
				r.undef = append(r.undef, Undefined{Name: name, Offset: int(r.srcOff), Line: r.pos.line, Column: r.pos.col})
				r.lit = t.n
				continue
			}
			r.segs.add(r.srcOff, int64(t.n), r.outOff, int64(len(val)))
			r.consume(t.n)
			r.val = val
		}
	}
	if n > 0 {
		return n, nil
	}
	return 0, r.err
}

// consume moves past n bytes of the buffer.
func (r *Reader) consume(n int) {
	advance(&r.pos, r.buf[r.r:r.r+n])
	r.r += n
	r.srcOff += int64(n)
}

// fill moves the unread bytes to the front of the buffer and reads more. The
// scanner asks for more only when fewer than lookahead bytes are unread, so
// there is always room.
func (r *Reader) fill() {
	if r.r > 0 {
		r.w = copy(r.buf, r.buf[r.r:r.w])
		r.r = 0
	}
	for range 100 {
		n, err := r.src.Read(r.buf[r.w:])
		r.w += n
		if err == io.EOF {
			r.eof = true
			return
		}
		if err != nil {
			r.err = err
			return
		}
		if n > 0 {
			return
		}
	}
	r.err = io.ErrNoProgress
}

// finish sets the error returned at the end of the output.
func (r *Reader) finish() {
	if r.done {
		return
	}
	r.done = true
	switch {
	case r.err != nil:
	case len(r.undef) > 0:
		r.err = &UndefinedError{Items: r.undef, Syntax: r.syn}
	default:
		r.err = io.EOF
	}
}

// SourceOffset maps a byte offset in the output produced so far back to the
// byte offset in the source, like Expansion.SourceOffset: inside a replaced
// value it gives the offset of the placeholder's prefix. Once Read has
// reported the end of the stream, offsets at or past the end of the output give
// the length of the source. Negative offsets count as 0; offsets beyond the
// output produced so far are extrapolated and not meaningful.
func (r *Reader) SourceOffset(out int64) int64 {
	if r.done && out >= r.outOff {
		return r.srcOff
	}
	return r.segs.sourceOffset(max(out, 0))
}
