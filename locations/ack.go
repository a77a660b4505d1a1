package locations

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// SumFile is the name of the file that acknowledges the migrations of a
// location: one line per file (its path in the location and its Flyway
// checksum), then a hash of those lines. `strata ack` writes it; migrate
// and validate compare the files with it before anything runs.
const SumFile = "strata.sum"

// SumEntry is one acknowledged file: its path in the location (Flyway's
// script) and its checksum.
type SumEntry struct {
	Script   string
	Checksum int32
}

// Sum is the acknowledged content of one location, sorted by script.
type Sum struct {
	Entries []SumEntry
}

// LocationSum is the Sum of the files the set holds from the location
// named location (a Root.Name): the files that won the merge and those an
// override replaced, every kind (versioned, undo, baseline, repeatable,
// callbacks). Badly named files, which Collect skips, are not in it.
func (s *Set) LocationSum(location string) Sum {
	var out Sum
	seen := map[string]bool{}
	add := func(f *File) {
		if f.Location == location && !seen[f.Script] {
			seen[f.Script] = true
			out.Entries = append(out.Entries, SumEntry{Script: f.Script, Checksum: f.Checksum})
		}
	}
	for _, list := range [][]*File{s.Versioned, s.Undo, s.Baseline, s.Repeatable, s.Callbacks} {
		for _, f := range list {
			add(f)
			for _, r := range f.Replaced {
				add(r)
			}
		}
	}
	slices.SortFunc(out.Entries, func(a, b SumEntry) int { return strings.Compare(a.Script, b.Script) })
	return out
}

// hash is the hash of the entries' lines: "sha256:" and the hex digest.
func (s Sum) hash() string {
	h := sha256.New()
	for _, e := range s.Entries {
		h.Write([]byte(sumLine(e)))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// sumLine is one entry's line: the script (quoted when it holds spaces
// at its ends, a quote or a control character) and the checksum.
func sumLine(e SumEntry) string {
	script := e.Script
	if strings.TrimSpace(script) != script || strings.HasPrefix(script, `"`) || strings.IndexFunc(script, unicode.IsControl) >= 0 {
		script = strconv.Quote(script)
	}
	return script + " " + strconv.FormatInt(int64(e.Checksum), 10) + "\n"
}

// Format is the text of a strata.sum file.
func (s Sum) Format() []byte {
	var b bytes.Buffer
	b.WriteString("# strata.sum: the migrations of this folder acknowledged by strata ack (path, Flyway checksum),\n")
	b.WriteString("# then a hash of those lines. Do not edit it: after a merge conflict here, review the files\n")
	b.WriteString("# and run strata ack, which writes it again from the files.\n")
	for _, e := range s.Entries {
		b.WriteString(sumLine(e))
	}
	b.WriteString(s.hash() + "\n")
	return b.Bytes()
}

// SumError reports a strata.sum that cannot be trusted: merge conflict
// markers, a line that is not "path checksum", or a hash that does not
// match its lines (it was edited by hand).
type SumError struct {
	Path   string // the strata.sum file, as shown
	Line   int    // 1-based; 0 when the problem is the whole file
	Reason string
}

func (e *SumError) Error() string {
	at := e.Path
	if e.Line > 0 {
		at += ":" + strconv.Itoa(e.Line)
	}
	return fmt.Sprintf("%s: %s: review the migration files, then run strata ack, which writes %s again from them", at, e.Reason, SumFile)
}

// ParseSum reads the text of a strata.sum; path names it in errors. A file
// with merge conflict markers, a malformed line or a hash that does not
// match its lines is a *SumError.
func ParseSum(path string, text []byte) (Sum, error) {
	var out Sum
	var total string
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSuffix(sc.Text(), "\r")
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
			continue
		case strings.HasPrefix(line, "<<<<<<<"), strings.HasPrefix(line, "======="), strings.HasPrefix(line, ">>>>>>>"):
			return Sum{}, &SumError{Path: path, Line: n, Reason: "it has merge conflict markers (two branches acknowledged different files)"}
		case total != "":
			return Sum{}, &SumError{Path: path, Line: n, Reason: "a line after the hash line"}
		case strings.HasPrefix(line, "sha256:"):
			total = line
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			return Sum{}, &SumError{Path: path, Line: n, Reason: fmt.Sprintf("%q is not a line of the form \"path checksum\"", line)}
		}
		script := line[:i]
		if strings.HasPrefix(script, `"`) {
			s, err := strconv.Unquote(script)
			if err != nil {
				return Sum{}, &SumError{Path: path, Line: n, Reason: fmt.Sprintf("%s is not a quoted path", script)}
			}
			script = s
		}
		c, err := strconv.ParseInt(line[i+1:], 10, 32)
		if err != nil {
			return Sum{}, &SumError{Path: path, Line: n, Reason: fmt.Sprintf("%q is not a checksum", line[i+1:])}
		}
		out.Entries = append(out.Entries, SumEntry{Script: script, Checksum: int32(c)})
	}
	if err := sc.Err(); err != nil {
		return Sum{}, &SumError{Path: path, Reason: err.Error()}
	}
	switch {
	case total == "":
		return Sum{}, &SumError{Path: path, Reason: "it has no hash line (sha256:...)"}
	case total != out.hash():
		return Sum{}, &SumError{Path: path, Reason: "its hash does not match its lines, so it was edited by hand or merged line by line"}
	}
	slices.SortFunc(out.Entries, func(a, b SumEntry) int { return strings.Compare(a.Script, b.Script) })
	return out, nil
}

