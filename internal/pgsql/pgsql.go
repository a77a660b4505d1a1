// Package pgsql parses PostgreSQL migration scripts with PostgreSQL's own
// parser: libpg_query compiled to WebAssembly and run by wazero, through
// github.com/wasilibs/go-pgquery (pure Go, no cgo; the API of pganalyze's
// pg_query_go). Only the commands that read SQL (strata undo-gen and strata
// lint, and migrate when an env sets lint) call it: the WebAssembly module
// is compiled on the first Parse of the process (about 2 s), never at
// package initialisation, so linking this package costs other commands
// nothing but binary size.
//
// A script is parsed with its placeholders masked: each ${name} becomes an
// identifier of the same length (so that every offset, line and column
// stays the file's own), and Restore puts the placeholders back into SQL
// generated from the tree.
package pgsql

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	pgq "github.com/wasilibs/go-pgquery"
	"github.com/wasilibs/go-pgquery/parser"

	"github.com/stratadb/strata/placeholders"
)

// Script is a parsed migration script.
type Script struct {
	Src        string      // the file's text, as read
	Statements []Statement // in source order
	masked     string      // Src with placeholders masked
	masks      []mask      // longest first
	lines      []int       // byte offset of the start of each line
	version    int32       // the parser's PostgreSQL version, for Deparse
}

// Statement is one statement of a script.
type Statement struct {
	Node   *pg_query.Node // nil when Err is set
	Offset int            // byte offset of its first token in Script.Src
	End    int            // byte offset just after its last token (before the ';')
	Err    *SyntaxError   // why it did not parse, or nil
}

// SyntaxError is PostgreSQL's parser refusing a statement.
type SyntaxError struct {
	Offset int    // byte offset in the script
	Msg    string // PostgreSQL's message, e.g. `syntax error at or near "TABL"`
}

func (e *SyntaxError) Error() string { return e.Msg }

// mask is a placeholder replaced by an identifier of the same length.
type mask struct{ ident, text string }

// Text returns the statement's text as written in the file.
func (s *Script) Text(st Statement) string { return s.Src[st.Offset:st.End] }

// Pos returns the 1-based line and column (in characters) of a byte offset.
func (s *Script) Pos(offset int) (line, col int) {
	if offset < 0 {
		offset = 0
	}
	if offset > len(s.Src) {
		offset = len(s.Src)
	}
	i := sort.Search(len(s.lines), func(i int) bool { return s.lines[i] > offset }) - 1
	return i + 1, utf8.RuneCountInString(s.Src[s.lines[i]:offset]) + 1
}

// Restore puts the script's placeholders back into SQL text generated from
// its tree: each masking identifier becomes the placeholder it replaced.
func (s *Script) Restore(sql string) string {
	for _, m := range s.masks {
		sql = strings.ReplaceAll(sql, m.ident, m.text)
	}
	return sql
}

// Masked reports whether an identifier of the tree is, or holds, a masked
// placeholder.
func (s *Script) Masked(ident string) bool {
	for _, m := range s.masks {
		if strings.Contains(ident, m.ident) {
			return true
		}
	}
	return false
}

// Parse parses a script whose placeholders are written with syn. A
// statement PostgreSQL's parser refuses is kept with its Err set; the
// statements around it are still parsed. The error is for what no parser
// input can cause (the WebAssembly module failing).
func Parse(src string, syn placeholders.Syntax) (*Script, error) {
	s := &Script{Src: src, lines: []int{0}}
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' || (src[i] == '\r' && (i+1 == len(src) || src[i+1] != '\n')) {
			s.lines = append(s.lines, i+1)
		}
	}
	s.mask(syn)
	s.masked = blankCopyData(s.masked)
	tree, err := pgq.Parse(s.masked)
	if err == nil {
		s.Statements, err = s.statements(tree, 0, len(s.masked))
		return s, err
	}
	// One statement or more does not parse: split at the top-level
	// semicolons the scanner finds, and parse each piece alone, blanked in
	// place so that offsets stay the file's.
	toks, serr := pgq.Scan(s.masked)
	if serr != nil {
		// A lexical error (an unterminated literal or comment): the rest of
		// the file cannot be split.
		s.Statements = []Statement{{Offset: firstNonSpace(src, 0), End: len(strings.TrimRight(src, " \t\r\n;")), Err: syntaxError(serr, s.masked, 0)}}
		return s, nil
	}
	start := 0
	var pieces [][2]int
	for _, t := range toks.Tokens {
		if t.Token == pg_query.Token_ASCII_59 {
			pieces = append(pieces, [2]int{start, int(t.Start)})
			start = int(t.End)
		}
	}
	pieces = append(pieces, [2]int{start, len(s.masked)})
	for _, p := range pieces {
		text := blankOutside(s.masked, p[0], p[1])
		t, err := pgq.Parse(text)
		if err != nil {
			off := firstToken(toks.Tokens, p[0], p[1])
			if off < 0 {
				continue
			}
			s.Statements = append(s.Statements, Statement{Offset: off, End: lastTokenEnd(toks.Tokens, p[0], p[1]), Err: syntaxError(err, text, off)})
			continue
		}
		sts, err := s.statements(t, p[0], p[1])
		if err != nil {
			return nil, err
		}
		s.Statements = append(s.Statements, sts...)
	}
	return s, nil
}

