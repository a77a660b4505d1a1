package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"golang.org/x/term"

	"github.com/stratadb/strata/config"
	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/internal/redact"
)

// writeDiagnostics renders diagnostics with source snippets. With colours
// (a terminal, NO_COLOR unset) the renderer writes escape sequences, so it
// writes to the raw stderr, and every text in the diagnostics that comes
// from outside (file names, messages, source lines) is escaped first.
func (a *app) writeDiagnostics(diags hcl.Diagnostics) {
	color := false
	if f, ok := fileOf(a.stderr); ok && os.Getenv("NO_COLOR") == "" {
		color = term.IsTerminal(int(f.Fd()))
	}
	width := 0
	if f, ok := fileOf(a.stderr); ok {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil {
			width = w
		}
	}
	if width <= 0 {
		width = 100
	}
	// Source lines in snippets: control characters become one byte each
	// (offsets stay right), a space for "\r" (CRLF files), "?" otherwise.
	out := a.stderr
	files := make(map[string]*hcl.File, len(a.hclFiles))
	for name, f := range a.hclFiles {
		if color {
			name = escapeText(name)
		}
		files[name] = &hcl.File{Body: f.Body, Bytes: sanitizeSource(f.Bytes), Nav: f.Nav}
	}
	if color {
		out = rawWriter(a.stderr)
		escaped := make(hcl.Diagnostics, len(diags))
		for i, d := range diags {
			c := *d
			c.Summary, c.Detail = escapeText(c.Summary), escapeText(c.Detail)
			if c.Subject != nil {
				r := *c.Subject
				r.Filename = escapeText(r.Filename)
				c.Subject = &r
			}
			if c.Context != nil {
				r := *c.Context
				r.Filename = escapeText(r.Filename)
				c.Context = &r
			}
			escaped[i] = &c
		}
		diags = escaped
	}
	w := hcl.NewDiagnosticTextWriter(out, files, uint(width), color)
	for _, d := range diags {
		// A file:line:col header first: editors and terminals jump to it,
		// and the snippet below shows the line.
		if d.Subject != nil {
			sev := "error"
			if d.Severity == hcl.DiagWarning {
				sev = "warning"
			}
			fmt.Fprintf(out, "%s:%d:%d: %s: %s\n", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, sev, d.Summary)
		}
		_ = w.WriteDiagnostic(d)
	}
}

// sanitizeSource returns src with the control characters escWriter escapes
// replaced, byte for byte, so that ranges into src stay right.
func sanitizeSource(src []byte) []byte {
	i := bytes.IndexFunc(src, func(r rune) bool { return r < utf8.RuneSelf && isEscaped(byte(r)) })
	if i < 0 {
		return src
	}
	out := bytes.Clone(src)
	for j := i; j < len(out); j++ {
		switch c := out[j]; {
		case c == '\r':
			out[j] = ' '
		case isEscaped(c):
			out[j] = '?'
		}
	}
	return out
}

// escapeText escapes s as escWriter does.
func escapeText(s string) string {
	var b strings.Builder
	_, _ = escWriter{raw: &b}.Write([]byte(s))
	return b.String()
}

// sqlFile adds the lines of a migration file that diagnostics point at
// (each with a line around it) to the diagnostics' file map, so that errors
// in it show a snippet; it returns the name to use in ranges and the text
// registered, whose line numbers are the file's. The file is read once as a
// stream and only those lines are kept (the others become empty lines), so
// an error at the end of a 50 MB file costs one pass and little memory.
func (a *app) sqlFile(path string, lines ...int) (string, []byte) {
	if a.cfg == nil {
		return "", nil
	}
	f, err := os.Open(filepath.FromSlash(path)) // relative to the working directory (see locationName)
	if err != nil {
		return "", nil
	}
	defer f.Close()
	src, err := snippetLines(f, lines)
	if err != nil {
		return "", nil
	}
	if a.hclFiles == nil {
		a.hclFiles = map[string]*hcl.File{}
	}
	a.hclFiles[path] = &hcl.File{Bytes: src}
	return path, src
}