// Change kinds of an AckChange.
const (
	AckAdded   = "added"
	AckEdited  = "edited"
	AckRemoved = "removed"
)

// AckChange is a file that differs from its location's strata.sum.
type AckChange struct {
	Location string // Root.Name
	Script   string
	Kind     string // AckAdded, AckEdited or AckRemoved
	// Acknowledged and Now are the checksums in strata.sum and of the file
	// (for an edited file).
	Acknowledged, Now int32
}

// Path is the file as messages show it: location/script.
func (c AckChange) Path() string { return displayPath(c.Location, c.Script) }

// CompareSums lists the files of location whose checksum in current
// differs from acknowledged, in script order: added, edited, removed.
func CompareSums(location string, acknowledged, current Sum) []AckChange {
	old := map[string]int32{}
	for _, e := range acknowledged.Entries {
		old[e.Script] = e.Checksum
	}
	var out []AckChange
	for _, e := range current.Entries {
		c, ok := old[e.Script]
		switch {
		case !ok:
			out = append(out, AckChange{Location: location, Script: e.Script, Kind: AckAdded, Now: e.Checksum})
		case c != e.Checksum:
			out = append(out, AckChange{Location: location, Script: e.Script, Kind: AckEdited, Acknowledged: c, Now: e.Checksum})
		}
		delete(old, e.Script)
	}
	for _, e := range acknowledged.Entries {
		if c, ok := old[e.Script]; ok {
			out = append(out, AckChange{Location: location, Script: e.Script, Kind: AckRemoved, Acknowledged: c})
		}
	}
	slices.SortStableFunc(out, func(a, b AckChange) int { return strings.Compare(a.Script, b.Script) })
	return out
}

// AckError refuses migration files that were added, edited or removed
// since the last `strata ack`: every one is named, before anything runs.
type AckError struct {
	Changes []AckChange
}

func (e *AckError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d migration file%s changed since the last strata ack, so nothing was run:", len(e.Changes), plural(len(e.Changes)))
	for _, c := range e.Changes {
		fmt.Fprintf(&b, "\n  %-8s %s", c.Kind+":", c.Path())
		if c.Kind == AckEdited {
			fmt.Fprintf(&b, " (checksum %d acknowledged, now %d)", c.Acknowledged, c.Now)
		}
	}
	b.WriteString("\nreview them, then run strata ack to acknowledge them (for local work, --allow-unacknowledged runs them without an ack)")
	return b.String()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
