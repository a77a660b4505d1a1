package postgres

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/engine/internal/scan"
)

// Statement is one statement of a PostgreSQL script, as found by a Splitter.
type Statement struct {
	// Text runs from the statement's first token to its last token. Comments
	// before the first token and after the last one, surrounding whitespace
	// and the terminating ';' are not part of it; comments inside it are.
	Text string
	// Offset is the byte offset of Text[0] in the input.
	Offset int64
	// Line is the 1-based line of Text[0]; lines end at '\n'.
	Line int

	// NoTx reports a statement PostgreSQL refuses inside a transaction block:
	// CREATE/DROP [UNIQUE] INDEX CONCURRENTLY, REINDEX ... CONCURRENTLY,
	// REINDEX SCHEMA/DATABASE/SYSTEM, VACUUM, CLUSTER without a table,
	// CREATE/DROP DATABASE/TABLESPACE/SUBSCRIPTION, ALTER SUBSCRIPTION ...
	// REFRESH/SET/ADD/DROP PUBLICATION, ALTER SYSTEM, DISCARD ALL,
	// ALTER DATABASE ... SET TABLESPACE and ALTER TABLE ... DETACH PARTITION
	// ... CONCURRENTLY.
	NoTx bool
	// TxControl reports the script's own transaction control at the top
	// level: BEGIN (not BEGIN ATOMIC), START TRANSACTION, COMMIT (also
	// COMMIT PREPARED), END, ROLLBACK (also ROLLBACK PREPARED, not
	// ROLLBACK TO SAVEPOINT), ABORT and PREPARE TRANSACTION. SAVEPOINT and
	// RELEASE work inside a transaction and are not flagged.
	TxControl bool
	// Tx says what such a statement does to the script's transaction:
	// BEGIN and START TRANSACTION open it (engine.TxBegin); COMMIT (also
	// COMMIT AND CHAIN) and END commit it (engine.TxCommit); ROLLBACK,
	// ABORT, PREPARE TRANSACTION, COMMIT PREPARED and ROLLBACK PREPARED end
	// it without committing (engine.TxEnd). It is engine.TxNone exactly
	// when TxControl is false.
	Tx engine.TxEffect
	// MayCommit reports a CALL: the procedure may COMMIT, which fails inside
	// a transaction block. Whether that matters is only known when declared.
	MayCommit bool
	// AddsEnumValue reports ALTER TYPE ... ADD VALUE. It runs in a
	// transaction on PostgreSQL 12 and later, but the new value cannot be
	// used before that transaction commits.
	AddsEnumValue bool

	// CopyFromStdin reports COPY ... FROM STDIN: its data follows the
	// statement in the input, from the line after the ';' up to a line that
	// is "\." once trimmed.
	CopyFromStdin bool
	// CopyData holds that data (every line with its line ending, without the
	// "\." line). It is nil when the Splitter streams COPY data (see
	// Splitter.StreamCopy).
	CopyData []byte
}

// SplitError reports input that cannot be split: an unterminated string,
// quoted identifier, dollar quote or comment, an unclosed parenthesis or
// BEGIN ATOMIC block, COPY data without its "\." line, or a psql
// meta-command. The splitter stops there: no partial statement is returned.
type SplitError struct {
	Offset int64  // byte offset in the input where the faulty construct starts
	Line   int    // 1-based line of Offset
	Msg    string // what is wrong, e.g. "unterminated dollar-quoted string $fn$"
}