// snippetLineBytes bounds how much of one shown line is kept.
const snippetLineBytes = 4096

// snippetLines reads r up to the last line wanted and returns text with
// the same line numbers in which only the wanted lines (and one line around
// each) keep their content, each cut after snippetLineBytes bytes.
func snippetLines(r io.Reader, lines []int) ([]byte, error) {
	want := map[int]bool{}
	last := 0
	for _, l := range lines {
		for d := -1; d <= 1; d++ {
			want[l+d] = true
		}
		last = max(last, l+1)
	}
	br := bufio.NewReaderSize(r, 64<<10)
	var out []byte
	for n := 1; n <= last; n++ {
		start := len(out)
		ended := false
		for {
			chunk, err := br.ReadSlice('\n')
			if want[n] && len(out)-start < snippetLineBytes {
				out = append(out, chunk[:min(len(chunk), snippetLineBytes-(len(out)-start))]...)
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if err == io.EOF {
				return out, nil
			}
			if err != nil {
				return nil, err
			}
			ended = true
			break
		}
		if ended && (len(out) == start || out[len(out)-1] != '\n') {
			out = append(out, '\n')
		}
	}
	return out, nil
}

// rangeAt returns the range of one character at line and column of src.
// It walks src once, without copying it: an error on the last line of a
// 50 MB file is located as fast as one on the first.
func rangeAt(name string, src []byte, line, col int) *hcl.Range {
	off, l := 0, 1
	for l < line && off < len(src) {
		i := bytes.IndexByte(src[off:], '\n')
		if i < 0 {
			off = len(src)
			break
		}
		off += i + 1
		l++
	}
	// col counts characters, within the line.
	for c := 1; c < col && off < len(src) && src[off] != '\n'; c++ {
		_, size := utf8.DecodeRune(src[off:])
		off += size
	}
	start := hcl.Pos{Line: line, Column: col, Byte: off}
	end := hcl.Pos{Line: line, Column: col + 1, Byte: off + 1}
	if end.Byte > len(src) {
		end = start
	}
	return &hcl.Range{Filename: name, Start: start, End: end}
}

// renderError prints an error in the most helpful form: diagnostics with
// snippets for errors located in a file, plain lines otherwise.
func (a *app) renderError(err error) {
	var ee *exitError
	if errors.As(err, &ee) && ee.err == nil {
		return // already rendered
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		// One pre-flight found problems of several kinds: each in its
		// own form, then one line that nothing ran.
		parts := j.Unwrap()
		if len(parts) > 1 {
			for _, part := range parts {
				a.renderError(part)
			}
			fmt.Fprintf(a.stderr, "error: the checks before migrating found the %d kinds of problem above; nothing was applied\n", len(parts))
			return
		}
		if len(parts) == 1 {
			err = parts[0]
		}
	}
	var me *engine.MigrationError
	var pe *engine.PlaceholderError
	var ce *engine.CallbackError
	switch {
	case errors.As(err, &me) && me.Line > 0:
		a.renderAt(err, "Migration failed", migrationDetail(me), me.Path, me.Line, me.Column)
	case errors.As(err, &ce) && ce.Line > 0:
		a.renderAt(err, "Callback failed", callbackDetail(ce), ce.Path, ce.Line, ce.Column)
	case errors.As(err, &pe):
		var diags hcl.Diagnostics
		at := map[string][]int{} // the lines shown, per file
		for _, it := range pe.Items {
			at[it.Path] = append(at[it.Path], it.Line)
		}
		read := map[string][]byte{} // each file once
		for _, it := range pe.Items {
			src, ok := read[it.Path]
			name := it.Path
			if !ok {
				name, src = a.sqlFile(it.Path, at[it.Path]...)
				read[it.Path] = src
			}
			if src == nil {
				name = ""
			}
			d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Undefined placeholder",
				Detail: fmt.Sprintf("%s uses the placeholder %s (target %s), which has no value. Define it in placeholders { values = { ... } } in strata.hcl, pass --placeholder name=value, or switch replacement off for this file with -- strata:placeholders=false.", it.Path, it.Name, it.Target)}
			if name != "" {
				d.Subject = rangeAt(name, src, it.Line, it.Column)
			}
			diags = append(diags, d)
		}
		a.writeDiagnostics(diags)
		fmt.Fprintf(a.stderr, "error: %d undefined placeholder(s); nothing was applied\n", len(pe.Items))
	default:
		fmt.Fprintf(a.stderr, "error: %s\n", a.shown(err.Error()))
	}
}

