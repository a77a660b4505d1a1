package locations

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Naming holds Flyway's file naming settings: the prefixes of the four kinds
// of migration files, the separator between version and description, and the
// suffixes of SQL files. The zero value, and any field left empty, means
// Flyway's default (DefaultNaming).
type Naming struct {
	VersionedPrefix  string   // Flyway's sqlMigrationPrefix, default "V"
	UndoPrefix       string   // undoSqlMigrationPrefix, default "U"
	RepeatablePrefix string   // repeatableSqlMigrationPrefix, default "R"
	BaselinePrefix   string   // baselineMigrationPrefix, default "B"
	Separator        string   // sqlMigrationSeparator, default "__"
	Suffixes         []string // sqlMigrationSuffixes, default [".sql"]; the first that a name ends with is removed
}

// DefaultNaming returns Flyway's defaults: V, U, R and B, "__" and ".sql".
func DefaultNaming() Naming {
	return Naming{VersionedPrefix: "V", UndoPrefix: "U", RepeatablePrefix: "R", BaselinePrefix: "B",
		Separator: separator, Suffixes: []string{sqlSuffix}}
}

// WithDefaults returns n with every empty field set to Flyway's default.
func (n Naming) WithDefaults() Naming {
	d := DefaultNaming()
	if n.VersionedPrefix == "" {
		n.VersionedPrefix = d.VersionedPrefix
	}
	if n.UndoPrefix == "" {
		n.UndoPrefix = d.UndoPrefix
	}
	if n.RepeatablePrefix == "" {
		n.RepeatablePrefix = d.RepeatablePrefix
	}
	if n.BaselinePrefix == "" {
		n.BaselinePrefix = d.BaselinePrefix
	}
	if n.Separator == "" {
		n.Separator = d.Separator
	}
	if len(n.Suffixes) == 0 {
		n.Suffixes = d.Suffixes
	} else {
		n.Suffixes = slices.Clone(n.Suffixes)
	}
	return n
}

// isDefault reports whether n means Flyway's defaults.
func (n Naming) isDefault() bool {
	d := DefaultNaming()
	f := n.WithDefaults()
	return f.VersionedPrefix == d.VersionedPrefix && f.UndoPrefix == d.UndoPrefix &&
		f.RepeatablePrefix == d.RepeatablePrefix && f.BaselinePrefix == d.BaselinePrefix &&
		f.Separator == d.Separator && slices.Equal(f.Suffixes, d.Suffixes)
}

// Prefix returns the file name prefix of files of kind k ("" for Callback).
func (n Naming) Prefix(k Kind) string {
	n = n.WithDefaults()
	switch k {
	case Versioned:
		return n.VersionedPrefix
	case Undo:
		return n.UndoPrefix
	case Repeatable:
		return n.RepeatablePrefix
	case Baseline:
		return n.BaselinePrefix
	}
	return ""
}

// FileName returns the name of a file of kind k with the version (empty for
// Repeatable) and raw description (underscores, not spaces), using the
// first suffix: DefaultNaming().FileName(Versioned, "7", "add_users") is
// "V7__add_users.sql".
func (n Naming) FileName(k Kind, version, rawDescription string) string {
	n = n.WithDefaults()
	return n.Prefix(k) + version + n.Separator + rawDescription + n.Suffixes[0]
}

// ErrInvalidNaming is wrapped by the errors of Naming.Validate.
var ErrInvalidNaming = errors.New("invalid migration naming")