// Error returns the message with its line: "line 4: unterminated ...".
func (e *SplitError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// SplitPosition returns the line and byte offset of the faulty construct,
// for the engine to place the error in the file.
func (e *SplitError) SplitPosition() (line int, offset int64) { return e.Line, e.Offset }

// Splitter reads a PostgreSQL script from an io.Reader and returns its
// statements one at a time. It holds the statement being read (and, unless
// COPY data is streamed, the data of a COPY) plus one read buffer, so memory
// is bounded by the largest statement, not by the input.
//
// The lexical rules are PostgreSQL's with standard_conforming_strings on:
// '...' strings (a doubled quote stands for itself), E'...' strings with
// backslash escapes, B'...', X'...', N'...' and U&'...' strings, "..." and
// U&"..." identifiers, $$ and $tag$ dollar quotes ($1 is a parameter),
// -- comments and nested /* */ comments. A ';' ends a statement only
// outside parentheses and outside the BEGIN ATOMIC ... END body of CREATE
// FUNCTION and CREATE PROCEDURE (CASE ... END is tracked inside it). The
// last statement needs no ';'. Empty statements are skipped, and so is a
// UTF-8 byte order mark at the start. The \restrict and \unrestrict lines of
// recent pg_dump versions are skipped; any other psql meta-command is an
// error.
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
	depth   int   // parenthesis depth
	parenAt int64 // input offset of the outermost open parenthesis
	block   int   // BEGIN ATOMIC / CASE nesting in a routine body
	blockAt int64 // input offset of BEGIN of BEGIN ATOMIC
	prevKw  uint8 // keyword of the previous token (kwNone when not a word)
	prevAt  int64 // input offset of the previous token
	routine bool  // CREATE [OR REPLACE] FUNCTION|PROCEDURE
	copyStm bool  // first word is COPY
	copyIn  bool  // COPY ... FROM STDIN seen
	ntok    int
	toks    [maxTok]token
	tag     []byte // current dollar-quote delimiter

	// COPY data
	stream   bool  // StreamCopy was called
	copyOn   bool  // data of the last COPY statement is pending
	copySkip bool  // the rest of the COPY statement's line is still to skip
	copyMid  bool  // s.in.Pos is inside a data line
	copyOK   int   // bytes at s.in.Pos known to be data
	probe    int   // bytes at s.in.Pos known to hold no '\n' and to fit "\."
	phase    uint8 // how much of "\." probe has seen: 0 none, 1 '\', 2 both
	copyAt   int64 // offset of the COPY statement, for errors
	copyLine int
	copyGen  int
}

const (
	maxTok     = 32 // tokens kept for classification
	maxKeyword = 16 // longest keyword looked up
)

// NewSplitter returns a Splitter reading from r.
func NewSplitter(r io.Reader) *Splitter {
	return &Splitter{in: scan.NewBuffer(r)}
}

// StreamCopy makes Next leave Statement.CopyData nil: the data of a COPY ...
// FROM STDIN statement is read through CopyReader instead, so a large COPY
// block is never held in memory. Call it before Next.
func (s *Splitter) StreamCopy() { s.stream = true }

// CopyReader returns the data of the COPY ... FROM STDIN statement last
// returned by Next when StreamCopy is in effect: the same bytes CopyData
// would hold. It reads until the "\." line, which it consumes; COPY data
// without that line gives a *SplitError. The reader is valid until the next
// call of Next, which skips whatever was not read.
func (s *Splitter) CopyReader() io.Reader { return &copyReader{s: s, gen: s.copyGen} }

type copyReader struct {
	s   *Splitter
	gen int
}

