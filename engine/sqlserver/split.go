package sqlserver

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/engine/internal/scan"
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
	// Tx says what the batch does to the script's transaction: that of its
	// last transaction statement, BEGIN TRAN opening it (engine.TxBegin),
	// COMMIT committing it (engine.TxCommit) and ROLLBACK ending it
	// without committing (engine.TxEnd). A COMMIT after other transaction
	// statements of the batch (BEGIN TRAN ... COMMIT) is engine.TxEnd: the
	// batch runs as a whole, and the COMMIT does not carry what came before
	// it. ROLLBACK TRAN name is taken to end the transaction, though the
	// name may be a savepoint's. It is engine.TxNone exactly when TxControl
	// is false.
	Tx engine.TxEffect
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

// SplitPosition returns the line and byte offset of the faulty construct,
// for the engine to place the error in the file.
func (e *SplitError) SplitPosition() (line int, offset int64) { return e.Line, e.Offset }

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
// Statement.NoTx, TxControl and Tx come from a scan of the whole
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
	in  scan.Buffer
	err error // sticky result of Next (io.EOF at the end)

	skipLine bool // the rest of a GO line is still to skip

	// current batch
	start     int64 // input offset of the first byte that is not a blank (held in s.in)
	line      int   // line of start
	lastEnd   int64 // input offset just past the last byte that is not a blank
	hasCode   bool  // a token that is not a comment was seen
	lineStart bool  // only blanks since the start of the line
	depth     int   // parenthesis depth
	cls       classifier
}

const (
	maxKeyword = 24 // longest word looked up
)

// NewSplitter returns a Splitter reading from r.
func NewSplitter(r io.Reader) *Splitter {
	return &Splitter{in: scan.NewBuffer(r)}
}

// Split returns the batches of src. On error it returns the batches before
// the faulty one and the error.
func Split(src string) ([]Statement, error) {
	return scan.Split[Statement](NewSplitter(strings.NewReader(src)))
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
			s.in.Release()
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
		s.in.SkipPast('\n')
	}
	s.in.Release()
	s.hasCode, s.lineStart, s.depth = false, true, 0
	s.cls = classifier{}
	for {
		if s.in.Pos >= len(s.in.Buf) && !s.in.Fill() {
			if err := s.in.Err(); err != nil {
				return Statement{}, false, err
			}
			if !s.hasCode {
				return Statement{}, false, io.EOF
			}
			return s.finish(1), true, nil
		}
		c := s.in.Buf[s.in.Pos]
		cl := class[c]
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
		if !s.in.Holding() {
			s.start = s.in.Off(s.in.Pos)
			s.in.Hold(s.start)
			s.line = s.in.Line(s.start)
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
		Text:   string(s.in.Slice(s.start, s.lastEnd)),
		Offset: s.start,
		Line:   s.line,
		Repeat: count,
	}
	s.in.Release()
	s.cls.end()
	st.NoTx, st.Tx = s.cls.noTx, s.cls.tx
	st.TxControl = st.Tx != engine.TxNone
	return st
}

