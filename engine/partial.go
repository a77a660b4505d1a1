package engine

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/stratadb/strata/placeholders"
	"github.com/stratadb/strata/schemas"
)

// A non-transactional file that fails part-way leaves some statements
// applied. This file keeps track of which: the checksum of each applied
// statement (of its text in the file on disk, before placeholders, without
// carriage returns) goes to the history row's statement_checksums, so a
// re-run can tell a fix of a statement that had not run yet (resume at the
// failed statement, as Atlas does) from a change to one that already ran
// (refused, naming it).

// maxTrackedStatements is how many statement checksums every progress
// update writes; past it they are written only with a failure, so a file
// of many statements does not rewrite a growing list after each one. A run
// killed past that point resumes only with the file unchanged.
const maxTrackedStatements = 100

// maxListedStatements is how many statements' first lines a run keeps for
// its messages.
const maxListedStatements = 1000

// shownStatements is how many applied statements a message lists.
const shownStatements = 5

// StatementRef names one statement of a migration file.
type StatementRef struct {
	Number int    // 1-based position in the file
	Line   int    // line in the file on disk where the statement starts, 0 when unknown
	Text   string // its first line, shortened
}

func (s StatementRef) String() string {
	if s.Line > 0 {
		return fmt.Sprintf("#%d line %d: %s", s.Number, s.Line, s.Text)
	}
	return fmt.Sprintf("#%d: %s", s.Number, s.Text)
}

// PartialRun describes a non-transactional file whose run failed part-way:
// what stayed applied and, for a failed history row, how the file on disk
// compares with what ran.
type PartialRun struct {
	Applied    int            // statements 1..Applied stayed applied (not rolled back)
	Total      int            // statements in the file (as it is now), 0 when unknown
	Failed     int            // 1-based number of the statement that failed, 0 when unknown
	Statements []StatementRef // applied statements to show: the first and the last few
	More       int            // applied statements left out of Statements
	// For a failed history row:
	FileChanged  bool          // the file's checksum differs from the one the run recorded
	Changed      *StatementRef // the first applied statement whose text changed since (Text "(no longer in the file)" when the file has fewer statements now)
	Unverifiable bool          // the file changed and the history lacks the checksums of some applied statements
	ReadErr      error         // the file could not be read to compare
}

// Resumable reports whether a re-run may resume after the applied
// statements: the file is unchanged, or changed only after them.
func (p *PartialRun) Resumable() bool {
	return !p.FileChanged || p.ReadErr == nil && !p.Unverifiable && p.Changed == nil
}

// AppliedPhrase says which statements stayed applied, for example
// "statements 1-2 of 5 stayed applied (not rolled back): #1 line 1: CREATE
// INDEX ...; #2 line 3: ...".
func (p *PartialRun) AppliedPhrase() string {
	of := ""
	if p.Total > 0 {
		of = " of " + strconv.Itoa(p.Total)
	}
	if p.Applied == 0 {
		if p.Total > 0 {
			return fmt.Sprintf("none of the file's %d statements stayed applied", p.Total)
		}
		return "no statement of the file stayed applied"
	}
	list := make([]string, 0, len(p.Statements)+1)
	for _, s := range p.Statements {
		list = append(list, s.String())
	}
	if p.More > 0 {
		list = append(list, fmt.Sprintf("and %d more", p.More))
	}
	return fmt.Sprintf("%s%s stayed applied (not rolled back): %s%s", p.Range(), of, strings.Join(list, "; "), p.changedNote())
}

// changedNote warns that the statements listed are the file's text now,
// when one of them changed since it ran.
func (p *PartialRun) changedNote() string {
	if p.FileChanged && p.Changed != nil && p.Changed.Text != "(no longer in the file)" {
		return fmt.Sprintf(" (shown as the file reads now: statement %d has changed since it ran)", p.Changed.Number)
	}
	return ""
}

// Range is "statement 1" or "statements 1-k" for the applied statements.
func (p *PartialRun) Range() string {
	if p.Applied == 1 {
		return "statement 1"
	}
	return fmt.Sprintf("statements 1-%d", p.Applied)
}

// Summary is info's wording: "partially applied (statements 1-k of n)".
func (p *PartialRun) Summary() string {
	of := ""
	if p.Total > 0 {
		of = " of " + strconv.Itoa(p.Total)
	}
	if p.Applied == 0 {
		if p.Failed > 0 {
			return fmt.Sprintf("nothing applied (statement %d%s failed)", p.Failed, of)
		}
		return "nothing applied"
	}
	return fmt.Sprintf("partially applied (%s%s)", p.Range(), of)
}