func (c *copyReader) Read(p []byte) (int, error) {
	s := c.s
	if c.gen != s.copyGen || !s.copyOn {
		if c.gen == s.copyGen && s.err != nil && s.err != io.EOF {
			return 0, s.err
		}
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	n, err := s.copyAvail()
	if err != nil {
		if err != io.EOF {
			s.err = err
		}
		return 0, err
	}
	n = copy(p, s.in.Buf[s.in.Pos:s.in.Pos+n])
	s.copyConsume(n)
	return n, nil
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
	if s.copyOn {
		if err := s.skipCopy(); err != nil {
			s.err = err
			return Statement{}, err
		}
	}
	st, err := s.next()
	if err != nil {
		s.err = err
		return Statement{}, err
	}
	if st.CopyFromStdin && !s.stream {
		data := []byte{}
		for {
			n, err := s.copyAvail()
			if err == io.EOF {
				break
			}
			if err != nil {
				s.err = err
				return Statement{}, err
			}
			data = append(data, s.in.Buf[s.in.Pos:s.in.Pos+n]...)
			s.copyConsume(n)
		}
		st.CopyData = data
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
	s.depth, s.block, s.ntok = 0, 0, 0
	s.prevKw, s.routine, s.copyStm, s.copyIn = kwNone, false, false, false
	terminated, err := s.scanStatement()
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
	if s.copyIn {
		st.CopyFromStdin = true
		s.copyOn, s.copySkip, s.copyMid, s.copyOK = true, terminated, false, 0
		s.probe, s.phase = 0, 0
		s.copyAt, s.copyLine = st.Offset, st.Line
		s.copyGen++
		if !terminated {
			return Statement{}, s.copyUnterminated()
		}
	}
	return st, nil
}

// endErr is what running out of input means where a statement may end:
// io.EOF, or the read error.
func (s *Splitter) endErr() error {
	if err := s.in.Err(); err != nil {
		return err
	}
	return io.EOF
}

func (s *Splitter) errorAt(off int64, format string, args ...any) error {
	if err := s.in.Err(); err != nil {
		return err
	}
	return &SplitError{Offset: off, Line: s.in.Line(off), Msg: fmt.Sprintf(format, args...)}
}

// skipGap skips what precedes a statement: whitespace, comments, empty
// statements, a byte order mark and psql's \restrict lines. It reports
// whether a statement starts at s.in.Pos.
func (s *Splitter) skipGap() (bool, error) {
	for {
		if s.in.Pos >= len(s.in.Buf) && !s.in.Fill() {
			return false, s.endErr()
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
		case '\\':
			at := s.in.Off(s.in.Pos)
			j := 1
			for s.in.Need(j+1) && j < 40 && isIdent[s.in.Buf[s.in.Pos+j]] {
				j++
			}
			cmd := string(s.in.Buf[s.in.Pos : s.in.Pos+j])
			if cmd == `\restrict` || cmd == `\unrestrict` {
				s.in.SkipPast('\n')
				continue
			}
			return false, s.errorAt(at, "psql meta-command %s is not supported", cmd)
		default:
			return true, nil
		}
	}
}

// skipBlockComment moves s.in.Pos past the (nested) comment starting at s.in.Pos.
func (s *Splitter) skipBlockComment() bool {
	s.in.Pos += 2
	depth := 1
	for {
		for s.in.Pos+1 < len(s.in.Buf) {
			switch c := s.in.Buf[s.in.Pos]; {
			case c == '*' && s.in.Buf[s.in.Pos+1] == '/':
				s.in.Pos += 2
				if depth--; depth == 0 {
					return true
				}
			case c == '/' && s.in.Buf[s.in.Pos+1] == '*':
				s.in.Pos += 2
				depth++
			default:
				s.in.Pos++
			}
		}
		if !s.in.Fill() {
			s.in.Pos = len(s.in.Buf)
			return false
		}
	}
}

// skipQuoted moves s.in.Pos past the quoted token whose opening quote q is at
// s.in.Pos. A doubled q stands for itself; with backslash, '\' escapes the
// next byte.
func (s *Splitter) skipQuoted(q byte, backslash bool) bool {
	s.in.Pos++
	for {
		if s.in.Pos >= len(s.in.Buf) && !s.in.Fill() {
			return false
		}
		b := s.in.Buf[s.in.Pos:]
		i := bytes.IndexByte(b, q)
		if backslash {
			if j := bytes.IndexByte(b, '\\'); j >= 0 && (i < 0 || j < i) {
				i = j
			}
		}
		if i < 0 {
			s.in.Pos = len(s.in.Buf)
			continue
		}
		s.in.Pos += i
		if !s.in.Need(2) {
			if s.in.Buf[s.in.Pos] == q {
				s.in.Pos++
				return true
			}
			s.in.Pos = len(s.in.Buf)
			return false
		}
		if s.in.Buf[s.in.Pos] == '\\' || s.in.Buf[s.in.Pos+1] == q {
			s.in.Pos += 2
			continue
		}
		s.in.Pos++
		return true
	}
}

// dollar handles a '$' at s.in.Pos: it skips a dollar-quoted string, or just
// the '$' when none starts there. It reports false for an unterminated one.
func (s *Splitter) dollar() bool {
	j := 1 // length of the delimiter so far
	if s.in.Need(2) && isDolqStart[s.in.Buf[s.in.Pos+1]] {
		j = 2
		for s.in.Need(j+1) && isDolqCont[s.in.Buf[s.in.Pos+j]] {
			j++
		}
	}
	if !s.in.Need(j+1) || s.in.Buf[s.in.Pos+j] != '$' {
		s.in.Pos++ // a parameter ($1) or a lone '$'
		return true
	}
	s.tag = append(s.tag[:0], s.in.Buf[s.in.Pos:s.in.Pos+j+1]...)
	s.in.Pos += len(s.tag)
	for {
		if i := bytes.Index(s.in.Buf[s.in.Pos:], s.tag); i >= 0 {
			s.in.Pos += i + len(s.tag)
			return true
		}
		if k := len(s.in.Buf) - len(s.tag) + 1; k > s.in.Pos {
			s.in.Pos = k
		}
		if !s.in.Fill() {
			s.in.Pos = len(s.in.Buf)
			return false
		}
	}
}

// scanStatement scans from the first token of a statement to its end. It
// reports whether a ';' ended it (false: the input ended).
func (s *Splitter) scanStatement() (bool, error) {
	for {
		if s.in.Pos >= len(s.in.Buf) && !s.in.Fill() {
			if err := s.in.Err(); err != nil {
				return false, err
			}
			if s.depth > 0 {
				return false, s.errorAt(s.parenAt, "unclosed parenthesis: no ')' before the end of the input")
			}
			if s.block > 0 {
				return false, s.errorAt(s.blockAt, "BEGIN ATOMIC without END")
			}
			return false, nil
		}
		at := s.in.Pos
		c := s.in.Buf[at]
		kw := kwNone
		switch class[c] {
		case clSpace:
			s.in.Pos++
			continue
		case clSemi:
			s.in.Pos++
			if s.depth == 0 && s.block == 0 {
				return true, nil
			}
			s.token(tkPunct, kwNone, c)
		case clOpen:
			s.in.Pos++
			s.token(tkPunct, kwNone, c)
			if s.depth == 0 {
				s.parenAt = s.in.Off(at)
			}
			s.depth++
		case clClose:
			s.in.Pos++
			if s.depth > 0 {
				s.depth--
			}
			s.token(tkPunct, kwNone, c)
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
					return false, s.errorAt(start, "unterminated /* comment")
				}
				continue
			}
			s.in.Pos++
			s.token(tkPunct, kwNone, c)
		case clQuote:
			start := s.in.Off(s.in.Pos)
			if !s.skipQuoted('\'', false) {
				return false, s.errorAt(start, "unterminated quoted string")
			}
			s.token(tkOther, kwNone, 0)
		case clDQuote:
			start := s.in.Off(s.in.Pos)
			if !s.skipQuoted('"', false) {
				return false, s.errorAt(start, "unterminated quoted identifier")
			}
			s.token(tkOther, kwNone, 0)
		case clDollar:
			start := s.in.Off(s.in.Pos)
			if !s.dollar() {
				return false, s.errorAt(start, "unterminated dollar-quoted string %s", s.tag)
			}
			s.token(tkOther, kwNone, 0)
		case clDigit:
			s.in.Pos++
			for {
				for s.in.Pos < len(s.in.Buf) && isNumber[s.in.Buf[s.in.Pos]] {
					s.in.Pos++
				}
				if s.in.Pos < len(s.in.Buf) || !s.in.Fill() {
					break
				}
			}
			s.token(tkOther, kwNone, 0)
		case clWord:
			start := s.in.Off(s.in.Pos)
			s.in.Pos++
			for {
				for s.in.Pos < len(s.in.Buf) && isIdent[s.in.Buf[s.in.Pos]] {
					s.in.Pos++
				}
				if s.in.Pos < len(s.in.Buf) || !s.in.Fill() {
					break
				}
			}
			w := s.in.Buf[s.in.Index(start):s.in.Pos]
			if len(w) == 1 {
				if q, bs := s.stringPrefix(w[0]); q != 0 {
					if !s.skipQuoted(q, bs) {
						if q == '"' {
							return false, s.errorAt(start, "unterminated quoted identifier")
						}
						return false, s.errorAt(start, "unterminated quoted string")
					}
					s.token(tkOther, kwNone, 0)
					break
				}
			}
			kw = keyword(w)
			s.word(kw, start)
		default:
			s.in.Pos++
			s.token(tkPunct, kwNone, c)
		}
		s.prevKw = kw
		s.lastEnd = s.in.Off(s.in.Pos)
	}
}

