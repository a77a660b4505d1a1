package sqlserver

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// MaxRepeat is the largest count accepted after GO.
const MaxRepeat = 100000

// Statement is one batch of a T-SQL script, as found by a Splitter: the
// text between two GO lines.
type Statement struct {
	// Text is the batch with surrounding whitespace and blank lines trimmed.
	// Comments are kept, also those before the first token: SQL Server
	// stores them with a CREATE PROCEDURE, VIEW, FUNCTION or TRIGGER, as
	// sqlcmd sends them.
	Text string
	// Offset is the byte offset of Text[0] in the input.
	Offset int64
	// Line is the 1-based line of Text[0]; lines end at '\n'. SQL Server
	// numbers error lines from the start of the batch: batch line N is
	// input line Line+N-1.
	Line int
	// Repeat is how many times the batch runs: N for "GO N", else 1.
	Repeat int

	// NoTx reports a batch holding a statement SQL Server refuses inside a
	// user transaction: CREATE/ALTER/DROP DATABASE (also the DATABASE
	// AUDIT SPECIFICATION, ENCRYPTION KEY and SCOPED forms, as Flyway does),
	// CREATE/ALTER/DROP FULLTEXT CATALOG/INDEX, BACKUP, RESTORE,
	// RECONFIGURE, and EXEC[UTE] [@r =] [db.][schema.]proc of one of
	// sp_addsubscription, sp_dropsubscription, sp_adddistributor,
	// sp_dropdistributor, sp_adddistpublisher, sp_dropdistpublisher,
	// sp_addlinkedserver, sp_droplinkedserver, sp_addlinkedsrvlogin,
	// sp_droplinkedsrvlogin, sp_serveroption, sp_replicationdboption and
	// sp_fulltext_database (or such a procedure name as the batch's first
	// token, without EXEC). See Splitter for where they are looked for.
	NoTx bool
	// TxControl reports the script's own transaction control in the batch:
	// BEGIN [DISTRIBUTED] TRAN[SACTION], COMMIT (any form) and ROLLBACK
	// (any form, also ROLLBACK TRAN savepoint). SAVE TRAN[SACTION] works
	// inside a transaction and is not flagged.
	TxControl bool
}

// SplitError reports input that cannot be split: an unterminated string,
// quoted or bracketed identifier or /* comment, or a GO count out of range.
// The splitter stops there: no partial batch is returned.
type SplitError struct {
	Offset int64  // byte offset in the input where the faulty construct starts
	Line   int    // 1-based line of Offset
	Msg    string // what is wrong, e.g. "unterminated quoted string"
}

// Error returns the message with its line: "line 4: unterminated ...".
func (e *SplitError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// Splitter reads a T-SQL script from an io.Reader and returns its batches
// one at a time. It holds the batch being read plus one read buffer, so
// memory is bounded by the largest batch, not by the input.
//
// A batch ends at a GO line: a line holding only the word GO (any case),
// optionally followed by a count ("GO 5": the batch runs 5 times, 1 to
// MaxRepeat, anything else is an error) and a -- comment, with any blanks
// around them. GO after other tokens on its line (SELECT 1 AS go), after a
// /* comment on its line, or followed by anything else (GO;, GO 5x) is not
// a separator, and neither are longer words (GOTO, GO_x) nor GO inside
// '...' and N'...' strings, "..." and [...] identifiers (doubled closing
// characters stand for themselves), -- comments and nested /* */
// comments. Like sqlcmd, and unlike Flyway, a GO line ends the batch even
// inside BEGIN ... END or parentheses. A backslash at the end of a line is
// an ordinary character. The last batch needs no GO. Batches holding only
// whitespace and comments are skipped, and so is a UTF-8 byte order mark at
// the start.
//
// Statement.NoTx and Statement.TxControl come from a scan of the whole
// batch's tokens outside strings, identifiers, comments and parentheses.
// T-SQL statements need no ';', so a keyword is taken for the start of a
// statement unless the token before it is '.', ',', GRANT, DENY, REVOKE,
// FOR or WITH (GRANT CREATE DATABASE, GRANT BACKUP LOG, WITH ROLLBACK
// IMMEDIATE). This works because the keywords looked for (BEGIN, COMMIT,
// ROLLBACK, CREATE, ALTER, DROP, BACKUP, RESTORE, RECONFIGURE, EXEC) are
// reserved words that cannot be identifiers unless quoted. A batch that is
// a CREATE [OR ALTER] or ALTER PROC[EDURE], FUNCTION, TRIGGER or VIEW gets
// no flag: its body runs later, when the module is called. Limits: dynamic
// SQL (EXEC('...'), sp_executesql) is a string and not looked into, and
// neither are the bodies of procedures the batch calls; the DATABASE forms
// above are flagged whatever follows DATABASE (running outside a
// transaction always works, it only loses atomicity).
//
// Input that cannot be split ends with a *SplitError, never with a partial
// batch: sending the rest of the file as one batch would only produce a more
// confusing error.
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

	skipLine bool // the rest of a GO line is still to skip

	// current batch
	inBatch   bool  // start is set: bytes from start on must be kept
	start     int64 // input offset of the first byte that is not a blank
	line      int   // line of start
	lastEnd   int64 // input offset just past the last byte that is not a blank
	hasCode   bool  // a token that is not a comment was seen
	lineStart bool  // only blanks since the start of the line
	depth     int   // parenthesis depth
	cls       classifier
}

