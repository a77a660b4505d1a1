package placeholders

import (
	"unicode"
	"unicode/utf8"
)

// Default prefix and suffix, as in Flyway.
const (
	DefaultPrefix = "${"
	DefaultSuffix = "}"
)

// MaxNameLen is the longest placeholder name in bytes. A longer run of name
// characters after a prefix is literal text. The limit bounds the memory a
// [Reader] needs to decide whether a prefix starts a placeholder.
const MaxNameLen = 256

// Syntax is the placeholder prefix and suffix. An empty Prefix means "${" and
// an empty Suffix means "}", so the zero value is Flyway's default syntax.
type Syntax struct{ Prefix, Suffix string }

// resolved returns s with the defaults filled in.
func (s Syntax) resolved() Syntax {
	if s.Prefix == "" {
		s.Prefix = DefaultPrefix
	}
	if s.Suffix == "" {
		s.Suffix = DefaultSuffix
	}
	return s
}

// Format returns the placeholder text for name in this syntax, e.g. "${name}".
func (s Syntax) Format(name string) string {
	s = s.resolved()
	return s.Prefix + name + s.Suffix
}

// ValidName reports whether name can be a placeholder name: one or more Unicode
// letters, digits, '_', '.', '-' or ':', at most MaxNameLen bytes. Values
// under other names can never be referenced.
func ValidName(name string) bool {
	if name == "" || len(name) > MaxNameLen || !utf8.ValidString(name) {
		return false
	}
	for _, r := range name {
		if !isNameRune(r) {
			return false
		}
	}
	return true
}

func isNameRune(r rune) bool {
	if r < utf8.RuneSelf {
		return isNameASCII(byte(r))
	}
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

func isNameASCII(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == '.' || c == '-' || c == ':'
}

// text is the input of the scanner: a whole string for Expand and Scan, a
// window of bytes for Reader.
type text interface{ ~string | ~[]byte }

type tokenKind int

const (
	tokNeedMore    tokenKind = iota // the window ends inside a candidate: read more
	tokLiteral                      // n bytes of literal text
	tokPlaceholder                  // a placeholder of n bytes, name at [nameStart:nameEnd]
)

type token struct {
	kind               tokenKind
	n                  int
	nameStart, nameEnd int
}

// matcher is the scanner shared by Expand, Scan and Reader, so that they agree
// byte for byte.
type matcher struct {
	prefix, suffix string
}

func newMatcher(syn Syntax) matcher {
	syn = syn.resolved()
	return matcher{prefix: syn.Prefix, suffix: syn.Suffix}
}

// lookahead is the most bytes next can need to classify the start of its input.
func (m matcher) lookahead() int {
	return len(m.prefix) + MaxNameLen + utf8.UTFMax + len(m.suffix)
}

// next classifies the beginning of b. When atEOF is false, b may be continued
// and next returns tokNeedMore when it cannot decide yet (never for more than
// lookahead bytes). When atEOF is true, b must not be empty.
func next[T text](m matcher, b T, atEOF bool) token {
	if len(b) == 0 {
		return token{kind: tokNeedMore}
	}
	p := m.prefix
	if b[0] != p[0] {
		i := 1
		for i < len(b) && b[i] != p[0] {
			i++
		}
		return token{kind: tokLiteral, n: i}
	}
	// Flyway's read-ahead: match the prefix as far as it goes; on a mismatch,
	// everything read, the mismatching byte included, is literal.
	for k := 1; k < len(p); k++ {
		if k >= len(b) {
			if atEOF {
				return token{kind: tokLiteral, n: len(b)}
			}
			return token{kind: tokNeedMore}
		}
		if b[k] != p[k] {
			return token{kind: tokLiteral, n: k + 1}
		}
	}
	fail := token{kind: tokLiteral, n: len(p)}
	start := len(p)
	s := m.suffix
	for j := start; ; {
		// Does the suffix start at j?
		matched := true
		for k := 0; k < len(s); k++ {
			if j+k >= len(b) {
				if !atEOF {
					return token{kind: tokNeedMore}
				}
				matched = false
				break
			}
			if b[j+k] != s[k] {
				matched = false
				break
			}
		}
		if matched {
			if j == start {
				return fail
			}
			return token{kind: tokPlaceholder, n: j + len(s), nameStart: start, nameEnd: j}
		}
		if j >= len(b) {
			return fail // at EOF: the suffix check above asks for more otherwise
		}
		if c := b[j]; c < utf8.RuneSelf {
			if !isNameASCII(c) || j+1-start > MaxNameLen {
				return fail
			}
			j++
			continue
		}
		var tmp [utf8.UTFMax]byte
		k := copy(tmp[:], b[j:])
		if !utf8.FullRune(tmp[:k]) && !atEOF {
			return token{kind: tokNeedMore}
		}
		r, size := utf8.DecodeRune(tmp[:k])
		if !isNameRune(r) || j+size-start > MaxNameLen {
			return fail
		}
		j += size
	}
}

// position tracks the line and column while text is consumed.
type position struct {
	line, col int
	prevCR    bool
}

func startPosition() position { return position{line: 1, col: 1} }

// advance moves p over b. "\r\n", "\r" and "\n" end a line; every byte that is
// not a UTF-8 continuation byte counts as one column.
func advance[T text](p *position, b T) {
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '\n':
			if !p.prevCR {
				p.line++
				p.col = 1
			}
		case c == '\r':
			p.line++
			p.col = 1
		case c&0xC0 != 0x80:
			p.col++
		}
		p.prevCR = c == '\r'
	}
}

// LineCol returns the 1-based line and column of the byte offset in src. The
// column counts characters (runes), not bytes; "\r\n" and a lone "\r" end a
// line like "\n". The offset is clamped to [0, len(src)]. An offset at the
// "\n" of a "\r\n" pair is reported at the start of the next line.
func LineCol(src string, offset int) (line, col int) {
	offset = max(0, min(offset, len(src)))
	p := startPosition()
	advance(&p, src[:offset])
	return p.line, p.col
}