// stringPrefix reports whether the one-letter word c just scanned starts a
// string (E'...', B'...', X'...', N'...', U&'...') or an identifier
// (U&"..."): it returns the quote and whether backslash escapes apply, with
// s.in.Pos on the quote.
func (s *Splitter) stringPrefix(c byte) (q byte, backslash bool) {
	switch c {
	case 'E', 'e', 'B', 'b', 'X', 'x', 'N', 'n':
		if s.in.Need(1) && s.in.Buf[s.in.Pos] == '\'' {
			return '\'', c == 'E' || c == 'e'
		}
	case 'U', 'u':
		if s.in.Need(2) && s.in.Buf[s.in.Pos] == '&' && (s.in.Buf[s.in.Pos+1] == '\'' || s.in.Buf[s.in.Pos+1] == '"') {
			s.in.Pos++
			return s.in.Buf[s.in.Pos], false
		}
	}
	return 0, false
}

// word does the bookkeeping for a word token (keyword kw) at input offset at.
func (s *Splitter) word(kw uint8, at int64) {
	s.token(tkWord, kw, 0)
	switch {
	case s.block > 0:
		switch kw {
		case kwCase:
			s.block++
		case kwEnd:
			s.block--
		}
	case s.depth > 0:
	case s.routine && kw == kwAtomic && s.prevKw == kwBegin:
		s.block, s.blockAt = 1, s.prevAt
	case s.copyStm && kw == kwStdin && s.prevKw == kwFrom:
		s.copyIn = true
	}
	s.prevAt = at
}

