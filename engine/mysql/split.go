package mysql

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/engine/internal/scan"
)

// Statement is one statement of a MySQL script, as found by a Splitter.
type Statement struct {
	// Text runs from the statement's first token to its last token.
	// Comments before the first token and after the last one, surrounding
	// whitespace and the delimiter are not part of it; comments inside it
	// are. A conditional comment (/*! ... */, /*M! ... */) is a token: the
	// server runs what it holds.
	Text string
	// Offset is the byte offset of Text[0] in the input.
	Offset int64
	// Line is the 1-based line of Text[0]; lines end at '\n'.
	Line int

	// NoTx reports a statement that commits implicitly, so it can never
	// be part of a transaction: CREATE, ALTER, DROP and RENAME of anything
	// (but CREATE and DROP TEMPORARY TABLE), TRUNCATE, GRANT, REVOKE,
	// LOCK and UNLOCK TABLES, ANALYZE, OPTIMIZE, REPAIR, FLUSH, RESET,
	// INSTALL and UNINSTALL, CACHE INDEX and LOAD INDEX, and START or
	// STOP SLAVE/REPLICA. It is read from the statement's first words, also
	// when they stand in a conditional comment (/*!40000 ALTER TABLE ...*/).
	NoTx bool
	// TxControl reports the script's own transaction control: BEGIN [WORK]
	// (not MariaDB's compound BEGIN NOT ATOMIC), START TRANSACTION, COMMIT
	// and ROLLBACK (not ROLLBACK TO SAVEPOINT). SAVEPOINT and RELEASE
	// SAVEPOINT work inside a transaction and are not flagged.
	TxControl bool
	// Tx says what such a statement does: BEGIN and START TRANSACTION open
	// a transaction (engine.TxBegin), COMMIT commits it (engine.TxCommit,
	// also COMMIT AND CHAIN), ROLLBACK ends it (engine.TxEnd). It is
	// engine.TxNone exactly when TxControl is false.
	Tx engine.TxEffect
}

// SplitError reports input that cannot be split: an unterminated string,
// quoted identifier or /* comment, or a DELIMITER command without a
// delimiter. The splitter stops there: no partial statement is returned.
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

// MaxDelimiter is the longest delimiter DELIMITER accepts.
const MaxDelimiter = 16

// Splitter reads a MySQL or MariaDB script from an io.Reader and returns
// its statements one at a time, as the mysql command-line client splits
// them. It holds the statement being read plus one read buffer, so memory
// is bounded by the largest statement, not by the input.
//
// A statement ends at the delimiter, ";" until a DELIMITER command changes
// it, outside strings, identifiers and comments; the last one needs none.
// The delimiter ends a statement wherever it starts outside them, also
// inside a word ("END$$" with DELIMITER $$). Quoting: '...' and "..."
// strings, in which a backslash escapes the next character and a doubled
// quote stands for itself (a server in the NO_BACKSLASH_ESCAPES sql_mode
// reads a backslash before a quote differently: double quotes there),
// `...` identifiers (a doubled backtick stands for one). Comments: # and "-- " (two
// dashes and a blank, a control character or the end of the input) to the
// end of the line, /* ... */ (not nested). /*! ... */ and /*M! ... */
// conditional comments are code that the server runs: they are kept in a
// statement and their first words classify it, but a delimiter inside them
// does not end it, as for mysqldump's /*!50003 CREATE*/ ... */;; lines.
//
// DELIMITER (any case) as the first word of a line, before any code of a
// statement, is the client's command: its argument (up to the next blank,
// or quoted with ', " or `) becomes the delimiter, and the rest of the line
// is ignored. It is not sent to the server. Stored programs whose bodies
// hold ';' (BEGIN ... END in CREATE PROCEDURE, FUNCTION, TRIGGER, EVENT)
// need it, as they need it in the mysql client.
//
// Statements holding only comments are skipped, and so is a UTF-8 byte
// order mark at the start. Input that cannot be split ends with a
// *SplitError, never with a partial statement.
type Splitter struct {
	in    scan.Buffer
	err   error  // sticky result of Next (io.EOF at the end)
	delim []byte // the current delimiter

	// current statement
	start     int64 // input offset of the first token (held in s.in)
	line      int   // line of start
	lastEnd   int64 // input offset just past the last token
	hasCode   bool  // a token that is not a comment was seen
	lineStart bool  // only blanks since the start of the line
	cls       classifier
}