// statements turns the parse tree of the text in [lo, hi) into Statements
// placed with the scanner's tokens (a RawStmt's location includes the
// comments before it).
func (s *Script) statements(tree *pg_query.ParseResult, lo, hi int) ([]Statement, error) {
	toks, err := pgq.Scan(s.masked)
	if err != nil {
		return nil, fmt.Errorf("scan the parsed script: %w", err)
	}
	s.version = tree.Version
	var out []Statement
	for _, raw := range tree.Stmts {
		from := max(int(raw.StmtLocation), lo)
		to := hi
		if raw.StmtLen > 0 {
			to = min(int(raw.StmtLocation)+int(raw.StmtLen), hi)
		}
		off := firstToken(toks.Tokens, from, to)
		if off < 0 {
			off = from
		}
		end := lastTokenEnd(toks.Tokens, from, to)
		if end < off {
			end = to
		}
		out = append(out, Statement{Node: raw.Stmt, Offset: off, End: end})
	}
	return out, nil
}

// firstToken is the start of the first token in [from, to) that is not a
// comment, or -1.
func firstToken(toks []*pg_query.ScanToken, from, to int) int {
	for _, t := range toks {
		if int(t.Start) >= from && int(t.Start) < to && !comment(t) && t.Token != pg_query.Token_ASCII_59 {
			return int(t.Start)
		}
	}
	return -1
}

// lastTokenEnd is the end of the last token in [from, to) that is not a
// comment or a semicolon, or -1.
func lastTokenEnd(toks []*pg_query.ScanToken, from, to int) int {
	end := -1
	for _, t := range toks {
		if int(t.Start) >= from && int(t.Start) < to && !comment(t) && t.Token != pg_query.Token_ASCII_59 {
			end = int(t.End)
		}
	}
	return end
}

func comment(t *pg_query.ScanToken) bool {
	return t.Token == pg_query.Token_SQL_COMMENT || t.Token == pg_query.Token_C_COMMENT
}

// blankOutside replaces every byte outside [from, to) by a space, line
// breaks excepted, so that the piece parses alone at its own offsets.
func blankOutside(s string, from, to int) string {
	b := []byte(s)
	for i := range b {
		if (i < from || i >= to) && b[i] != '\n' && b[i] != '\r' {
			b[i] = ' '
		}
	}
	return string(b)
}

func firstNonSpace(s string, from int) int {
	for i := from; i < len(s); i++ {
		if !strings.ContainsRune(" \t\r\n", rune(s[i])) {
			return i
		}
	}
	return from
}

// syntaxError turns the parser's error on text into a SyntaxError; base
// is where the statement starts, for errors without a cursor position.
func syntaxError(err error, text string, base int) *SyntaxError {
	e := &SyntaxError{Offset: base, Msg: err.Error()}
	var pe *parser.Error
	if errors.As(err, &pe) && pe.Cursorpos > 0 {
		// Cursorpos counts characters from 1.
		n := 0
		for i := range text {
			if n == pe.Cursorpos-1 {
				e.Offset = i
				break
			}
			n++
		}
	}
	return e
}

// copyFromStdin matches a COPY ... FROM STDIN statement.
var copyFromStdin = regexp.MustCompile(`(?is)^\s*COPY\b[^;]*\bFROM\s+STDIN\b[^;]*;\s*$`)

// blankCopyData blanks the data lines that follow a COPY ... FROM STDIN
// statement, up to and including the line "\.", as the engine sends them
// to the server and not to the parser.
func blankCopyData(s string) string {
	lines := strings.SplitAfter(s, "\n")
	var stmt strings.Builder
	inData := false
	changed := false
	for i, l := range lines {
		t := strings.TrimRight(l, "\r\n")
		if inData {
			lines[i] = strings.Repeat(" ", len(t)) + l[len(t):]
			changed = true
			if t == `\.` {
				inData = false
			}
			continue
		}
		if stmt.Len() == 0 && !strings.HasPrefix(strings.ToUpper(strings.TrimSpace(t)), "COPY") {
			continue
		}
		stmt.WriteString(l)
		if strings.HasSuffix(strings.TrimSpace(t), ";") {
			inData = copyFromStdin.MatchString(stmt.String())
			stmt.Reset()
		}
	}
	if !changed {
		return s
	}
	return strings.Join(lines, "")
}

// mask replaces each placeholder of Src by an identifier of the same
// length: "q", a number unique to the placeholder's name, then
// underscores. The number makes no mask a part of another; an identifier
// already in the file is skipped. A placeholder too short for any mask
// (three characters with a one-character prefix) stays as written.
func (s *Script) mask(syn placeholders.Syntax) {
	refs := placeholders.Scan(s.Src, syn)
	if len(refs) == 0 {
		s.masked = s.Src
		return
	}
	lower := strings.ToLower(s.Src)
	byText := map[string]string{}
	next := 0
	b := []byte(s.Src)
	for _, r := range refs {
		text := s.Src[r.Offset : r.Offset+r.Len]
		ident, ok := byText[text]
		if !ok {
			for {
				num := strconv.Itoa(next)
				if 1+len(num) > len(text) {
					ident = ""
					break
				}
				next++
				ident = "q" + num + strings.Repeat("_", len(text)-1-len(num))
				if !strings.Contains(lower, ident) {
					break
				}
			}
			byText[text] = ident
			if ident != "" {
				s.masks = append(s.masks, mask{ident: ident, text: text})
			}
		}
		if ident != "" {
			copy(b[r.Offset:], ident)
		}
	}
	sort.SliceStable(s.masks, func(i, j int) bool { return len(s.masks[i].ident) > len(s.masks[j].ident) })
	s.masked = string(b)
}

// Deparse returns the SQL text of statements built or changed by the
// caller, placeholders restored.
func (s *Script) Deparse(stmts ...*pg_query.Node) (string, error) {
	tree := &pg_query.ParseResult{Version: s.version}
	for _, n := range stmts {
		tree.Stmts = append(tree.Stmts, &pg_query.RawStmt{Stmt: n})
	}
	out, err := pgq.Deparse(tree)
	if err != nil {
		return "", fmt.Errorf("deparse: %w", err)
	}
	return s.Restore(out), nil
}