const (
	initialBuffer = 64 << 10
	minRead       = 16 << 10
	maxKeyword    = 24 // longest word looked up
)

// NewSplitter returns a Splitter reading from r.
func NewSplitter(r io.Reader) *Splitter {
	return &Splitter{r: r, lline: 1}
}

// Split returns the batches of src. On error it returns the batches before
// the faulty one and the error.
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

// Next returns the next batch, or io.EOF when the input holds no more.
// Errors are a *SplitError or a read error; Next then keeps returning the
// same error.
func (s *Splitter) Next() (Statement, error) {
	if s.err != nil {
		return Statement{}, s.err
	}
	for {
		st, ok, err := s.batch()
		if err != nil {
			s.inBatch = false
			s.err = err
			return Statement{}, err
		}
		if ok {
			return st, nil
		}
	}
}

// batch scans one batch up to a GO line or the end of the input. It reports
// false for an empty batch ended by a GO line.
func (s *Splitter) batch() (Statement, bool, error) {
	if s.skipLine {
		s.skipLine = false
		s.skipPast('\n')
	}
	s.inBatch, s.hasCode, s.lineStart, s.depth = false, false, true, 0
	s.cls = classifier{}
	for {
		if s.pos >= len(s.buf) && !s.fill() {
			if s.rerr != nil {
				return Statement{}, false, s.rerr
			}
			if !s.hasCode {
				return Statement{}, false, io.EOF
			}
			return s.finish(1), true, nil
		}
		c := s.buf[s.pos]
		cl := class[c]
		if cl == clSpace {
			if c == '\n' {
				s.lineStart = true
			}
			s.pos++
			continue
		}
		if c == 0xEF && s.off(s.pos) == 0 && s.need(3) && s.buf[s.pos+1] == 0xBB && s.buf[s.pos+2] == 0xBF {
			s.pos += 3
			continue
		}
		if s.lineStart && (c == 'G' || c == 'g') {
			count, ok, err := s.goLine()
			if err != nil {
				return Statement{}, false, err
			}
			if ok {
				if !s.hasCode {
					return Statement{}, false, nil
				}
				return s.finish(count), true, nil
			}
		}
		if !s.inBatch {
			s.inBatch = true
			s.start = s.off(s.pos)
			s.line = s.lineAt(s.start)
		}
		s.lineStart = false
		if err := s.token(cl); err != nil {
			return Statement{}, false, err
		}
	}
}

// finish returns the batch scanned so far.
func (s *Splitter) finish(count int) Statement {
	st := Statement{
		Text:   string(s.buf[s.start-s.base : s.lastEnd-s.base]),
		Offset: s.start,
		Line:   s.line,
		Repeat: count,
	}
	s.inBatch = false
	s.cls.end()
	st.NoTx, st.TxControl = s.cls.noTx, s.cls.txControl
	return st
}