// NewSplitter returns a Splitter reading from r.
func NewSplitter(r io.Reader) *Splitter {
	return &Splitter{in: scan.NewBuffer(r), delim: []byte{';'}}
}

// Split returns the statements of src. On error it returns the statements
// before the faulty one and the error.
func Split(src string) ([]Statement, error) {
	return scan.Split[Statement](NewSplitter(strings.NewReader(src)))
}

// Next returns the next statement, or io.EOF when the input holds no more.
// Errors are a *SplitError or a read error; Next then keeps returning the
// same error.
func (s *Splitter) Next() (Statement, error) {
	if s.err != nil {
		return Statement{}, s.err
	}
	st, err := s.statement()
	if err != nil {
		s.in.Release()
		s.err = err
		return Statement{}, err
	}
	return st, nil
}

// statement scans up to the end of the next statement.
func (s *Splitter) statement() (Statement, error) {
	s.in.Release()
	s.hasCode = false
	s.cls = classifier{}
	if s.in.Off(s.in.Pos) == 0 {
		s.lineStart = true
	}
	for {
		if s.in.Pos >= len(s.in.Buf) && !s.in.Fill() {
			if err := s.in.Err(); err != nil {
				return Statement{}, err
			}
			if !s.hasCode {
				return Statement{}, io.EOF
			}
			return s.finish(), nil
		}
		c := s.in.Buf[s.in.Pos]
		cl := class[c]
		if s.atDelimiter() {
			s.in.Pos += len(s.delim)
			s.lineStart = false
			if s.hasCode {
				return s.finish(), nil
			}
			continue
		}
		if cl == clSpace {
			if c == '\n' {
				s.lineStart = true
			}
			s.in.Pos++
			continue
		}
		if c == 0xEF && s.in.AtBOM() {
			s.in.Pos += 3
			continue
		}
		if !s.hasCode && s.lineStart && (c == 'D' || c == 'd') {
			ok, err := s.delimiterCommand()
			if err != nil {
				return Statement{}, err
			}
			if ok {
				continue
			}
		}
		s.lineStart = false
		if err := s.token(cl); err != nil {
			return Statement{}, err
		}
	}
}

// atDelimiter reports whether the delimiter starts at s.in.Pos.
func (s *Splitter) atDelimiter() bool {
	if s.in.Buf[s.in.Pos] != s.delim[0] {
		return false
	}
	if len(s.delim) == 1 {
		return true
	}
	return s.in.Need(len(s.delim)) && bytes.Equal(s.in.Buf[s.in.Pos:s.in.Pos+len(s.delim)], s.delim)
}

// finish returns the statement scanned so far.
func (s *Splitter) finish() Statement {
	st := Statement{
		Text:   string(s.in.Slice(s.start, s.lastEnd)),
		Offset: s.start,
		Line:   s.line,
	}
	s.in.Release()
	st.NoTx, st.Tx = s.cls.result()
	st.TxControl = st.Tx != engine.TxNone
	return st
}