// outcome continues AppliedPhrase: what else happened to the file's
// statements during the failed run.
func (p *PartialRun) outcome() string {
	var parts []string
	if p.Failed > p.Applied+1 {
		parts = append(parts, fmt.Sprintf("statements %d-%d (inside the file's own transaction) were rolled back", p.Applied+1, p.Failed-1))
	}
	if p.Failed > 0 {
		parts = append(parts, fmt.Sprintf("statement %d failed", p.Failed))
		if p.Total > p.Failed {
			if p.Total == p.Failed+1 {
				parts = append(parts, fmt.Sprintf("statement %d did not run", p.Total))
			} else {
				parts = append(parts, fmt.Sprintf("statements %d-%d did not run", p.Failed+1, p.Total))
			}
		}
	}
	return strings.Join(parts, "; ")
}

// resumeAdvice is the next step after a failure that left p applied, with
// the file as it was run.
func (p *PartialRun) resumeAdvice() string {
	if p.Applied == 0 {
		return "fix the cause (in the database, or in the file) and run migrate again: it starts the file from statement 1"
	}
	stay := "statements 1-" + strconv.Itoa(p.Applied) + " must stay as they ran"
	if p.Applied == 1 {
		stay = "statement 1 must stay as it ran"
	}
	return fmt.Sprintf("fix the cause (in the database, or in statement %d or a later one of the file; %s) and run migrate again: it resumes at statement %d; "+
		"or undo what %s did by hand and run repair: the next migrate then starts the file from statement 1",
		p.Applied+1, stay, p.Applied+1, p.Range())
}

// partialText says what a failure of a non-transactional file left: the
// statements applied, rolled back, failed and not run.
func partialText(p *PartialRun) string {
	s := p.AppliedPhrase()
	if o := p.outcome(); o != "" {
		s += "; " + o
	}
	return s
}

// failedMessage is validate's finding (and migrate's refusal) for a failed
// history row: what stayed applied, the error, and the next step for the
// file as it is now.
func failedMessage(e *Entry, name string) string {
	msg := fmt.Sprintf("detected failed migration to %s (%s)", name, e.Description)
	p := e.Partial
	if p == nil {
		if e.Row != nil && e.Row.Error != "" {
			msg += "\nerror: " + e.Row.Error
		}
		return msg + "\nremove any half-completed changes, then run repair to delete the failed row"
	}
	msg += ": " + partialText(p)
	if e.Row.Error != "" {
		msg += "\nerror: " + e.Row.Error
	}
	return msg + "\n" + p.NextStep()
}

// NextStep says what to do about a failed history row, for the file as it
// is now: resume, or the ways out when it cannot.
func (p *PartialRun) NextStep() string {
	switch {
	case p.ReadErr != nil && p.FileChanged:
		return fmt.Sprintf("the file changed since and could not be read to compare (%v): restore it, or undo what %s did by hand and run repair", p.ReadErr, p.Range())
	case !p.FileChanged:
		return "the file is unchanged: " + p.resumeAdvice()
	case p.Changed != nil && p.Changed.Text == "(no longer in the file)":
		return fmt.Sprintf("%s ran, but the file now has only %d statements, so migrate will not resume: put the statements that ran back, "+
			"or undo what %s did by hand and run repair (the next migrate then starts the file from statement 1)", p.Range(), p.Total, p.Range())
	case p.Changed != nil:
		return fmt.Sprintf("statement %d (line %d: %s) already ran and has changed since, so migrate will not resume: revert that statement to the text that ran, "+
			"or undo what %s did by hand and run repair (the next migrate then starts the file from statement 1)", p.Changed.Number, p.Changed.Line, p.Changed.Text, p.Range())
	case p.Unverifiable:
		return fmt.Sprintf("the file changed since, and the history does not record each statement that ran (a row written by an older strata, or a run of a long file cut off), "+
			"so strata cannot tell whether %s changed: revert the file to resume, or undo what %s did by hand and run repair", p.Range(), p.Range())
	case p.Applied == 0:
		return "the file changed since and no statement of it stayed applied: run migrate to start it from statement 1"
	}
	return fmt.Sprintf("the file changed only after the statements that ran (%s unchanged): run migrate to resume at statement %d; the new checksum is recorded when the file completes", p.Range(), p.Applied+1)
}

// leftoverText is what repair says it cannot undo for a failed row, or "".
func leftoverText(e *Entry) string {
	p := e.Partial
	if p == nil || p.Applied == 0 {
		return ""
	}
	var drops []string
	for _, s := range p.Statements {
		if h := undoHint(s.Text); h != "" {
			drops = append(drops, h)
		}
	}
	eg := ""
	if len(drops) > 0 {
		eg = " (e.g. " + strings.Join(drops, "; ") + ")"
	}
	script := e.Script
	if e.File != nil {
		script = e.File.Path()
	}
	list := make([]string, 0, len(p.Statements)+1)
	for _, s := range p.Statements {
		list = append(list, s.String())
	}
	if p.More > 0 {
		list = append(list, fmt.Sprintf("and %d more", p.More))
	}
	changed := p.changedNote()
	them := "them"
	if p.Applied == 1 {
		them = "it"
	}
	return fmt.Sprintf("%s of %s stayed applied and repair does not undo %s: %s%s; undo %s by hand%s before the next migrate, which will start the file from its first statement",
		p.Range(), script, them, strings.Join(list, "; "), changed, them, eg)
}

