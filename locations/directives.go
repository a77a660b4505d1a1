package locations

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Directives are per-file settings: a leading comment block
// `-- strata:key=value` (several keys per line allowed, separated by spaces),
// and Flyway's `<script>.sql.conf` next to the file (executeInTransaction,
// placeholderReplacement, encoding (only UTF-8 accepted),
// shouldExecute=true|false). Unknown keys are errors naming the file and line.
//
// The leading comment block is every line from the start of the file that is
// blank or starts with "--"; the first other line ends it. A comment in it that
// starts with "strata:" holds directives: `-- strata:transaction=false
// placeholders=false` and `-- strata:transaction=false strata:placeholders=false`
// mean the same, and spaces around '=' are allowed. Directive keys are transaction and placeholders (true or
// false), lock_timeout and statement_timeout (a number with an optional unit
// us, ms, s, min, h or d, as PostgreSQL reads them, e.g. "5s"; a bare number
// is PostgreSQL's milliseconds), and lint-ignore (rule ids of strata lint,
// comma-separated; it may be given more than once). A setting given both in
// the file and in its .conf file must agree.
type Directives struct {
	Transaction      *bool    // nil: detect; strata:transaction / executeInTransaction
	Placeholders     *bool    // nil: env default; strata:placeholders / placeholderReplacement
	LockTimeout      string   // strata:lock_timeout (raw duration text, e.g. "5s"), "" if unset
	StatementTimeout string   // strata:statement_timeout
	ShouldExecute    *bool    // .sql.conf shouldExecute
	LintIgnore       []string // strata:lint-ignore: rule ids strata lint skips in this file
}

// DirectiveError reports a bad directive in a script's leading comment block
// or in its .conf file.
type DirectiveError struct {
	Path string // Location + "/" + script (or .conf file)
	Line int    // 1-based
	Msg  string
}

// Error returns "path:line: message".
func (e *DirectiveError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
}

// directivePrefix starts a directive comment.
const directivePrefix = "strata:"

// maxHeaderLine is the longest leading comment line that is read whole; longer
// comment lines are skipped, or an error if they hold directives.
const maxHeaderLine = 4096

// spacedEquals matches '=' with the spaces around it.
var spacedEquals = regexp.MustCompile(`\s*=\s*`)