// delimiterCommand reads a DELIMITER line starting at s.in.Pos, when there
// is one, and makes its argument the delimiter.
func (s *Splitter) delimiterCommand() (bool, error) {
	const word = "delimiter"
	if !s.in.Need(len(word)) {
		return false, nil
	}
	for i := range len(word) {
		if s.in.Buf[s.in.Pos+i]|0x20 != word[i] {
			return false, nil
		}
	}
	j := len(word)
	at := s.in.Off(s.in.Pos)
	if s.in.Need(j + 1) {
		c := s.in.Buf[s.in.Pos+j]
		if c == '\n' || c == '\r' {
			return false, s.errorAt(at, "DELIMITER needs a delimiter on its line")
		}
		if c != ' ' && c != '\t' {
			return false, nil
		}
	}
	for s.in.Need(j+1) && (s.in.Buf[s.in.Pos+j] == ' ' || s.in.Buf[s.in.Pos+j] == '\t') {
		j++
	}
	var delim []byte
	if s.in.Need(j+1) && (s.in.Buf[s.in.Pos+j] == '\'' || s.in.Buf[s.in.Pos+j] == '"' || s.in.Buf[s.in.Pos+j] == '`') {
		q := s.in.Buf[s.in.Pos+j]
		j++
		for s.in.Need(j+1) && s.in.Buf[s.in.Pos+j] != q && s.in.Buf[s.in.Pos+j] != '\n' && len(delim) <= MaxDelimiter {
			delim = append(delim, s.in.Buf[s.in.Pos+j])
			j++
		}
	} else {
		for s.in.Need(j+1) && class[s.in.Buf[s.in.Pos+j]] != clSpace && len(delim) <= MaxDelimiter {
			delim = append(delim, s.in.Buf[s.in.Pos+j])
			j++
		}
	}
	switch {
	case len(delim) == 0:
		return false, s.errorAt(at, "DELIMITER needs a delimiter on its line")
	case len(delim) > MaxDelimiter:
		return false, s.errorAt(at, "DELIMITER longer than %d bytes", MaxDelimiter)
	case bytes.IndexByte(delim, '\\') >= 0:
		return false, s.errorAt(at, "DELIMITER cannot hold a backslash")
	}
	s.delim = delim
	s.in.Pos += j
	s.in.SkipPast('\n')
	s.lineStart = true
	return true, nil
}

// token scans the token or comment starting at s.in.Pos, whose first byte
// is of class cl and not a blank.
func (s *Splitter) token(cl uint8) error {
	start := s.in.Off(s.in.Pos)
	c := s.in.Buf[s.in.Pos]
	word := -1 // keyword of a word token
	switch cl {
	case clHash:
		s.lineComment()
		return nil
	case clDash:
		if s.in.Need(2) && s.in.Buf[s.in.Pos+1] == '-' && (!s.in.Need(3) || s.in.Buf[s.in.Pos+2] <= ' ') {
			s.lineComment()
			return nil
		}
		s.in.Pos++
	case clSlash:
		if s.in.Need(2) && s.in.Buf[s.in.Pos+1] == '*' {
			cond := s.in.Need(3) && (s.in.Buf[s.in.Pos+2] == '!' || s.in.Buf[s.in.Pos+2] == 'M' && s.in.Need(4) && s.in.Buf[s.in.Pos+3] == '!')
			if !cond {
				if !s.skipBlockComment() {
					return s.errorAt(start, "unterminated /* comment")
				}
				return nil
			}
			s.begin(start)
			if !s.skipBlockComment() {
				return s.errorAt(start, "unterminated /*! comment")
			}
			s.cls.conditional(s.in.Slice(start, s.in.Off(s.in.Pos)))
			s.hasCode = true
			s.lastEnd = s.in.Off(s.in.Pos)
			return nil
		}
		s.in.Pos++
	case clQuote, clDQuote:
		s.begin(start)
		if !s.skipString(c) {
			return s.errorAt(start, "unterminated quoted string")
		}
	case clBacktick:
		s.begin(start)
		if !s.skipBacktick() {
			return s.errorAt(start, "unterminated quoted identifier")
		}
	case clWord, clDigit:
		s.begin(start)
		s.in.Pos++
		s.scanWord()
		if cl == clWord {
			word = int(keyword(s.in.Buf[s.in.Index(start):s.in.Pos]))
		}
	default:
		s.in.Pos++
	}
	s.begin(start)
	s.hasCode = true
	s.lastEnd = s.in.Off(s.in.Pos)
	s.cls.add(word)
	return nil
}

// begin marks start as the statement's first token unless one was seen.
func (s *Splitter) begin(start int64) {
	if !s.hasCode && (!s.in.Holding() || s.start != start) {
		s.start = start
		s.in.Hold(start)
		s.line = s.in.Line(start)
	}
}

// scanWord moves s.in.Pos past identifier and number bytes, stopping where
// the delimiter starts.
func (s *Splitter) scanWord() {
	for {
		for s.in.Pos < len(s.in.Buf) && isIdent[s.in.Buf[s.in.Pos]] {
			if s.in.Buf[s.in.Pos] == s.delim[0] && s.atDelimiter() {
				return
			}
			s.in.Pos++
		}
		if s.in.Pos < len(s.in.Buf) || !s.in.Fill() {
			return
		}
	}
}

