package sqlite

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/engine/internal/scan"
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
	// Tx says what such a statement does to the script's transaction:
	// BEGIN opens it (engine.TxBegin), COMMIT and END commit it
	// (engine.TxCommit), ROLLBACK ends it without committing (engine.TxEnd).
	// It is engine.TxNone exactly when TxControl is false.
	Tx engine.TxEffect
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

// SplitPosition returns the line and byte offset of the faulty construct,
// for the engine to place the error in the file.
func (e *SplitError) SplitPosition() (line int, offset int64) { return e.Line, e.Offset }

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
	in  scan.Buffer
	err error // sticky result of Next (io.EOF at the end)

	// current statement
	start   int64 // input offset of the first token (held in s.in)
	lastEnd int64 // input offset just past the last token
	state   uint8 // sqlite3_complete state
	ntok    int
	toks    [maxTok]token
}

const (
	maxTok     = 8  // tokens kept for classification
	maxKeyword = 12 // longest keyword looked up
)

// NewSplitter returns a Splitter reading from r.
func NewSplitter(r io.Reader) *Splitter {
	return &Splitter{in: scan.NewBuffer(r)}
}

// Split returns the statements of src. On error it returns the statements
// before the faulty one and the error.
func Split(src string) ([]Statement, error) {
	return scan.Split[Statement](NewSplitter(strings.NewReader(src)))
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
	s.start = s.in.Off(s.in.Pos)
	s.in.Hold(s.start)
	line := s.in.Line(s.start)
	s.state, s.ntok = stStart, 0
	err = s.scanStatement()
	if err != nil {
		s.in.Release()
		return Statement{}, err
	}
	st := Statement{
		Text:   string(s.in.Slice(s.start, s.lastEnd)),
		Offset: s.start,
		Line:   line,
	}
	s.in.Release()
	s.classify(&st)
	return st, nil
}

func (s *Splitter) errorAt(off int64, msg string) error {
	if err := s.in.Err(); err != nil {
		return err
	}
	return &SplitError{Offset: off, Line: s.in.Line(off), Msg: msg}
}

// skipGap skips what precedes a statement: whitespace, comments, empty
// statements and a byte order mark. It reports whether a statement starts
// at s.in.Pos.
func (s *Splitter) skipGap() (bool, error) {
	for {
		if s.in.Pos >= len(s.in.Buf) && !s.in.Fill() {
			if err := s.in.Err(); err != nil {
				return false, err
			}
			return false, io.EOF
		}
		switch c := s.in.Buf[s.in.Pos]; c {
		case ' ', '\t', '\n', '\r', '\f', '\v', ';':
			s.in.Pos++
		case 0xEF:
			if s.in.AtBOM() {
				s.in.Pos += 3
				continue
			}
			return true, nil
		case '-':
			if !s.in.Need(2) || s.in.Buf[s.in.Pos+1] != '-' {
				return true, nil
			}
			s.in.SkipPast('\n')
		case '/':
			if !s.in.Need(2) || s.in.Buf[s.in.Pos+1] != '*' {
				return true, nil
			}
			// Its bytes may be dropped before the end is found.
			at := s.in.Off(s.in.Pos)
			line := s.in.Line(at)
			if !s.skipBlockComment() {
				if err := s.in.Err(); err != nil {
					return false, err
				}
				return false, &SplitError{Offset: at, Line: line, Msg: "unterminated /* comment"}
			}
		default:
			return true, nil
		}
	}
}

// skipBlockComment moves s.in.Pos past the comment starting at s.in.Pos.
func (s *Splitter) skipBlockComment() bool {
	s.in.Pos += 2
	for {
		if i := bytes.Index(s.in.Buf[s.in.Pos:], commentEnd); i >= 0 {
			s.in.Pos += i + 2
			return true
		}
		if len(s.in.Buf)-1 > s.in.Pos {
			s.in.Pos = len(s.in.Buf) - 1 // a '*' there may start the end
		}
		if !s.in.Fill() {
			s.in.Pos = len(s.in.Buf)
			return false
		}
	}
}

