package sqlite

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// Statement is one statement of an SQLite script, as found by a Splitter.
type Statement struct {
	// Text runs from the statement's first token to its last token. Comments
	// before the first token and after the last one, surrounding whitespace
	// and the terminating ';' are not part of it; comments inside it are.
	Text string
	// Offset is the byte offset of Text[0] in the input.
	Offset int64
	// Line is the 1-based line of Text[0]; lines end at '\n'.
	Line int

	// NoTx reports a statement that fails or does nothing inside a
	// transaction: PRAGMA foreign_keys = ... (silently ignored, so a table
	// rebuild could cascade deletes), PRAGMA journal_mode = ... and VACUUM
	// (errors).
	NoTx bool
	// TxControl reports the script's own transaction control: BEGIN
	// [DEFERRED|IMMEDIATE|EXCLUSIVE] [TRANSACTION], COMMIT, END and ROLLBACK
	// (not ROLLBACK TO). SAVEPOINT and RELEASE nest inside a transaction and
	// are not flagged.
	TxControl bool
}

// SplitError reports input that cannot be split: an unterminated string,
// quoted identifier or /* comment, or a CREATE TRIGGER without its END. The
// splitter stops there: no partial statement is returned.
type SplitError struct {
	Offset int64  // byte offset in the input where the faulty construct starts
	Line   int    // 1-based line of Offset
	Msg    string // what is wrong, e.g. "unterminated quoted string"
}