// token scans the token or comment starting at s.pos, whose first byte is
// of class cl and not a blank.
func (s *Splitter) token(cl uint8) error {
	at := s.pos
	start := s.off(at)
	c := s.buf[at]
	t := tok{kind: tkPunct, ch: c}
	switch cl {
	case clDash:
		if s.need(2) && s.buf[s.pos+1] == '-' {
			s.lineComment()
			return nil
		}
		s.pos++
	case clSlash:
		if s.need(2) && s.buf[s.pos+1] == '*' {
			if !s.skipBlockComment() {
				return s.errorAt(start, "unterminated /* comment")
			}
			s.lastEnd = s.off(s.pos)
			return nil
		}
		s.pos++
	case clQuote:
		if !s.skipQuoted('\'') {
			return s.errorAt(start, "unterminated quoted string")
		}
		t = tok{kind: tkOther}
	case clDQuote, clBracket:
		q, what := byte('"'), "quoted"
		if cl == clBracket {
			q, what = ']', "bracketed"
		}
		if !s.skipQuoted(q) {
			return s.errorAt(start, "unterminated %s identifier", what)
		}
		t = tok{kind: tkQuoted, kw: keyword(s.buf[int(start-s.base)+1 : s.pos-1])}
	case clOpen:
		s.pos++
		s.depth++
	case clClose:
		s.pos++
		if s.depth > 0 {
			s.depth--
		}
	case clDigit:
		s.pos++
		s.scanWhile(&isNumber)
		t = tok{kind: tkOther}
	case clWord:
		s.pos++
		s.scanWhile(&isIdent)
		w := s.buf[int(start-s.base):s.pos]
		if len(w) == 1 && (c == 'N' || c == 'n') && s.need(1) && s.buf[s.pos] == '\'' {
			if !s.skipQuoted('\'') {
				return s.errorAt(start, "unterminated quoted string")
			}
			t = tok{kind: tkOther}
			break
		}
		t = tok{kind: tkWord, kw: keyword(w)}
		if c == '@' {
			t.kind = tkVar
		}
	default:
		s.pos++
	}
	s.hasCode = true
	s.lastEnd = s.off(s.pos)
	t.depth = s.depth
	s.cls.add(t)
	return nil
}

// scanWhile moves s.pos past the bytes in set.
func (s *Splitter) scanWhile(set *[256]bool) {
	for {
		for s.pos < len(s.buf) && set[s.buf[s.pos]] {
			s.pos++
		}
		if s.pos < len(s.buf) || !s.fill() {
			return
		}
	}
}