var commentEnd = []byte("*/")

// skipQuoted moves s.in.Pos past the quoted token opening at s.in.Pos and closed
// by q. When q is not the opening byte ([...]), nothing escapes it;
// otherwise a doubled q stands for itself.
func (s *Splitter) skipQuoted(q byte) bool {
	doubled := s.in.Buf[s.in.Pos] == q
	s.in.Pos++
	for {
		if s.in.Pos >= len(s.in.Buf) && !s.in.Fill() {
			return false
		}
		i := bytes.IndexByte(s.in.Buf[s.in.Pos:], q)
		if i < 0 {
			s.in.Pos = len(s.in.Buf)
			continue
		}
		s.in.Pos += i + 1
		if doubled && s.in.Need(1) && s.in.Buf[s.in.Pos] == q {
			s.in.Pos++
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
		if s.in.Pos >= len(s.in.Buf) && !s.in.Fill() {
			if err := s.in.Err(); err != nil {
				return err
			}
			if s.state == stTrigger || s.state == stSemi {
				return s.errorAt(s.start, "CREATE TRIGGER without END: the statement runs to the end of the input")
			}
			return nil
		}
		c := s.in.Buf[s.in.Pos]
		switch class[c] {
		case clSpace:
			s.in.Pos++
			continue
		case clSemi:
			s.in.Pos++
			switch s.state {
			case stTrigger, stSemi:
				s.state = stSemi
			default:
				return nil
			}
		case clDash:
			if s.in.Need(2) && s.in.Buf[s.in.Pos+1] == '-' {
				s.in.SkipPast('\n')
				continue
			}
			s.in.Pos++
			s.token(tkPunct, kwNone, c)
		case clSlash:
			if s.in.Need(2) && s.in.Buf[s.in.Pos+1] == '*' {
				start := s.in.Off(s.in.Pos)
				if !s.skipBlockComment() {
					return s.errorAt(start, "unterminated /* comment")
				}
				continue
			}
			s.in.Pos++
			s.token(tkPunct, kwNone, c)
		case clQuote:
			start := s.in.Off(s.in.Pos)
			if !s.skipQuoted('\'') {
				return s.errorAt(start, "unterminated quoted string")
			}
			s.token(tkOther, kwNone, 0)
		case clDQuote, clBacktick:
			start := s.in.Off(s.in.Pos)
			if !s.skipQuoted(c) {
				return s.errorAt(start, "unterminated quoted identifier")
			}
			s.token(tkOther, kwNone, 0)
		case clBracket:
			start := s.in.Off(s.in.Pos)
			if !s.skipQuoted(']') {
				return s.errorAt(start, "unterminated [identifier]")
			}
			s.token(tkOther, kwNone, 0)
		case clWord:
			start := s.in.Off(s.in.Pos)
			s.in.Pos++
			for {
				for s.in.Pos < len(s.in.Buf) && class[s.in.Buf[s.in.Pos]] == clWord {
					s.in.Pos++
				}
				if s.in.Pos < len(s.in.Buf) || !s.in.Fill() {
					break
				}
			}
			s.token(tkWord, keyword(s.in.Buf[s.in.Index(start):s.in.Pos]), 0)
		default:
			s.in.Pos++
			s.token(tkPunct, kwNone, c)
		}
		s.lastEnd = s.in.Off(s.in.Pos)
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
	case kwBegin:
		st.Tx = engine.TxBegin
	case kwCommit, kwEnd:
		st.Tx = engine.TxCommit
	case kwRollback:
		i := 1
		if kw(1) == kwTransaction {
			i = 2
		}
		if kw(i) != kwTo {
			st.Tx = engine.TxEnd
		}
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
	st.TxControl = st.Tx != engine.TxNone
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