// Error returns the message with its line: "line 4: unterminated ...".
func (e *SplitError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// Splitter reads an SQLite script from an io.Reader and returns its
// statements one at a time. It holds the statement being read plus one read
// buffer, so memory is bounded by the largest statement, not by the input.
//
// The lexical rules are SQLite's: '...' strings, "..." and `...`
// identifiers (a doubled quote stands for itself), [...] identifiers,
// -- comments and /* */ comments (not nested). A ';' ends a statement,
// except inside CREATE [TEMP] TRIGGER ... BEGIN ... END, which ends at an
// END right after a ';' (the rule of sqlite3_complete, so CASE ... END
// inside a trigger body does not end it). The last statement needs no
// ';'. Empty statements are skipped, and so is a UTF-8 byte order mark at
// the start.
//
// Input that cannot be split (an unterminated quote or comment, say) ends
// with a *SplitError, never with a partial statement: sending the rest of
// the file as one statement would only produce a more confusing error.
type Splitter struct {
	r    io.Reader
	buf  []byte
	pos  int   // scan position in buf
	base int64 // input offset of buf[0]
	eof  bool  // r reported io.EOF
	rerr error // read error other than io.EOF
	err  error // sticky result of Next (io.EOF at the end)

	lpos  int64 // input offset where lline is the line number
	lline int

	// current statement
	inStmt  bool  // bytes from start on must be kept
	start   int64 // input offset of the first token
	lastEnd int64 // input offset just past the last token
	state   uint8 // sqlite3_complete state
	ntok    int
	toks    [maxTok]token
}

const (
	initialBuffer = 64 << 10
	minRead       = 16 << 10
	maxTok        = 8  // tokens kept for classification
	maxKeyword    = 12 // longest keyword looked up
)

// NewSplitter returns a Splitter reading from r.
func NewSplitter(r io.Reader) *Splitter {
	return &Splitter{r: r, lline: 1}
}

// Split returns the statements of src. On error it returns the statements
// before the faulty one and the error.
func Split(src string) ([]Statement, error) {
	s := NewSplitter(strings.NewReader(src))
	var out []Statement
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

// Next returns the next statement, or io.EOF when the input holds no more
// (a remainder of comments and whitespace is not a statement). Errors are a
// *SplitError or a read error; Next then keeps returning the same error.
func (s *Splitter) Next() (Statement, error) {
	if s.err != nil {
		return Statement{}, s.err
	}
	st, err := s.next()
	if err != nil {
		s.err = err
		return Statement{}, err
	}
	return st, nil
}

func (s *Splitter) next() (Statement, error) {
	ok, err := s.skipGap()
	if !ok {
		return Statement{}, err
	}
	s.inStmt = true
	s.start = s.off(s.pos)
	line := s.lineAt(s.start)
	s.state, s.ntok = stStart, 0
	err = s.scanStatement()
	if err != nil {
		s.inStmt = false
		return Statement{}, err
	}
	st := Statement{
		Text:   string(s.buf[s.start-s.base : s.lastEnd-s.base]),
		Offset: s.start,
		Line:   line,
	}
	s.inStmt = false
	s.classify(&st)
	return st, nil
}

// off returns the input offset of buffer index i.
func (s *Splitter) off(i int) int64 { return s.base + int64(i) }

// lineAt returns the line of input offset off, which must not be before an
// offset asked for earlier and must still be buffered.
func (s *Splitter) lineAt(off int64) int {
	if off > s.lpos {
		s.lline += bytes.Count(s.buf[s.lpos-s.base:off-s.base], newline)
		s.lpos = off
	}
	return s.lline
}

var newline = []byte{'\n'}

// fill reads more input. It may first drop bytes that are no longer needed
// and move the rest to the front of buf, adjusting s.pos. It reports
// whether new bytes arrived.
func (s *Splitter) fill() bool {
	if s.eof || s.rerr != nil {
		return false
	}
	if s.buf == nil {
		s.buf = make([]byte, 0, initialBuffer)
	}
	if cap(s.buf)-len(s.buf) < minRead {
		keep := s.pos
		if s.inStmt {
			keep = int(s.start - s.base)
		}
		if keep > 0 {
			s.lineAt(s.off(keep))
			n := copy(s.buf, s.buf[keep:])
			s.buf = s.buf[:n]
			s.base += int64(keep)
			s.pos -= keep
		}
		if cap(s.buf)-len(s.buf) < minRead {
			nb := make([]byte, len(s.buf), 2*cap(s.buf))
			copy(nb, s.buf)
			s.buf = nb
		}
	}
	for range 100 {
		n, err := s.r.Read(s.buf[len(s.buf):cap(s.buf)])
		s.buf = s.buf[:len(s.buf)+n]
		if err == io.EOF {
			s.eof = true
			return n > 0
		}
		if err != nil {
			s.rerr = fmt.Errorf("read sql: %w", err)
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	s.rerr = fmt.Errorf("read sql: %w", io.ErrNoProgress)
	return false
}

// need makes n bytes from s.pos available; false when the input ends first.
func (s *Splitter) need(n int) bool {
	for len(s.buf)-s.pos < n {
		if !s.fill() {
			return false
		}
	}
	return true
}

func (s *Splitter) errorAt(off int64, msg string) error {
	if s.rerr != nil {
		return s.rerr
	}
	return &SplitError{Offset: off, Line: s.lineAt(off), Msg: msg}
}

// skipGap skips what precedes a statement: whitespace, comments, empty
// statements and a byte order mark. It reports whether a statement starts
// at s.pos.
func (s *Splitter) skipGap() (bool, error) {
	for {
		if s.pos >= len(s.buf) && !s.fill() {
			if s.rerr != nil {
				return false, s.rerr
			}
			return false, io.EOF
		}
		switch c := s.buf[s.pos]; c {
		case ' ', '\t', '\n', '\r', '\f', '\v', ';':
			s.pos++
		case 0xEF:
			if s.off(s.pos) == 0 && s.need(3) && s.buf[s.pos+1] == 0xBB && s.buf[s.pos+2] == 0xBF {
				s.pos += 3
				continue
			}
			return true, nil
		case '-':
			if !s.need(2) || s.buf[s.pos+1] != '-' {
				return true, nil
			}
			s.skipPast('\n')
		case '/':
			if !s.need(2) || s.buf[s.pos+1] != '*' {
				return true, nil
			}
			// Its bytes may be dropped before the end is found.
			at := s.off(s.pos)
			line := s.lineAt(at)
			if !s.skipBlockComment() {
				if s.rerr != nil {
					return false, s.rerr
				}
				return false, &SplitError{Offset: at, Line: line, Msg: "unterminated /* comment"}
			}
		default:
			return true, nil
		}
	}
}

// skipPast moves s.pos past the next c, or to the end of the input.
func (s *Splitter) skipPast(c byte) bool {
	for {
		if i := bytes.IndexByte(s.buf[s.pos:], c); i >= 0 {
			s.pos += i + 1
			return true
		}
		s.pos = len(s.buf)
		if !s.fill() {
			return false
		}
	}
}

// skipBlockComment moves s.pos past the comment starting at s.pos.
func (s *Splitter) skipBlockComment() bool {
	s.pos += 2
	for {
		if i := bytes.Index(s.buf[s.pos:], commentEnd); i >= 0 {
			s.pos += i + 2
			return true
		}
		if len(s.buf)-1 > s.pos {
			s.pos = len(s.buf) - 1 // a '*' there may start the end
		}
		if !s.fill() {
			s.pos = len(s.buf)
			return false
		}
	}
}

var commentEnd = []byte("*/")

// skipQuoted moves s.pos past the quoted token opening at s.pos and closed
// by q. When q is not the opening byte ([...]), nothing escapes it;
// otherwise a doubled q stands for itself.
func (s *Splitter) skipQuoted(q byte) bool {
	doubled := s.buf[s.pos] == q
	s.pos++
	for {
		if s.pos >= len(s.buf) && !s.fill() {
			return false
		}
		i := bytes.IndexByte(s.buf[s.pos:], q)
		if i < 0 {
			s.pos = len(s.buf)
			continue
		}
		s.pos += i + 1
		if doubled && s.need(1) && s.buf[s.pos] == q {
			s.pos++
			continue
		}
		return true
	}
}

// sqlite3_complete states (see complete.c in SQLite).
const (
	stStart uint8 = iota + 1
	stNormal
	stExplain
	stCreate
	stTrigger
	stSemi
	stEnd
)

// scanStatement scans from the first token of a statement to its end: a
// ';' that sqlite3_complete would accept, or the end of the input.
func (s *Splitter) scanStatement() error {
	for {
		if s.pos >= len(s.buf) && !s.fill() {
			if s.rerr != nil {
				return s.rerr
			}
			if s.state == stTrigger || s.state == stSemi {
				return s.errorAt(s.start, "CREATE TRIGGER without END: the statement runs to the end of the input")
			}
			return nil
		}
		c := s.buf[s.pos]
		switch class[c] {
		case clSpace:
			s.pos++
			continue
		case clSemi:
			s.pos++
			switch s.state {
			case stTrigger, stSemi:
				s.state = stSemi
			default:
				return nil
			}
		case clDash:
			if s.need(2) && s.buf[s.pos+1] == '-' {
				s.skipPast('\n')
				continue
			}
			s.pos++
			s.token(tkPunct, kwNone, c)
		case clSlash:
			if s.need(2) && s.buf[s.pos+1] == '*' {
				start := s.off(s.pos)
				if !s.skipBlockComment() {
					return s.errorAt(start, "unterminated /* comment")
				}
				continue
			}
			s.pos++
			s.token(tkPunct, kwNone, c)
		case clQuote:
			start := s.off(s.pos)
			if !s.skipQuoted('\'') {
				return s.errorAt(start, "unterminated quoted string")
			}
			s.token(tkOther, kwNone, 0)
		case clDQuote, clBacktick:
			start := s.off(s.pos)
			if !s.skipQuoted(c) {
				return s.errorAt(start, "unterminated quoted identifier")
			}
			s.token(tkOther, kwNone, 0)
		case clBracket:
			start := s.off(s.pos)
			if !s.skipQuoted(']') {
				return s.errorAt(start, "unterminated [identifier]")
			}
			s.token(tkOther, kwNone, 0)
		case clWord:
			start := s.off(s.pos)
			s.pos++
			for {
				for s.pos < len(s.buf) && class[s.buf[s.pos]] == clWord {
					s.pos++
				}
				if s.pos < len(s.buf) || !s.fill() {
					break
				}
			}
			s.token(tkWord, keyword(s.buf[start-s.base:s.pos]), 0)
		default:
			s.pos++
			s.token(tkPunct, kwNone, c)
		}
		s.lastEnd = s.off(s.pos)
	}
}

// token advances the trigger state machine and records a token for
// classification.
func (s *Splitter) token(kind, kw, ch uint8) {
	// The transitions of sqlite3_complete for tokens other than ';' and
	// white space.
	switch s.state {
	case stStart:
		switch kw {
		case kwExplain:
			s.state = stExplain
		case kwCreate:
			s.state = stCreate
		default:
			s.state = stNormal
		}
	case stExplain: // other tokens keep the state: EXPLAIN QUERY PLAN ...
		switch kw {
		case kwCreate:
			s.state = stCreate
		case kwExplain, kwTemp, kwTrigger, kwEnd:
			s.state = stNormal
		}
	case stCreate:
		switch kw {
		case kwTemp:
		case kwTrigger:
			s.state = stTrigger
		default:
			s.state = stNormal
		}
	case stSemi:
		if kw == kwEnd {
			s.state = stEnd
		} else {
			s.state = stTrigger
		}
	case stEnd:
		s.state = stTrigger
	}
	if s.ntok < maxTok {
		s.toks[s.ntok] = token{kind: kind, kw: kw, ch: ch}
		s.ntok++
	}
}

// Token kinds.
const (
	tkWord uint8 = iota + 1
	tkPunct
	tkOther // strings and quoted identifiers
)

type token struct {
	kind, kw, ch uint8
}

// classify sets the flags of st from the statement's first tokens.
func (s *Splitter) classify(st *Statement) {
	t := s.toks[:s.ntok]
	kw := func(i int) uint8 {
		if i < len(t) && t[i].kind == tkWord {
			return t[i].kw
		}
		return kwNone
	}
	ch := func(i int) uint8 {
		if i < len(t) && t[i].kind == tkPunct {
			return t[i].ch
		}
		return 0
	}
	switch kw(0) {
	case kwBegin, kwCommit, kwEnd:
		st.TxControl = true
	case kwRollback:
		i := 1
		if kw(1) == kwTransaction {
			i = 2
		}
		st.TxControl = kw(i) != kwTo
	case kwVacuum:
		st.NoTx = true
	case kwPragma:
		i := 1
		if ch(2) == '.' {
			i = 3
		}
		if k := kw(i); k == kwForeignKeys || k == kwJournalMode {
			st.NoTx = ch(i+1) == '=' || ch(i+1) == '('
		}
	}
}

// Keywords the splitter looks at; kwIdent is any other word.
const (
	kwNone uint8 = iota
	kwIdent
	kwBegin
	kwCommit
	kwCreate
	kwEnd
	kwExplain
	kwForeignKeys
	kwJournalMode
	kwPragma
	kwRollback
	kwTemp
	kwTo
	kwTransaction
	kwTrigger
	kwVacuum
)

// keyword returns the keyword id of word w (case-insensitive).
func keyword(w []byte) uint8 {
	if len(w) > maxKeyword {
		return kwIdent
	}
	var up [maxKeyword]byte
	for i, c := range w {
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		up[i] = c
	}
	switch string(up[:len(w)]) {
	case "BEGIN":
		return kwBegin
	case "COMMIT":
		return kwCommit
	case "CREATE":
		return kwCreate
	case "END":
		return kwEnd
	case "EXPLAIN":
		return kwExplain
	case "FOREIGN_KEYS":
		return kwForeignKeys
	case "JOURNAL_MODE":
		return kwJournalMode
	case "PRAGMA":
		return kwPragma
	case "ROLLBACK":
		return kwRollback
	case "TEMP", "TEMPORARY":
		return kwTemp
	case "TO":
		return kwTo
	case "TRANSACTION":
		return kwTransaction
	case "TRIGGER":
		return kwTrigger
	case "VACUUM":
		return kwVacuum
	}
	return kwIdent
}

// Byte classes.
const (
	clPunct uint8 = iota
	clSpace
	clSemi
	clDash
	clSlash
	clQuote
	clDQuote
	clBacktick
	clBracket
	clWord // identifier characters: letters, digits, _, $, non-ASCII
)

var class [256]uint8

func init() {
	for c := 0; c < 256; c++ {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '$' || c >= 0x80 {
			class[c] = clWord
		}
	}
	for _, c := range " \t\n\r\f\v" {
		class[c] = clSpace
	}
	class[';'], class['-'], class['/'] = clSemi, clDash, clSlash
	class['\''], class['"'], class['`'], class['['] = clQuote, clDQuote, clBacktick, clBracket
}