// durationRE matches the accepted timeout values.
var durationRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?(us|ms|s|min|h|d)?$`)

// setting is one parsed directive value with where it came from.
type setting struct {
	key   string // directive key ("transaction", ...)
	value string
	line  int
}

// headerScanner collects directive lines from the leading comment block of a
// script. It is fed the raw bytes in chunks and stops looking once the block
// ends; its memory is bounded by maxHeaderLine.
type headerScanner struct {
	done     bool
	line     []byte
	lineNo   int  // lines completed so far
	long     bool // the current line is longer than maxHeaderLine
	comment  bool // the current line is known to be a comment
	lastCR   bool
	settings []setting
	errs     []lineErr
}

type lineErr struct {
	line int
	msg  string
}

// Write feeds p to the scanner. It never fails.
func (h *headerScanner) Write(p []byte) (int, error) {
	n := len(p)
	for _, b := range p {
		if h.done {
			break
		}
		if h.lastCR {
			h.lastCR = false
			if b == '\n' {
				continue
			}
		}
		switch b {
		case '\r', '\n':
			h.lastCR = b == '\r'
			h.endLine()
			continue
		}
		if len(h.line) < maxHeaderLine {
			h.line = append(h.line, b)
			if !h.comment {
				h.checkStart()
			}
		} else {
			h.long = true
		}
	}
	return n, nil
}

// checkStart ends the scan as soon as the current line cannot be a comment,
// and notes when it is known to be one.
func (h *headerScanner) checkStart() {
	if h.lineNo == 0 && len(h.line) < len(bom) && bytes.HasPrefix([]byte(bom), h.line) {
		return // maybe the start of a byte order mark
	}
	t := bytes.TrimLeft(h.lineText(), " \t\f\v")
	switch {
	case len(t) >= 1 && t[0] != '-', len(t) >= 2 && t[1] != '-':
		h.done = true
	case len(t) >= 2:
		h.comment = true
	}
}

const bom = "\uFEFF"

// lineText returns the current line without a leading BOM on the first line.
func (h *headerScanner) lineText() []byte {
	if h.lineNo == 0 {
		return bytes.TrimPrefix(h.line, []byte(bom))
	}
	return h.line
}

// finish ends the last line at the end of the input.
func (h *headerScanner) finish() {
	if !h.done && (len(h.line) > 0 || h.long) {
		h.endLine()
	}
	h.done = true
}

func (h *headerScanner) endLine() {
	text, long := h.lineText(), h.long
	h.lineNo++
	h.line, h.long, h.comment = h.line[:0], false, false
	t := strings.TrimSpace(string(text))
	if t == "" {
		if long {
			h.done = true // cannot tell what follows the whitespace: stop here
		}
		return
	}
	rest, ok := strings.CutPrefix(t, "--")
	if !ok {
		h.done = true
		return
	}
	rest = strings.TrimSpace(rest)
	rest, ok = strings.CutPrefix(rest, directivePrefix)
	if !ok {
		return
	}
	if long {
		h.errs = append(h.errs, lineErr{h.lineNo, fmt.Sprintf("directive line longer than %d bytes", maxHeaderLine)})
		return
	}
	if !utf8.ValidString(rest) {
		return // reported by the checksum as an encoding error
	}
	fields := strings.Fields(spacedEquals.ReplaceAllString(rest, "="))
	if len(fields) == 0 {
		h.errs = append(h.errs, lineErr{h.lineNo, "empty directive: write key=value after strata:"})
	}
	for _, f := range fields {
		f = strings.TrimPrefix(f, directivePrefix)
		key, value, ok := strings.Cut(f, "=")
		if !ok || key == "" {
			h.errs = append(h.errs, lineErr{h.lineNo, fmt.Sprintf("directive %q is not key=value", f)})
			continue
		}
		if msg := checkDirective(key, value); msg != "" {
			h.errs = append(h.errs, lineErr{h.lineNo, msg})
			continue
		}
		h.settings = append(h.settings, setting{key: key, value: value, line: h.lineNo})
	}
}

// checkDirective returns what is wrong with a directive, or "".
func checkDirective(key, value string) string {
	switch key {
	case "transaction", "placeholders":
		if _, ok := parseBool(value); !ok {
			return fmt.Sprintf("directive %s=%s: value must be true or false", key, value)
		}
	case "lock_timeout", "statement_timeout":
		if _, err := time.ParseDuration(value); err != nil && !durationRE.MatchString(value) {
			return fmt.Sprintf("directive %s=%s: value must be a duration such as 500ms, 5s or 1min (units us, ms, s, min, h, d)", key, value)
		}
	case "lint-ignore":
		if strings.Trim(value, ",") == "" {
			return "directive lint-ignore= names no rule: write lint-ignore=rule-id (strata lint --help lists the rules)"
		}
	default:
		return fmt.Sprintf("unknown directive %q (known: transaction, placeholders, lock_timeout, statement_timeout, lint-ignore)", key)
	}
	return ""
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// ParseDirectives reads the directives of one script: src is its text (or at
// least its leading comment block) and conf the content of its .conf file (nil
// when there is none). path and confPath name them in errors, which are
// *DirectiveError values joined with errors.Join. Collect does the same while
// streaming each file once.
func ParseDirectives(path string, src []byte, confPath string, conf []byte) (Directives, error) {
	var h headerScanner
	h.Write(src)
	h.finish()
	return buildDirectives(path, &h, confPath, conf)
}

// buildDirectives combines the scanned header and the .conf file.
func buildDirectives(path string, h *headerScanner, confPath string, conf []byte) (Directives, error) {
	var d Directives
	var errs []error
	for _, e := range h.errs {
		errs = append(errs, &DirectiveError{Path: path, Line: e.line, Msg: e.msg})
	}
	from := map[string]setting{} // directive key -> where it was set in the script
	for _, s := range h.settings {
		if s.key == "lint-ignore" {
			for _, id := range strings.Split(s.value, ",") {
				if id != "" {
					d.LintIgnore = append(d.LintIgnore, id)
				}
			}
			continue
		}
		if prev, ok := from[s.key]; ok {
			errs = append(errs, &DirectiveError{Path: path, Line: s.line,
				Msg: fmt.Sprintf("directive %s set twice (first on line %d)", s.key, prev.line)})
			continue
		}
		from[s.key] = s
		switch s.key {
		case "transaction":
			d.Transaction = boolPtr(s.value)
		case "placeholders":
			d.Placeholders = boolPtr(s.value)
		case "lock_timeout":
			d.LockTimeout = s.value
		case "statement_timeout":
			d.StatementTimeout = s.value
		}
	}
	if conf != nil {
		errs = append(errs, applyConf(&d, from, path, confPath, conf)...)
	}
	if len(errs) > 0 {
		return Directives{}, joinErrors(errs)
	}
	return d, nil
}

func boolPtr(s string) *bool {
	b, _ := parseBool(s)
	return &b
}

// applyConf reads a Flyway script configuration file (key=value lines, '#' and
// '!' comments) into d.
func applyConf(d *Directives, script map[string]setting, path, confPath string, conf []byte) []error {
	var errs []error
	fail := func(line int, format string, args ...any) {
		errs = append(errs, &DirectiveError{Path: confPath, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	if err := validateUTF8(conf); err != nil {
		fail(err.(*EncodingError).Line, "%v", err)
		return errs
	}
	seen := map[string]int{}
	text := strings.TrimPrefix(string(conf), "\uFEFF")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	for i, raw := range strings.Split(text, "\n") {
		line := i + 1
		t := strings.TrimSpace(raw)
		if t == "" || t[0] == '#' || t[0] == '!' {
			continue
		}
		sep := strings.IndexAny(t, "=:")
		if sep < 0 {
			fail(line, "%q is not key=value", t)
			continue
		}
		key, value := strings.TrimSpace(t[:sep]), strings.TrimSpace(t[sep+1:])
		if prev, ok := seen[key]; ok {
			fail(line, "%s set twice (first on line %d)", key, prev)
			continue
		}
		seen[key] = line
		var target **bool
		var directive string
		switch key {
		case "executeInTransaction":
			target, directive = &d.Transaction, "transaction"
		case "placeholderReplacement":
			target, directive = &d.Placeholders, "placeholders"
		case "shouldExecute":
			target = &d.ShouldExecute
		case "encoding":
			if n := strings.NewReplacer("-", "", "_", "").Replace(strings.ToLower(value)); n != "utf8" {
				fail(line, "encoding %q is not supported: strata reads scripts as UTF-8 only", value)
			}
			continue
		default:
			fail(line, "unknown key %q (known: executeInTransaction, placeholderReplacement, encoding, shouldExecute)", key)
			continue
		}
		b, ok := parseBool(value)
		if !ok {
			if key == "shouldExecute" {
				fail(line, "shouldExecute=%s: only true or false is supported (no expressions)", value)
			} else {
				fail(line, "%s=%s: value must be true or false", key, value)
			}
			continue
		}
		if s, ok := script[directive]; directive != "" && ok && **target != b {
			fail(line, "%s=%s contradicts strata:%s=%s on line %d of %s", key, value, directive, s.value, s.line, path)
			continue
		}
		*target = &b
	}
	return errs
}

// joinErrors joins errs like errors.Join but returns a single error unwrapped.
func joinErrors(errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}