// token records a token for classification.
func (s *Splitter) token(kind, kw, ch uint8) {
	if s.ntok >= maxTok || s.depth > 1 {
		return
	}
	s.toks[s.ntok] = token{kind: kind, kw: kw, ch: ch, depth: uint8(s.depth)}
	s.ntok++
	t := &s.toks
	switch s.ntok {
	case 1:
		s.copyStm = kw == kwCopy
	case 2:
		s.routine = t[0].kw == kwCreate && isRoutine(t[1].kw)
	case 4:
		s.routine = s.routine || t[0].kw == kwCreate && t[1].kw == kwOr && t[2].kw == kwReplace && isRoutine(t[3].kw)
	}
}

func isRoutine(kw uint8) bool { return kw == kwFunction || kw == kwProcedure }

// Token kinds.
const (
	tkWord uint8 = iota + 1
	tkPunct
	tkOther // strings, quoted identifiers, numbers, parameters
)

type token struct {
	kind, kw, ch, depth uint8
}

// words is the list of classification tokens at one depth.
type words []token

// kw returns the keyword of token i, kwNone when it is not a word.
func (w words) kw(i int) uint8 {
	if i < len(w) && w[i].kind == tkWord {
		return w[i].kw
	}
	return kwNone
}

// has reports whether keywords a and b follow each other from token from on.
func (w words) has(from int, a, b uint8) bool {
	for i := from; i+1 < len(w); i++ {
		if w.kw(i) == a && w.kw(i+1) == b {
			return true
		}
	}
	return false
}

// classify sets the flags of st from the statement's first tokens.
func (s *Splitter) classify(st *Statement) {
	var top [maxTok]token
	n := 0
	for _, t := range s.toks[:s.ntok] {
		if t.depth == 0 {
			top[n] = t
			n++
		}
	}
	w := words(top[:n])
	switch w.kw(0) {
	case kwBegin:
		if w.kw(1) != kwAtomic {
			st.Tx = engine.TxBegin
		}
	case kwStart:
		if w.kw(1) == kwTransaction {
			st.Tx = engine.TxBegin
		}
	case kwPrepare:
		if w.kw(1) == kwTransaction {
			st.Tx = engine.TxEnd
		}
	case kwCommit:
		st.Tx = engine.TxCommit
		if w.kw(1) == kwPrepared {
			st.Tx = engine.TxEnd
		}
	case kwEnd:
		st.Tx = engine.TxCommit
	case kwAbort:
		st.Tx = engine.TxEnd
	case kwRollback:
		i := 1
		if k := w.kw(1); k == kwWork || k == kwTransaction {
			i = 2
		}
		if w.kw(i) != kwTo {
			st.Tx = engine.TxEnd
		}
	case kwCreate, kwDrop:
		i := 1
		if w.kw(1) == kwUnique {
			i = 2
		}
		switch w.kw(i) {
		case kwIndex:
			st.NoTx = w.kw(i+1) == kwConcurrently
		case kwDatabase, kwTablespace, kwSubscription:
			st.NoTx = i == 1
		}
	case kwReindex:
		for _, t := range s.toks[:s.ntok] {
			if t.kind == tkWord && t.kw == kwConcurrently {
				st.NoTx = true
			}
		}
		for i := 1; i < len(w); i++ {
			if w[i].kind == tkWord && w[i].kw != kwVerbose {
				k := w[i].kw
				st.NoTx = st.NoTx || k == kwSchema || k == kwDatabase || k == kwSystem
				break
			}
		}
	case kwVacuum:
		st.NoTx = true
	case kwCluster:
		st.NoTx = s.ntok < maxTok
		for i := 1; i < len(w); i++ {
			if w[i].kind != tkPunct && w[i].kw != kwVerbose {
				st.NoTx = false
			}
		}
	case kwDiscard:
		st.NoTx = w.kw(1) == kwAll
	case kwCall:
		st.MayCommit = true
	case kwAlter:
		switch w.kw(1) {
		case kwSystem:
			st.NoTx = true
		case kwDatabase:
			st.NoTx = w.has(2, kwSet, kwTablespace)
		case kwSubscription:
			switch w.kw(3) {
			case kwRefresh:
				st.NoTx = true
			case kwSet, kwAdd, kwDrop:
				st.NoTx = w.kw(4) == kwPublication
			}
		case kwTable:
			for i := 2; i+1 < len(w); i++ {
				if w.kw(i) == kwDetach && w.kw(i+1) == kwPartition {
					for _, t := range w[i+2:] {
						st.NoTx = st.NoTx || t.kw == kwConcurrently
					}
					break
				}
			}
		case kwType:
			st.AddsEnumValue = w.has(2, kwAdd, kwValue)
		}
	}
	st.TxControl = st.Tx != engine.TxNone
}