// renderAt prints err as a diagnostic placed at line and column of a
// migration or callback file, with a snippet, then the error's own line.
func (a *app) renderAt(err error, summary, detail, path string, line, col int) {
	d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: a.shown(detail)}
	if name, src := a.sqlFile(path, line); name != "" {
		d.Subject = rangeAt(name, src, line, col)
	}
	a.writeDiagnostics(hcl.Diagnostics{d})
	fmt.Fprintf(a.stderr, "error: %s\n", a.shown(err.Error()))
}

func callbackDetail(ce *engine.CallbackError) string {
	var b strings.Builder
	fmt.Fprintf(&b, "The %s callback %s (target %s) failed: %s.", ce.Event, ce.Path, ce.Target, ce.Outcome())
	if ce.Code != "" {
		fmt.Fprintf(&b, " Database error %s.", ce.Code)
	}
	if ce.Detail != "" {
		fmt.Fprintf(&b, " Detail: %s.", ce.Detail)
	}
	if ce.Hint != "" {
		fmt.Fprintf(&b, " Hint: %s.", ce.Hint)
	}
	b.WriteString(" Fix the callback, then run migrate again")
	if len(ce.NotApplied) == 0 {
		b.WriteString(" (with nothing pending it does not run the callbacks again)")
	}
	b.WriteString(".")
	if ce.Statement != "" {
		st := ce.Statement
		if len(st) > 300 {
			st = st[:300] + "..."
		}
		fmt.Fprintf(&b, "\n\nStatement:\n%s", st)
	}
	return b.String()
}

func migrationDetail(me *engine.MigrationError) string {
	var b strings.Builder
	switch {
	case me.OutcomeUnknown:
		fmt.Fprintf(&b, "%s (target %s): outcome unknown. The connection was lost while it ran, after its COMMIT was sent: the server may have committed it with its history row, or rolled both back. Run migrate again: it reads the history and applies the migration only if it is not there.", me.Path, me.Target)
	case me.ConnectionLost && me.Partial == nil:
		fmt.Fprintf(&b, "%s (target %s) was not applied: the connection was lost before its COMMIT was sent. Run migrate again when the database can be reached.", me.Path, me.Target)
	default:
		fmt.Fprintf(&b, "%s (target %s) failed", me.Path, me.Target)
		switch {
		case me.RolledBack:
			b.WriteString("; its changes were rolled back and no history row was written")
		case me.Partial != nil:
			fmt.Fprintf(&b, "; it runs statement by statement, so the statements before the failed one are not rolled back: %s", me.Partial.Summary())
		}
		b.WriteString(".")
	}
	if me.Code != "" {
		fmt.Fprintf(&b, " Database error %s.", me.Code)
	}
	if me.Detail != "" {
		fmt.Fprintf(&b, " Detail: %s.", me.Detail)
	}
	if me.Hint != "" {
		fmt.Fprintf(&b, " Hint: %s.", me.Hint)
	}
	if me.Statement != "" {
		st := me.Statement
		if len(st) > 300 {
			st = st[:300] + "..."
		}
		fmt.Fprintf(&b, "\n\nStatement:\n%s", st)
	}
	return b.String()
}