// goLine looks at a line whose first byte that is not a blank, at s.pos,
// is 'G' or 'g'. When the line is a batch separator it returns the count
// and true, moves s.pos past GO and its count and leaves the rest of the
// line (blanks, a -- comment, the '\n') for the next batch to skip.
func (s *Splitter) goLine() (int, bool, error) {
	if !s.need(2) || s.buf[s.pos+1]|0x20 != 'o' {
		return 0, false, nil
	}
	j := 2
	if s.need(j+1) && isIdent[s.buf[s.pos+j]] {
		return 0, false, nil // GOTO, GO_1
	}
	blanks := func() {
		for s.need(j+1) && class[s.buf[s.pos+j]] == clSpace && s.buf[s.pos+j] != '\n' {
			j++
		}
	}
	blanks()
	count, countAt, digits := 1, -1, 0
	if s.need(j+1) && isDigit(s.buf[s.pos+j]) {
		countAt, count = j, 0
		for s.need(j+1) && isDigit(s.buf[s.pos+j]) {
			if count <= MaxRepeat {
				count = count*10 + int(s.buf[s.pos+j]-'0')
			}
			j++
			digits++
		}
		if s.need(j+1) && isIdent[s.buf[s.pos+j]] {
			return 0, false, nil // GO 5x
		}
		blanks()
	}
	if s.need(j+1) && s.buf[s.pos+j] != '\n' && (s.buf[s.pos+j] != '-' || !s.need(j+2) || s.buf[s.pos+j+1] != '-') {
		return 0, false, nil // GO followed by something else
	}
	if countAt >= 0 && (count < 1 || count > MaxRepeat) {
		lit := string(s.buf[s.pos+countAt : s.pos+countAt+min(digits, 20)])
		if digits > 20 {
			lit += "..."
		}
		return 0, false, s.errorAt(s.off(s.pos+countAt), "GO count %s out of range (1 to %d)", lit, MaxRepeat)
	}
	s.pos += j
	s.skipLine = true
	return count, true, nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// lineComment moves s.pos past the -- comment at s.pos and its '\n'.
func (s *Splitter) lineComment() {
	at := s.off(s.pos)
	found := s.skipPast('\n')
	end := s.pos
	if found {
		end--
		s.lineStart = true
	}
	for s.off(end) > at+2 && class[s.buf[end-1]] == clSpace {
		end--
	}
	s.lastEnd = s.off(end)
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
		if s.inBatch {
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

func (s *Splitter) errorAt(off int64, format string, args ...any) error {
	if s.rerr != nil {
		return s.rerr
	}
	return &SplitError{Offset: off, Line: s.lineAt(off), Msg: fmt.Sprintf(format, args...)}
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

// skipBlockComment moves s.pos past the (nested) comment starting at s.pos.
func (s *Splitter) skipBlockComment() bool {
	s.pos += 2
	depth := 1
	for {
		for s.pos+1 < len(s.buf) {
			switch c := s.buf[s.pos]; {
			case c == '*' && s.buf[s.pos+1] == '/':
				s.pos += 2
				if depth--; depth == 0 {
					return true
				}
			case c == '/' && s.buf[s.pos+1] == '*':
				s.pos += 2
				depth++
			default:
				s.pos++
			}
		}
		if !s.fill() {
			s.pos = len(s.buf)
			return false
		}
	}
}

// skipQuoted moves s.pos past the quoted token whose opening character is
// at s.pos and whose closing character is q; a doubled q stands for itself.
func (s *Splitter) skipQuoted(q byte) bool {
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
		s.pos += i
		if s.need(2) && s.buf[s.pos+1] == q {
			s.pos += 2
			continue
		}
		s.pos++
		return true
	}
}

// Classification.

// Token kinds.
const (
	tkWord   uint8 = iota + 1
	tkVar          // a word starting with '@'
	tkQuoted       // "..." or [...] identifier; kw is its content's keyword
	tkPunct
	tkOther // strings and numbers
)

type tok struct {
	kind, kw, ch uint8
	depth        int
}

// classifier sets a batch's flags from its tokens, one at a time.
type classifier struct {
	n         int    // tokens seen
	prev      [3]tok // prev[0] is the token before the current one, ...
	module    bool   // the batch defines a module: no flags
	exec      uint8  // state of EXEC [@r =] name recognition (exec* below)
	execProc  bool   // the name part just seen is a procedure looked for
	noTx      bool
	txControl bool
}

// States of EXEC recognition.
const (
	execNone  uint8 = iota
	execStart       // after EXEC: a @var or the name follows
	execVar         // after EXEC @var: '=' follows
	execName        // a name part follows
	execAfter       // after a name part: '.' or the end of the name
)

func (c *classifier) add(t tok) {
	if c.module {
		return
	}
	c.n++
	p := c.prev
	word := func(t tok, kws ...uint8) bool {
		if t.kind != tkWord {
			return false
		}
		for _, k := range kws {
			if t.kw == k {
				return true
			}
		}
		return false
	}
	// Module definitions: CREATE [OR ALTER] | ALTER PROC ... as the batch's
	// first statement.
	switch {
	case c.n == 2 && word(p[0], kwCreate, kwAlter) && word(t, kwProc, kwProcedure, kwFunction, kwTrigger, kwView),
		c.n == 4 && word(p[2], kwCreate) && word(p[1], kwOr) && word(p[0], kwAlter) && word(t, kwProc, kwProcedure, kwFunction, kwTrigger, kwView):
		c.module = true
		c.noTx, c.txControl, c.exec = false, false, execNone
		return
	}
	if c.n == 1 {
		c.exec = execName // a procedure name may start a batch without EXEC
	}
	// statement start: the previous token does not make t an argument.
	startAt := func(i int) bool {
		if i >= c.n-1 {
			return true // t (or the token i back) starts the batch
		}
		q := p[i]
		return !(q.kind == tkPunct && (q.ch == '.' || q.ch == ',') || word(q, kwGrant, kwDeny, kwRevoke, kwFor, kwWith))
	}
	switch c.exec {
	case execStart:
		if t.kind == tkVar {
			c.exec = execVar
			break
		}
		c.exec = execName
		fallthrough
	case execName:
		switch {
		case t.kind == tkWord || t.kind == tkQuoted:
			c.execProc = isProc(t.kw)
			c.exec = execAfter
		case t.kind == tkPunct && t.ch == '.': // master..sp_x
		default:
			c.exec = execNone
		}
	case execVar:
		c.exec = execNone
		if t.kind == tkPunct && t.ch == '=' {
			c.exec = execName
		}
	case execAfter:
		if t.kind == tkPunct && t.ch == '.' {
			c.exec = execName
			break
		}
		c.noTx = c.noTx || c.execProc
		c.exec = execNone
	}
	if t.depth == 0 && t.kind == tkWord {
		switch t.kw {
		case kwTran, kwTransaction:
			c.txControl = c.txControl || word(p[0], kwBegin) && c.n > 1 ||
				word(p[0], kwDistributed) && word(p[1], kwBegin) && c.n > 2
		case kwCommit, kwRollback:
			c.txControl = c.txControl || startAt(0)
		case kwDatabase:
			c.noTx = c.noTx || c.n > 1 && word(p[0], kwCreate, kwAlter, kwDrop) && startAt(1)
		case kwCatalog, kwIndex:
			c.noTx = c.noTx || c.n > 2 && word(p[0], kwFulltext) && word(p[1], kwCreate, kwAlter, kwDrop) && startAt(2)
		case kwBackup, kwRestore, kwReconfigure:
			c.noTx = c.noTx || startAt(0)
		case kwExec, kwExecute:
			if startAt(0) {
				c.exec = execStart
			}
		}
	}
	c.prev = [3]tok{t, p[0], p[1]}
}

// end finishes the classification at the end of the batch.
func (c *classifier) end() {
	if c.exec == execAfter && c.execProc {
		c.noTx = true
	}
	c.exec = execNone
}

// Keywords the classifier looks at; kwIdent is any other word.
const (
	kwNone uint8 = iota
	kwIdent
	kwAlter
	kwBackup
	kwBegin
	kwCatalog
	kwCommit
	kwCreate
	kwDatabase
	kwDeny
	kwDistributed
	kwDrop
	kwExec
	kwExecute
	kwFor
	kwFulltext
	kwFunction
	kwGrant
	kwIndex
	kwOr
	kwProc
	kwProcedure
	kwReconfigure
	kwRestore
	kwRevoke
	kwRollback
	kwTran
	kwTransaction
	kwTrigger
	kwView
	kwWith
	kwProcFirst // procedures that refuse a user transaction, up to kwProcLast
	kwProcLast  = kwProcFirst + 12
)

var keywords = map[string]uint8{
	"ALTER": kwAlter, "BACKUP": kwBackup, "BEGIN": kwBegin, "CATALOG": kwCatalog,
	"COMMIT": kwCommit, "CREATE": kwCreate, "DATABASE": kwDatabase, "DENY": kwDeny,
	"DISTRIBUTED": kwDistributed, "DROP": kwDrop, "EXEC": kwExec, "EXECUTE": kwExecute,
	"FOR": kwFor, "FULLTEXT": kwFulltext, "FUNCTION": kwFunction, "GRANT": kwGrant,
	"INDEX": kwIndex, "OR": kwOr, "PROC": kwProc, "PROCEDURE": kwProcedure,
	"RECONFIGURE": kwReconfigure, "RESTORE": kwRestore, "REVOKE": kwRevoke,
	"ROLLBACK": kwRollback, "TRAN": kwTran, "TRANSACTION": kwTransaction,
	"TRIGGER": kwTrigger, "VIEW": kwView, "WITH": kwWith,
}

func init() {
	procs := []string{
		"SP_ADDSUBSCRIPTION", "SP_DROPSUBSCRIPTION", "SP_ADDDISTRIBUTOR", "SP_DROPDISTRIBUTOR",
		"SP_ADDDISTPUBLISHER", "SP_DROPDISTPUBLISHER", "SP_ADDLINKEDSERVER", "SP_DROPLINKEDSERVER",
		"SP_ADDLINKEDSRVLOGIN", "SP_DROPLINKEDSRVLOGIN", "SP_SERVEROPTION", "SP_REPLICATIONDBOPTION",
		"SP_FULLTEXT_DATABASE",
	}
	for i, p := range procs {
		keywords[p] = kwProcFirst + uint8(i)
	}
	if kwProcFirst+uint8(len(procs)-1) != kwProcLast {
		panic("sqlserver: procedure keyword range")
	}
}

func isProc(kw uint8) bool { return kwProcFirst <= kw && kw <= kwProcLast }

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
	clOpen
	clClose
	clDash
	clSlash
	clQuote
	clDQuote
	clBracket
	clDigit
	clWord
)

var (
	class    [256]uint8
	isIdent  [256]bool // identifier continuation: letters, digits, _, @, #, $, non-ASCII
	isNumber [256]bool // number continuation
)

func init() {
	for c := 0; c < 256; c++ {
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c >= 0x80
		digit := '0' <= c && c <= '9'
		isIdent[c] = letter || digit || c == '@' || c == '#' || c == '$'
		isNumber[c] = letter && c < 0x80 || digit || c == '.'
		switch {
		case letter || c == '@' || c == '#' || c == '$':
			class[c] = clWord
		case digit:
			class[c] = clDigit
		}
	}
	for _, c := range " \t\n\r\f\v" {
		class[c] = clSpace
	}
	class['('], class[')'] = clOpen, clClose
	class['-'], class['/'], class['\''], class['"'], class['['] = clDash, clSlash, clQuote, clDQuote, clBracket
}