// Validate reports settings with which file names could not be told apart:
// an empty separator or suffix, two kinds with one prefix, a prefix that is
// a callback event name, a suffix ending in ".conf" (script configuration),
// a '/' or '\' anywhere, or the same suffix twice (ignoring case). Empty
// prefixes and an empty suffix list mean the defaults and are no error. All
// problems are returned together, each wrapping ErrInvalidNaming.
func (n Naming) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s", ErrInvalidNaming, fmt.Sprintf(format, args...)))
	}
	full := n.WithDefaults()
	prefixes := []struct {
		kind Kind
		p    string
	}{{Versioned, full.VersionedPrefix}, {Undo, full.UndoPrefix}, {Repeatable, full.RepeatablePrefix}, {Baseline, full.BaselinePrefix}}
	for i, a := range prefixes {
		if strings.ContainsAny(a.p, `/\`) {
			bad("the %s prefix %q contains a path separator", a.kind.noun(), a.p)
		}
		if IsEvent(a.p) {
			bad("the %s prefix %q is a callback event name", a.kind.noun(), a.p)
		}
		for _, b := range prefixes[:i] {
			if a.p == b.p {
				bad("the %s prefix and the %s prefix are both %q", b.kind.noun(), a.kind.noun(), a.p)
			}
		}
	}
	if n.Separator != "" && strings.ContainsAny(n.Separator, `/\`) {
		bad("the separator %q contains a path separator", n.Separator)
	}
	// File names must be valid UTF-8 without control characters (names
	// that are not are refused), so no part of a name may be otherwise.
	for _, part := range append([]string{full.VersionedPrefix, full.UndoPrefix, full.RepeatablePrefix, full.BaselinePrefix, full.Separator}, n.Suffixes...) {
		if !utf8.ValidString(part) || strings.IndexFunc(part, unicode.IsControl) >= 0 {
			bad("%q is not valid UTF-8 text without control characters, as file names must be", part)
		}
	}
	seen := map[string]bool{}
	for _, s := range n.Suffixes {
		switch {
		case s == "":
			bad("a suffix is empty")
		case strings.ContainsAny(s, `/\`):
			bad("the suffix %q contains a path separator", s)
		case hasSuffixFold(s, confSuffix):
			bad("the suffix %q ends in %q, which marks script configuration files", s, confSuffix)
		case seen[strings.ToLower(s)]:
			bad("the suffix %q is listed twice", s)
		}
		seen[strings.ToLower(s)] = true
	}
	return errors.Join(errs...)
}

// Parse parses a base file name with these settings; see ParseName, which
// is DefaultNaming().Parse. To parse many names, Collect is cheaper: it
// prepares the settings once.
func (n Naming) Parse(base string) (Name, error) {
	return newNameParser(n).parse(base)
}

// prefixKind is one prefix a name may start with.
type prefixKind struct {
	prefix string
	kind   Kind
	event  string // for Callback
}

// nameParser is a Naming prepared for parsing many names.
type nameParser struct {
	n        Naming
	prefixes []prefixKind // longest first
}

var defaultParser = newNameParser(Naming{})

func newNameParser(n Naming) *nameParser {
	n = n.WithDefaults()
	ps := []prefixKind{
		{prefix: n.VersionedPrefix, kind: Versioned},
		{prefix: n.UndoPrefix, kind: Undo},
		{prefix: n.BaselinePrefix, kind: Baseline},
		{prefix: n.RepeatablePrefix, kind: Repeatable},
	}
	for _, ev := range events {
		ps = append(ps, prefixKind{prefix: ev, kind: Callback, event: ev})
	}
	// Flyway tries the prefixes longest first. Two different prefixes of one
	// length cannot both start a name, so ties need no rule.
	slices.SortStableFunc(ps, func(a, b prefixKind) int { return len(b.prefix) - len(a.prefix) })
	return &nameParser{n: n, prefixes: ps}
}

// suffix returns the first configured suffix that base ends with, ignoring
// ASCII case, as written in the settings.
func (p *nameParser) suffix(base string) (string, bool) {
	for _, s := range p.n.Suffixes {
		if s != "" && hasSuffixFold(base, s) {
			return s, true
		}
	}
	return "", false
}

// isConf reports whether the path p names the script configuration file of
// an SQL script: the script's path followed by ".conf".
func (p *nameParser) isConf(path string) (script string, ok bool) {
	script, ok = strings.CutSuffix(path, confSuffix)
	if !ok {
		return "", false
	}
	_, ok = p.suffix(script)
	return script, ok
}

func (p *nameParser) parse(base string) (Name, error) {
	if hasSuffixFold(base, confSuffix) {
		return Name{}, ErrNotSQL
	}
	suffix, ok := p.suffix(base)
	if !ok {
		return Name{}, ErrNotSQL
	}
	if !utf8.ValidString(base) {
		return Name{}, &NameError{File: base, Reason: "file name is not valid UTF-8"}
	}
	n := p.n
	sep := n.Separator
	stem := base[:len(base)-len(suffix)]
	var pk *prefixKind
	for i := range p.prefixes {
		if strings.HasPrefix(stem, p.prefixes[i].prefix) {
			pk = &p.prefixes[i]
			break
		}
	}
	if pk == nil {
		return Name{}, &NameError{File: base, Reason: "unrecognised migration name format: " +
			"it should start with " + n.VersionedPrefix + ", " + n.UndoPrefix + ", " + n.BaselinePrefix + ", " +
			n.RepeatablePrefix + " or a callback event name and look like this: " +
			n.VersionedPrefix + "1.2" + sep + "desc" + suffix + ", " + n.RepeatablePrefix + sep + "desc" + suffix +
			" or beforeMigrate" + suffix}
	}
	rest := stem[len(pk.prefix):]
	ver, desc, _ := strings.Cut(rest, sep)
	switch pk.kind {
	case Callback:
		if ver != "" {
			return Name{}, &NameError{File: base, Reason: "invalid callback name format: " +
				"nothing may follow the event name but " + sep + " and a description; it should look like this: " +
				pk.event + suffix + " or " + pk.event + sep + "desc" + suffix}
		}
		return Name{Kind: Callback, Event: pk.event, Description: description(desc)}, nil
	case Repeatable:
		shape := pk.prefix + sep + "desc" + suffix
		head := "invalid " + pk.kind.noun() + " name format: "
		switch {
		case rest == "":
			return Name{}, &NameError{File: base, Reason: head + "it should look like this: " + shape}
		case ver != "":
			return Name{}, &NameError{File: base, Reason: head + "it cannot contain a version and should look like this: " + shape}
		}
		return Name{Kind: Repeatable, Description: description(desc)}, nil
	}
	shape := pk.prefix + "1.2" + sep + "desc" + suffix
	head := "invalid " + pk.kind.noun() + " name format: "
	if ver == "" {
		return Name{}, &NameError{File: base, Reason: head + "it must contain a version and should look like this: " + shape}
	}
	v, err := ParseVersion(ver)
	if err != nil {
		return Name{}, &NameError{File: base, Reason: head + "could not recognise version number " +
			strconv.Quote(ver) + "; it should look like this: " + shape}
	}
	return Name{Kind: pk.kind, Version: v, Description: description(desc)}, nil
}