var createPattern = regexp.MustCompile(`(?i)^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:UNIQUE\s+|UNLOGGED\s+|TEMP(?:ORARY)?\s+)*(INDEX|TABLE|MATERIALIZED\s+VIEW|VIEW|SEQUENCE|TYPE|SCHEMA|FUNCTION|PROCEDURE|EXTENSION)\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?([^\s(;]+)`)

// undoHint suggests the statement that undoes a CREATE, or "".
func undoHint(first string) string {
	m := createPattern.FindStringSubmatch(first)
	if m == nil {
		return ""
	}
	kind := strings.ToUpper(strings.Join(strings.Fields(m[1]), " "))
	return "DROP " + kind + " " + m[2]
}

// alreadyExists reports whether a statement failed because what it creates
// is there already (PostgreSQL 42P07, 42710, 42P06; SQL Server 2714, 1913;
// SQLite's message).
func alreadyExists(code string, err error) bool {
	switch code {
	case "42P07", "42710", "42P06", "2714", "1913":
		return true
	}
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "already exists") || strings.Contains(msg, "There is already an object named")
}

// existsAdvice is the next step when a statement of a non-transactional
// file creates something that is there already, typically left by a failed
// run that repair removed from the history.
func existsAdvice(st StatementRef) string {
	drop := undoHint(st.Text)
	if drop != "" {
		drop = " (" + drop + ")"
	}
	return fmt.Sprintf("statement %d (line %d: %s) creates something that already exists: if an earlier failed run of this file left it behind (repair does not undo applied statements), drop it by hand%s or write the statement with IF NOT EXISTS, then run migrate again",
		st.Number, st.Line, st.Text, drop)
}

// firstLineOf returns the first line of a statement's text after its
// leading comments, shortened to 80 characters.
func firstLineOf(head string) string {
	s := skipLeadingComments(head)
	if s == "" {
		s = strings.TrimSpace(head)
	}
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 80 {
		s = string(r[:77]) + "..."
	}
	return s
}

// judgePartials describes every failed non-transactional row of Strata's
// among entries: which statements stayed applied, and whether the file as
// it is now may resume after them.
func (m *run) judgePartials(s Session, t schemas.Target, entries []*Entry, start time.Time) {
	for _, e := range entries {
		r := e.Row
		if r == nil || r.Success || e.State != StateFailed || r.Type != TypeSQL || e.File == nil || !partialRow(e) {
			continue
		}
		e.Partial = m.judgePartial(s, t, e, start)
	}
}

// partialRow reports whether a failed row can be one of Strata's
// statement-by-statement runs: a versioned row with its version key, or
// the row of a repeatable (on MySQL, whose DDL commits on its own, every
// repeatable that recreates a view runs statement by statement).
func partialRow(e *Entry) bool {
	r := e.Row
	if r.Version == "" {
		return e.Category == CategoryRepeatable && r.Checksum != nil
	}
	return r.VersionKey != ""
}

func (m *run) judgePartial(s Session, t schemas.Target, e *Entry, start time.Time) *PartialRun {
	r, f := e.Row, e.File
	p := &PartialRun{Applied: r.Progress, FileChanged: r.Checksum == nil || *r.Checksum != f.Checksum}
	if r.FailedStatement >= 0 {
		p.Failed = r.FailedStatement + 1
	}
	recorded := decodeSums(r.StatementChecksums)
	if p.FileChanged && len(recorded) < p.Applied {
		p.Unverifiable = true
	}
	s.Schema, s.Target = t.Schema, t.Name
	sc, err := m.openScript(s, t, f, start)
	if err != nil {
		p.ReadErr = err
		return p
	}
	defer sc.Close()
	tr := newTracker(f, sc.toSource)
	defer tr.Close()
	sr := m.dialect.Split(sc)
	n := 0
	for {
		st, err := sr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var ue *placeholders.UndefinedError
			if !errors.As(err, &ue) {
				p.ReadErr = err
			}
			n = 0 // count unknown
			break
		}
		ref := tr.add(st, n)
		if p.FileChanged && p.Changed == nil && !p.Unverifiable && n < p.Applied {
			if tr.err != nil {
				p.ReadErr = tr.err
			} else if tr.sums[n] != recorded[n] {
				c := ref
				p.Changed = &c
			}
		}
		n++
	}
	p.Total = n
	if p.FileChanged && p.ReadErr == nil && !p.Unverifiable && p.Changed == nil && n > 0 && n < p.Applied {
		p.Changed = &StatementRef{Number: n + 1, Text: "(no longer in the file)"}
	}
	if n == 0 {
		p.Total = 0
	}
	p.Statements, p.More = tr.shown(min(p.Applied, max(n, len(tr.refs))))
	if shown := len(p.Statements) + p.More; shown < p.Applied {
		p.More += p.Applied - shown
	}
	return p
}