// Keywords the splitter looks at; kwIdent is any other word.
const (
	kwNone uint8 = iota
	kwIdent
	kwAbort
	kwAdd
	kwAll
	kwAlter
	kwAtomic
	kwBegin
	kwCall
	kwCase
	kwCluster
	kwCommit
	kwConcurrently
	kwCopy
	kwCreate
	kwDatabase
	kwDetach
	kwDiscard
	kwDrop
	kwEnd
	kwFrom
	kwFunction
	kwIndex
	kwOr
	kwPartition
	kwPrepare
	kwPrepared
	kwProcedure
	kwPublication
	kwRefresh
	kwReindex
	kwReplace
	kwRollback
	kwSchema
	kwSet
	kwStart
	kwStdin
	kwSubscription
	kwSystem
	kwTable
	kwTablespace
	kwTo
	kwTransaction
	kwType
	kwUnique
	kwVacuum
	kwValue
	kwVerbose
	kwWork
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
	case "ABORT":
		return kwAbort
	case "ADD":
		return kwAdd
	case "ALL":
		return kwAll
	case "ALTER":
		return kwAlter
	case "ATOMIC":
		return kwAtomic
	case "BEGIN":
		return kwBegin
	case "CALL":
		return kwCall
	case "CASE":
		return kwCase
	case "CLUSTER":
		return kwCluster
	case "COMMIT":
		return kwCommit
	case "CONCURRENTLY":
		return kwConcurrently
	case "COPY":
		return kwCopy
	case "CREATE":
		return kwCreate
	case "DATABASE":
		return kwDatabase
	case "DETACH":
		return kwDetach
	case "DISCARD":
		return kwDiscard
	case "DROP":
		return kwDrop
	case "END":
		return kwEnd
	case "FROM":
		return kwFrom
	case "FUNCTION":
		return kwFunction
	case "INDEX":
		return kwIndex
	case "OR":
		return kwOr
	case "PARTITION":
		return kwPartition
	case "PREPARE":
		return kwPrepare
	case "PREPARED":
		return kwPrepared
	case "PROCEDURE":
		return kwProcedure
	case "PUBLICATION":
		return kwPublication
	case "REFRESH":
		return kwRefresh
	case "REINDEX":
		return kwReindex
	case "REPLACE":
		return kwReplace
	case "ROLLBACK":
		return kwRollback
	case "SCHEMA":
		return kwSchema
	case "SET":
		return kwSet
	case "START":
		return kwStart
	case "STDIN":
		return kwStdin
	case "SUBSCRIPTION":
		return kwSubscription
	case "SYSTEM":
		return kwSystem
	case "TABLE":
		return kwTable
	case "TABLESPACE":
		return kwTablespace
	case "TO":
		return kwTo
	case "TRANSACTION":
		return kwTransaction
	case "TYPE":
		return kwType
	case "UNIQUE":
		return kwUnique
	case "VACUUM":
		return kwVacuum
	case "VALUE":
		return kwValue
	case "VERBOSE":
		return kwVerbose
	case "WORK":
		return kwWork
	}
	return kwIdent
}

// COPY data.