// token scans the token or comment starting at s.in.Pos, whose first byte is
// of class cl and not a blank.
func (s *Splitter) token(cl uint8) error {
	at := s.in.Pos
	start := s.in.Off(at)
	c := s.in.Buf[at]
	t := tok{kind: tkPunct, ch: c}
	switch cl {
	case clDash:
		if s.in.Need(2) && s.in.Buf[s.in.Pos+1] == '-' {
			s.lineComment()
			return nil
		}
		s.in.Pos++
	case clSlash:
		if s.in.Need(2) && s.in.Buf[s.in.Pos+1] == '*' {
			if !s.skipBlockComment() {
				return s.errorAt(start, "unterminated /* comment")
			}
			s.lastEnd = s.in.Off(s.in.Pos)
			return nil
		}
		s.in.Pos++
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
		t = tok{kind: tkQuoted, kw: keyword(s.in.Buf[s.in.Index(start)+1 : s.in.Pos-1])}
	case clOpen:
		s.in.Pos++
		s.depth++
	case clClose:
		s.in.Pos++
		if s.depth > 0 {
			s.depth--
		}
	case clDigit:
		s.in.Pos++
		s.scanWhile(&isNumber)
		t = tok{kind: tkOther}
	case clWord:
		s.in.Pos++
		s.scanWhile(&isIdent)
		w := s.in.Buf[s.in.Index(start):s.in.Pos]
		if len(w) == 1 && (c == 'N' || c == 'n') && s.in.Need(1) && s.in.Buf[s.in.Pos] == '\'' {
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
		s.in.Pos++
	}
	s.hasCode = true
	s.lastEnd = s.in.Off(s.in.Pos)
	t.depth = s.depth
	s.cls.add(t)
	return nil
}

// scanWhile moves s.in.Pos past the bytes in set.
func (s *Splitter) scanWhile(set *[256]bool) {
	for {
		for s.in.Pos < len(s.in.Buf) && set[s.in.Buf[s.in.Pos]] {
			s.in.Pos++
		}
		if s.in.Pos < len(s.in.Buf) || !s.in.Fill() {
			return
		}
	}
}

// goLine looks at a line whose first byte that is not a blank, at s.in.Pos,
// is 'G' or 'g'. When the line is a batch separator it returns the count
// and true, moves s.in.Pos past GO and its count and leaves the rest of the
// line (blanks, a -- comment, the '\n') for the next batch to skip.
func (s *Splitter) goLine() (int, bool, error) {
	if !s.in.Need(2) || s.in.Buf[s.in.Pos+1]|0x20 != 'o' {
		return 0, false, nil
	}
	j := 2
	if s.in.Need(j+1) && isIdent[s.in.Buf[s.in.Pos+j]] {
		return 0, false, nil // GOTO, GO_1
	}
	blanks := func() {
		for s.in.Need(j+1) && class[s.in.Buf[s.in.Pos+j]] == clSpace && s.in.Buf[s.in.Pos+j] != '\n' {
			j++
		}
	}
	blanks()
	count, countAt, digits := 1, -1, 0
	if s.in.Need(j+1) && isDigit(s.in.Buf[s.in.Pos+j]) {
		countAt, count = j, 0
		for s.in.Need(j+1) && isDigit(s.in.Buf[s.in.Pos+j]) {
			if count <= MaxRepeat {
				count = count*10 + int(s.in.Buf[s.in.Pos+j]-'0')
			}
			j++
			digits++
		}
		if s.in.Need(j+1) && isIdent[s.in.Buf[s.in.Pos+j]] {
			return 0, false, nil // GO 5x
		}
		blanks()
	}
	if s.in.Need(j+1) && s.in.Buf[s.in.Pos+j] != '\n' && (s.in.Buf[s.in.Pos+j] != '-' || !s.in.Need(j+2) || s.in.Buf[s.in.Pos+j+1] != '-') {
		return 0, false, nil // GO followed by something else
	}
	if countAt >= 0 && (count < 1 || count > MaxRepeat) {
		lit := string(s.in.Buf[s.in.Pos+countAt : s.in.Pos+countAt+min(digits, 20)])
		if digits > 20 {
			lit += "..."
		}
		return 0, false, s.errorAt(s.in.Off(s.in.Pos+countAt), "GO count %s out of range (1 to %d)", lit, MaxRepeat)
	}
	s.in.Pos += j
	s.skipLine = true
	return count, true, nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// lineComment moves s.in.Pos past the -- comment at s.in.Pos and its '\n'.
func (s *Splitter) lineComment() {
	at := s.in.Off(s.in.Pos)
	found := s.in.SkipPast('\n')
	end := s.in.Pos
	if found {
		end--
		s.lineStart = true
	}
	for s.in.Off(end) > at+2 && class[s.in.Buf[end-1]] == clSpace {
		end--
	}
	s.lastEnd = s.in.Off(end)
}

func (s *Splitter) errorAt(off int64, format string, args ...any) error {
	if err := s.in.Err(); err != nil {
		return err
	}
	return &SplitError{Offset: off, Line: s.in.Line(off), Msg: fmt.Sprintf(format, args...)}
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

// skipQuoted moves s.in.Pos past the quoted token whose opening character is
// at s.in.Pos and whose closing character is q; a doubled q stands for itself.
func (s *Splitter) skipQuoted(q byte) bool {
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
		s.in.Pos += i
		if s.in.Need(2) && s.in.Buf[s.in.Pos+1] == q {
			s.in.Pos += 2
			continue
		}
		s.in.Pos++
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
	n        int    // tokens seen
	prev     [3]tok // prev[0] is the token before the current one, ...
	module   bool   // the batch defines a module: no flags
	exec     uint8  // state of EXEC [@r =] name recognition (exec* below)
	execProc bool   // the name part just seen is a procedure looked for
	noTx     bool
	tx       engine.TxEffect // effect of the last transaction statement
	txs      uint8           // transaction statements seen, up to 2
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
		c.noTx, c.tx, c.txs, c.exec = false, engine.TxNone, 0, execNone
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
			if word(p[0], kwBegin) && c.n > 1 || word(p[0], kwDistributed) && word(p[1], kwBegin) && c.n > 2 {
				c.txStatement(engine.TxBegin)
			}
		case kwCommit:
			if startAt(0) {
				c.txStatement(engine.TxCommit)
			}
		case kwRollback:
			if startAt(0) {
				c.txStatement(engine.TxEnd)
			}
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

// txStatement records a transaction statement with effect e.
func (c *classifier) txStatement(e engine.TxEffect) {
	c.tx = e
	c.txs = min(c.txs+1, 2)
}

// end finishes the classification at the end of the batch.
func (c *classifier) end() {
	if c.exec == execAfter && c.execProc {
		c.noTx = true
	}
	c.exec = execNone
	if c.tx == engine.TxCommit && c.txs > 1 {
		c.tx = engine.TxEnd
	}
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