// lineComment moves s.in.Pos past the comment at s.in.Pos and its '\n'.
func (s *Splitter) lineComment() {
	if s.in.SkipPast('\n') {
		s.lineStart = true
	}
}

func (s *Splitter) errorAt(off int64, format string, args ...any) error {
	if err := s.in.Err(); err != nil {
		return err
	}
	return &SplitError{Offset: off, Line: s.in.Line(off), Msg: fmt.Sprintf(format, args...)}
}

// skipBlockComment moves s.in.Pos past the comment starting at s.in.Pos;
// MySQL's comments do not nest.
func (s *Splitter) skipBlockComment() bool {
	s.in.Pos += 2
	for {
		if i := bytes.Index(s.in.Buf[s.in.Pos:], commentEnd); i >= 0 {
			s.in.Pos += i + 2
			return true
		}
		s.in.Pos = max(s.in.Pos, len(s.in.Buf)-1) // a '*' at the end may start "*/"
		if !s.in.Fill() {
			s.in.Pos = len(s.in.Buf)
			return false
		}
	}
}

var commentEnd = []byte("*/")

// skipString moves s.in.Pos past the string whose quote q is at s.in.Pos:
// a backslash escapes the next byte, a doubled q stands for itself.
func (s *Splitter) skipString(q byte) bool {
	s.in.Pos++
	for {
		if s.in.Pos >= len(s.in.Buf) && !s.in.Fill() {
			return false
		}
		b := s.in.Buf[s.in.Pos:]
		i := bytes.IndexAny(b, string([]byte{q, '\\'}))
		if i < 0 {
			s.in.Pos = len(s.in.Buf)
			continue
		}
		s.in.Pos += i
		if b[i] == '\\' {
			if !s.in.Need(2) {
				s.in.Pos = len(s.in.Buf)
				return false
			}
			s.in.Pos += 2
			continue
		}
		if s.in.Need(2) && s.in.Buf[s.in.Pos+1] == q {
			s.in.Pos += 2
			continue
		}
		s.in.Pos++
		return true
	}
}

// skipBacktick moves s.in.Pos past the `identifier` at s.in.Pos.
func (s *Splitter) skipBacktick() bool {
	s.in.Pos++
	for {
		if s.in.Pos >= len(s.in.Buf) && !s.in.Fill() {
			return false
		}
		i := bytes.IndexByte(s.in.Buf[s.in.Pos:], '`')
		if i < 0 {
			s.in.Pos = len(s.in.Buf)
			continue
		}
		s.in.Pos += i
		if s.in.Need(2) && s.in.Buf[s.in.Pos+1] == '`' {
			s.in.Pos += 2
			continue
		}
		s.in.Pos++
		return true
	}
}

// Classification.

// classifier reads a statement's first words.
type classifier struct {
	n     int      // code tokens seen
	words [4]uint8 // keywords of the first tokens (kwNone for tokens that are no words)
	cond  bool     // the first token was a conditional comment
}

// add records a code token: a word's keyword, or -1 for another token.
func (c *classifier) add(kw int) {
	if c.n < len(c.words) {
		if kw >= 0 {
			c.words[c.n] = uint8(kw)
		}
	}
	c.n++
}

// conditional records a conditional comment: its first words count as the
// statement's own when it starts the statement.
func (c *classifier) conditional(text []byte) {
	if c.n > 0 {
		c.n++
		return
	}
	c.cond = true
	body := text[2 : len(text)-2]
	body = bytes.TrimLeft(body, "M!")
	body = bytes.TrimLeft(body, "0123456789")
	for _, f := range bytes.Fields(body) {
		end := 0
		for end < len(f) && isIdent[f[end]] {
			end++
		}
		if end == 0 || c.n >= len(c.words) {
			break
		}
		c.words[c.n] = keyword(f[:end])
		c.n++
		if end < len(f) {
			break
		}
	}
	c.n = max(c.n, 1)
}

