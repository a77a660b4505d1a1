package locations

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"unicode/utf8"
)

// EncodingError reports bytes that are not valid UTF-8, or a NUL byte.
type EncodingError struct {
	Offset int64 // byte offset of the first bad byte in the raw input
	Line   int   // 1-based line of that byte (lines end at "\n", "\r" or "\r\n")
	// Set by Collect: the file (Location/Script) and the 1-based column,
	// in characters, an invalid byte counting as one.
	Path   string
	Column int
	NUL    bool // the byte is NUL, valid UTF-8 but text no database takes
}

// Error says where the bad bytes are: "path:line:col: ..." once Collect
// has placed it.
func (e *EncodingError) Error() string {
	pos := fmt.Sprintf(" at byte offset %d (line %d)", e.Offset, e.Line)
	prefix := ""
	if e.Path != "" && e.Column > 0 {
		prefix = fmt.Sprintf("%s:%d:%d: ", e.Path, e.Line, e.Column)
		pos = fmt.Sprintf(" (byte offset %d)", e.Offset)
	}
	if e.NUL {
		return prefix + "NUL byte" + pos + "; SQL text cannot hold it (PostgreSQL refuses it, SQLite stops reading there): remove it, or write the byte as an escape in a literal"
	}
	return prefix + "invalid UTF-8" + pos + "; strata reads scripts as UTF-8 only: convert the file (for example iconv -f LATIN1 -t UTF-8)"
}

// Checksum is Flyway's CRC32: strict UTF-8 decode, drop one leading U+FEFF,
// drop every '\r' and '\n', CRC-32 IEEE, as int32. Streams; memory does not
// grow with the input. Bytes that are not valid UTF-8 give an *EncodingError
// with the offset of the first bad byte.
func Checksum(r io.Reader) (int32, error) {
	var c checksummer
	if _, err := c.ReadFrom(r); err != nil {
		return 0, err
	}
	return c.Sum()
}

// checksummer computes Flyway's checksum over the bytes written to it.
type checksummer struct {
	crc      uint32
	n        int64 // bytes consumed before pend
	breaks   int   // line breaks seen in consumed bytes
	lastByte byte  // last consumed byte, for "\r\n" split across writes
	pend     [utf8.UTFMax]byte
	npend    int // bytes of an incomplete multi-byte sequence at the end of the last write
	err      error
}

// ReadFrom feeds everything r yields into c, with a fixed-size buffer.
func (c *checksummer) ReadFrom(r io.Reader) (int64, error) {
	var buf [32 << 10]byte
	var total int64
	for {
		n, err := r.Read(buf[:])
		if n > 0 {
			total += int64(n)
			if _, werr := c.Write(buf[:n]); werr != nil {
				return total, werr
			}
		}
		if errors.Is(err, io.EOF) {
			return total, nil
		}
		if err != nil {
			return total, fmt.Errorf("checksum: read: %w", err)
		}
	}
}

// Write feeds p into the checksum. It fails, and keeps failing, once invalid
// UTF-8 has been seen.
func (c *checksummer) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	written := len(p)
	if c.npend > 0 {
		k := copy(c.pend[c.npend:], p)
		buf := c.pend[:c.npend+k]
		if !utf8.FullRune(buf) {
			c.npend += k
			return written, nil
		}
		r, size := utf8.DecodeRune(buf)
		if r == utf8.RuneError && size == 1 {
			c.err = &EncodingError{Offset: c.n, Line: c.breaks + 1}
			return 0, c.err
		}
		if !(r == '\uFEFF' && c.n == 0) {
			c.crc = crc32.Update(c.crc, crc32.IEEETable, buf[:size])
		}
		p = p[size-c.npend:]
		c.n += int64(size)
		c.lastByte = buf[size-1]
		c.npend = 0
	}
	// An incomplete multi-byte sequence at the end waits for the next write.
	tail := incompleteTail(p)
	body := p[:len(p)-tail]
	if !utf8.Valid(body) {
		e := validateUTF8(body).(*EncodingError)
		c.err = &EncodingError{Offset: c.n + e.Offset, Line: c.breaks + c.countBreaks(body[:e.Offset]) + 1}
		return 0, c.err
	}
	c.breaks += c.countBreaks(body)
	if len(body) > 0 {
		c.lastByte = body[len(body)-1]
	}
	c.n += int64(len(body))
	if c.n == int64(len(body)) && bytes.HasPrefix(body, []byte(bom)) {
		body = body[len(bom):]
	}
	for len(body) > 0 {
		line := body
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i], body[i+1:]
		} else {
			body = nil
		}
		for {
			i := bytes.IndexByte(line, '\r')
			if i < 0 {
				c.crc = crc32.Update(c.crc, crc32.IEEETable, line)
				break
			}
			c.crc = crc32.Update(c.crc, crc32.IEEETable, line[:i])
			line = line[i+1:]
		}
	}
	c.npend = copy(c.pend[:], p[len(p)-tail:])
	return written, nil
}

// countBreaks returns the number of line breaks in b, which follows the
// consumed bytes ("\r\n" split across writes counts once).
func (c *checksummer) countBreaks(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	n := bytes.Count(b, []byte{'\r'}) + bytes.Count(b, []byte{'\n'}) - bytes.Count(b, []byte("\r\n"))
	if b[0] == '\n' && c.lastByte == '\r' && c.n > 0 {
		n--
	}
	return n
}

// incompleteTail returns the length of a multi-byte sequence at the end of p
// that may still be completed by more bytes (0 if there is none).
func incompleteTail(p []byte) int {
	for i := len(p) - 1; i >= 0 && i >= len(p)-utf8.UTFMax+1; i-- {
		if utf8.RuneStart(p[i]) {
			if p[i] >= utf8.RuneSelf && !utf8.FullRune(p[i:]) {
				return len(p) - i
			}
			return 0
		}
	}
	return 0
}

// Sum returns the checksum of everything written, or the encoding error.
func (c *checksummer) Sum() (int32, error) {
	if c.err != nil {
		return 0, c.err
	}
	if c.npend > 0 {
		// A multi-byte sequence cut short by the end of the input.
		return 0, &EncodingError{Offset: c.n, Line: c.breaks + 1}
	}
	return int32(c.crc), nil
}

// validateUTF8 returns an *EncodingError for the first invalid byte of b.
func validateUTF8(b []byte) error {
	if utf8.Valid(b) {
		return nil
	}
	breaks := 0
	for i := 0; i < len(b); {
		switch b[i] {
		case '\r':
			breaks++
		case '\n':
			if i == 0 || b[i-1] != '\r' {
				breaks++
			}
		}
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return &EncodingError{Offset: int64(i), Line: breaks + 1}
		}
		i += size
	}
	return nil
}