// copyAvail returns how many bytes at s.in.Pos are COPY data (at least one),
// reading input as needed. At the "\." line it consumes that line and
// returns io.EOF.
func (s *Splitter) copyAvail() (int, error) {
	if s.copySkip {
		if !s.in.SkipPast('\n') {
			return 0, s.copyUnterminated()
		}
		s.copySkip = false
	}
	for {
		if s.copyOK > 0 {
			return s.copyOK, nil
		}
		b := s.in.Buf[s.in.Pos:]
		switch i := bytes.IndexByte(b[s.probe:], '\n'); {
		case s.copyMid:
			s.copyOK = len(b)
			if i >= 0 {
				s.copyOK = s.probe + i + 1
			}
		case i >= 0:
			p := s.probe + i + 1
			if isEndOfData(b[:p]) {
				s.in.Pos += p
				s.copyOn = false
				return 0, io.EOF
			}
			for { // take the following complete data lines too
				j := bytes.IndexByte(b[p:], '\n')
				if j < 0 || isEndOfData(b[p:p+j+1]) {
					break
				}
				p += j + 1
			}
			s.copyOK = p
		case !s.probeEnd(b):
			s.copyOK = len(b)
		}
		if s.copyOK > 0 {
			return s.copyOK, nil
		}
		if !s.in.Fill() {
			if err := s.in.Err(); err != nil {
				return 0, err
			}
			if b := s.in.Buf[s.in.Pos:]; len(b) > 0 && !s.copyMid && isEndOfData(b) {
				s.in.Pos = len(s.in.Buf)
				s.copyOn = false
				return 0, io.EOF
			}
			return 0, s.copyUnterminated()
		}
	}
}

// copyConsume moves past n bytes of COPY data.
func (s *Splitter) copyConsume(n int) {
	s.in.Pos += n
	s.copyOK -= n
	s.probe, s.phase = 0, 0
	if s.copyOK == 0 {
		s.copyMid = s.in.Buf[s.in.Pos-1] != '\n'
	}
}

// probeEnd reports whether the unfinished line b at s.in.Pos, which holds no
// '\n', may still turn out to be the "\." line. It goes on from where the
// previous call for the same line stopped.
func (s *Splitter) probeEnd(b []byte) bool {
	for ; s.probe < len(b); s.probe++ {
		c := b[s.probe]
		switch {
		case c <= ' ' && s.phase != 1:
		case c == '\\' && s.phase == 0:
			s.phase = 1
		case c == '.' && s.phase == 1:
			s.phase = 2
		default:
			return false
		}
	}
	return true
}

// skipCopy skips the unread rest of pending COPY data.
func (s *Splitter) skipCopy() error {
	for {
		n, err := s.copyAvail()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		s.copyConsume(n)
	}
}

func (s *Splitter) copyUnterminated() error {
	s.copyOn = false
	if err := s.in.Err(); err != nil {
		return err
	}
	return &SplitError{Offset: s.copyAt, Line: s.copyLine, Msg: `COPY ... FROM STDIN data has no terminating \. line`}
}

// isEndOfData reports whether line is "\." once bytes <= ' ' are trimmed.
func isEndOfData(line []byte) bool {
	return string(trim(line)) == `\.`
}

func trim(b []byte) []byte {
	for len(b) > 0 && b[0] <= ' ' {
		b = b[1:]
	}
	for len(b) > 0 && b[len(b)-1] <= ' ' {
		b = b[:len(b)-1]
	}
	return b
}

// Byte classes.
const (
	clPunct uint8 = iota
	clSpace
	clSemi
	clOpen
	clClose
	clDash
	clSlash
	clQuote
	clDQuote
	clDollar
	clDigit
	clWord
)

var (
	class       [256]uint8
	isIdent     [256]bool // identifier continuation: letters, digits, _, $, non-ASCII
	isNumber    [256]bool // number continuation
	isDolqStart [256]bool // dollar-quote tag start: letters, _, non-ASCII
	isDolqCont  [256]bool
)

func init() {
	for c := 0; c < 256; c++ {
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c >= 0x80
		digit := '0' <= c && c <= '9'
		isIdent[c] = letter || digit || c == '$'
		isNumber[c] = letter && c < 0x80 || digit || c == '.'
		isDolqStart[c] = letter
		isDolqCont[c] = letter || digit
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
	class[';'], class['('], class[')'] = clSemi, clOpen, clClose
	class['-'], class['/'], class['\''], class['"'], class['$'] = clDash, clSlash, clQuote, clDQuote, clDollar
}