// result returns the statement's flags.
func (c *classifier) result() (noTx bool, tx engine.TxEffect) {
	w := c.words
	switch w[0] {
	case kwCreate:
		return !(w[1] == kwTemporary || w[1] == kwOr && w[2] == kwReplace && w[3] == kwTemporary), engine.TxNone
	case kwDrop:
		return w[1] != kwTemporary, engine.TxNone
	case kwAlter, kwRename, kwTruncate, kwGrant, kwRevoke, kwLock, kwUnlock, kwAnalyze, kwOptimize,
		kwRepair, kwFlush, kwReset, kwInstall, kwUninstall:
		return true, engine.TxNone
	case kwCache, kwLoad:
		return w[1] == kwIndex, engine.TxNone
	case kwStop:
		return w[1] == kwSlave || w[1] == kwReplica, engine.TxNone
	}
	if c.cond {
		return false, engine.TxNone // transaction control is read from plain words only
	}
	switch w[0] {
	case kwBegin:
		if w[1] == kwNone && c.n == 1 || w[1] == kwWork && c.n == 2 {
			return false, engine.TxBegin
		}
	case kwStart:
		switch w[1] {
		case kwTransaction:
			return false, engine.TxBegin
		case kwSlave, kwReplica:
			return true, engine.TxNone
		}
	case kwCommit:
		return false, engine.TxCommit
	case kwRollback:
		if w[1] == kwTo || w[1] == kwWork && w[2] == kwTo {
			return false, engine.TxNone
		}
		return false, engine.TxEnd
	}
	return false, engine.TxNone
}

// Keywords the classifier looks at; kwIdent is any other word.
const (
	kwNone uint8 = iota
	kwIdent
	kwAlter
	kwAnalyze
	kwBegin
	kwCache
	kwCommit
	kwCreate
	kwDrop
	kwFlush
	kwGrant
	kwIndex
	kwInstall
	kwLoad
	kwLock
	kwOptimize
	kwOr
	kwRename
	kwRepair
	kwReplace
	kwReplica
	kwReset
	kwRevoke
	kwRollback
	kwSlave
	kwStart
	kwStop
	kwTemporary
	kwTo
	kwTransaction
	kwTruncate
	kwUninstall
	kwUnlock
	kwWork
)

const maxKeyword = 12

var keywords = map[string]uint8{
	"ALTER": kwAlter, "ANALYZE": kwAnalyze, "BEGIN": kwBegin, "CACHE": kwCache, "COMMIT": kwCommit,
	"CREATE": kwCreate, "DROP": kwDrop, "FLUSH": kwFlush, "GRANT": kwGrant, "INDEX": kwIndex,
	"INSTALL": kwInstall, "LOAD": kwLoad, "LOCK": kwLock, "OPTIMIZE": kwOptimize, "OR": kwOr,
	"RENAME": kwRename, "REPAIR": kwRepair, "REPLACE": kwReplace, "REPLICA": kwReplica, "RESET": kwReset,
	"REVOKE": kwRevoke, "ROLLBACK": kwRollback, "SLAVE": kwSlave, "START": kwStart, "STOP": kwStop,
	"TEMPORARY": kwTemporary, "TO": kwTo, "TRANSACTION": kwTransaction, "TRUNCATE": kwTruncate,
	"UNINSTALL": kwUninstall, "UNLOCK": kwUnlock, "WORK": kwWork,
}

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
	if k, ok := keywords[string(up[:len(w)])]; ok {
		return k
	}
	return kwIdent
}

// Byte classes.
const (
	clPunct uint8 = iota
	clSpace
	clDash
	clSlash
	clHash
	clQuote
	clDQuote
	clBacktick
	clDigit
	clWord
)

var (
	class   [256]uint8
	isIdent [256]bool // word continuation: letters, digits, _, $, non-ASCII
)

func init() {
	for c := 0; c < 256; c++ {
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == '$' || c >= 0x80
		digit := '0' <= c && c <= '9'
		isIdent[c] = letter || digit
		switch {
		case letter:
			class[c] = clWord
		case digit:
			class[c] = clDigit
		}
	}
	for _, c := range " \t\n\r\f\v" {
		class[c] = clSpace
	}
	class['-'], class['/'], class['#'] = clDash, clSlash, clHash
	class['\''], class['"'], class['`'] = clQuote, clDQuote, clBacktick
}