// shown is s as the user sees it: secrets masked (see redact), and the
// engine's advice in the CLI's words (see cliWords).
func (a *app) shown(s string) string {
	return cliWords(a.redact(s))
}

// redact masks the secrets in s: passwords of URLs written in it (see
// redactAll), and every known secret (see masker): each piece of the
// env's URL password and secret parameters, and the sensitive values of the
// configuration (values from env() and file(), sensitive variables), which
// reach messages through a failing statement's text or a driver's error.
func (a *app) redact(s string) string {
	return a.masker().String(redactAll(s))
}

// secrets returns what must never be shown: every fragment of the
// secrets of the --url flag (or STRATA_URL, DATABASE_URL) and of the env's
// URL (config.URLSecrets), and the sensitive placeholder values. A URL
// read with env() is shown with its secrets masked, host and database
// included, as any other URL.
func (a *app) secrets() []string {
	out := append([]string(nil), a.pastSecrets...)
	if a.url != "" {
		out = append(out, config.URLSecrets(a.url)...)
	}
	if a.src.url != "" {
		out = append(out, config.URLSecrets(a.src.url)...)
	}
	if a.cfg == nil || a.cfg.Env == nil {
		return out
	}
	env := a.cfg.Env
	out = append(out, config.URLSecrets(env.URL.Text)...)
	for _, inst := range env.Instances {
		out = append(out, config.URLSecrets(inst.URL.Text)...)
	}
	if env.Registry != nil {
		out = append(out, config.URLSecrets(env.Registry.URL.Text)...)
	}
	for _, v := range env.Placeholders.Values {
		if v.Sensitive {
			out = append(out, v.Text)
		}
	}
	return out
}

// masker masks a.secrets(); it is made again once the configuration is
// loaded.
func (a *app) masker() *redact.Masker {
	loaded := a.cfg != nil
	if a.mask == nil || a.maskLoaded != loaded {
		a.mask, a.maskLoaded = redact.New(a.secrets()...), loaded
	}
	return a.mask
}

// redactAll masks passwords of URLs that may appear in a message: every
// word with "://", without the quotes and punctuation around it.
func redactAll(s string) string {
	fields := strings.Fields(s)
	for _, f := range fields {
		f = strings.TrimRight(strings.TrimLeft(f, "(`'\"<"), ":;,.)`'\">")
		if strings.Contains(f, "://") {
			s = strings.ReplaceAll(s, f, config.RedactURL(f))
		}
	}
	return s
}

// writeJSON prints v as indented JSON.
func (a *app) writeJSON(v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := a.stdout.Write(a.masker().JSON(b.Bytes()))
	return err
}

// interruptedNote is the line after an interrupted run: what happened to
// the migration that was running, "rolled back" only when it was.
//
// applied is how many migrations the run applied, when known (migrate
// knows; the other commands pass known false).
func interruptedNote(err error, applied int, known bool) string {
	var me *engine.MigrationError
	if !errors.As(err, &me) {
		switch {
		case known && applied == 0:
			return "interrupted before any migration ran: nothing was applied; run the same command again to start"
		case known:
			return fmt.Sprintf("interrupted between migrations: the %d applied are kept and none was left half-done; run the same command again to finish", applied)
		}
		return "interrupted: no migration was running, so nothing was left half-done; what ran before is kept; run the same command again to finish"
	}
	if me.Partial != nil {
		p := me.Partial
		if p.Applied == 0 {
			return fmt.Sprintf("interrupted: %s runs statement by statement and none of its statements stayed applied; migrations applied before it are kept; run the same command again to finish", me.Path)
		}
		return fmt.Sprintf("interrupted: %s runs statement by statement: %s of it stayed applied (not rolled back); migrations applied before it are kept; run the same command again to resume at statement %d",
			me.Path, p.Range(), p.Applied+1)
	}
	return "interrupted: the migration that was running was rolled back; those already applied are kept; run the same command again to finish"
}
