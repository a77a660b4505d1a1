package locations

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// File is one migration or callback file found by Collect.
type File struct {
	Name                  // embedded
	Script     string     // path relative to its root, '/' separators (Flyway's `script` column)
	Location   string     // Root.Name of the root it came from
	Override   bool       // came from an overrides root
	Checksum   int32      // Flyway checksum of the raw text
	Size       int64      // size of the raw file in bytes
	Directives Directives // leading comment directives and .conf settings
	Replaced   []*File    // files of earlier roots that this override replaced, oldest first

	fsys fs.FS
	path string // path in fsys
	conf string // path of the .conf file in fsys, "" if none
	root int    // index of the root in Collect's roots
}

// Path returns Location + "/" + Script, for messages.
func (f *File) Path() string { return displayPath(f.Location, f.Script) }

// displayPath joins a location name and a path in it for messages.
func displayPath(location, p string) string {
	if location == "" {
		return p
	}
	return strings.TrimSuffix(location, "/") + "/" + p
}

// Open opens the file and returns its raw bytes as stored.
func (f *File) Open() (io.ReadCloser, error) {
	if f.fsys == nil {
		return nil, fmt.Errorf("open %s: file was not found by Collect", f.Path())
	}
	r, err := f.fsys.Open(f.path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", f.Path(), err)
	}
	return r, nil
}

// ReadText returns the whole text of the file: strict UTF-8 (an
// *EncodingError otherwise), with one leading byte order mark removed.
func (f *File) ReadText() (string, error) {
	if f.fsys == nil {
		return "", fmt.Errorf("read %s: file was not found by Collect", f.Path())
	}
	b, err := fs.ReadFile(f.fsys, f.path)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", f.Path(), err)
	}
	if err := validateUTF8(b); err != nil {
		return "", fmt.Errorf("read %s: %w", f.Path(), err)
	}
	return strings.TrimPrefix(string(b), bom), nil
}

// Root is one location to collect files from.
type Root struct {
	Name     string // shown in messages, e.g. "migrations/common"
	FS       fs.FS
	Override bool // files replace files with the same version (or description) from earlier roots
}

// Options change how Collect treats what it finds.
type Options struct {
	ValidateNaming bool   // badly named .sql files are an error (*NamingError), not a warning
	Naming         Naming // prefixes, separator and suffixes of file names; the zero value is Flyway's default
}

// Warning is something Collect skipped or found odd.
type Warning struct {
	Path    string // Location + "/" + path
	Message string
}

// String returns "path: message".
func (w Warning) String() string { return w.Path + ": " + w.Message }

// Set is the merged, ordered result of Collect.
type Set struct {
	Versioned  []*File   // by version
	Undo       []*File   // by version
	Baseline   []*File   // by version
	Repeatable []*File   // by description (Go string order)
	Callbacks  []*File   // by event, then description (empty first)
	Warnings   []Warning // badly named .sql files skipped, etc.
}

// DuplicateError reports files that claim the same version (per kind), the
// same repeatable description or the same callback.
type DuplicateError struct {
	Kind  Kind
	Key   string  // canonical version text, description, or event[__description] for callbacks
	Files []*File // every file involved, in root and path order
}

// Error names the clash and every file involved.
func (e *DuplicateError) Error() string {
	var b strings.Builder
	switch e.Kind {
	case Versioned:
		fmt.Fprintf(&b, "found more than one migration with version %s", e.Key)
	case Undo, Baseline:
		fmt.Fprintf(&b, "found more than one %s with version %s", e.Kind.noun(), e.Key)
	case Repeatable:
		fmt.Fprintf(&b, "found more than one repeatable migration with description %q", e.Key)
	case Callback:
		if len(e.Files) > 0 && e.Files[0].Description != "" {
			fmt.Fprintf(&b, "found more than one callback script for %s with description %q", e.Files[0].Event, e.Files[0].Description)
		} else {
			fmt.Fprintf(&b, "found more than one callback script for %s", e.Key)
		}
	default:
		fmt.Fprintf(&b, "found more than one %s for %s", e.Kind.noun(), e.Key)
	}
	b.WriteString(":")
	for _, f := range e.Files {
		b.WriteString("\n  -> ")
		b.WriteString(f.Path())
	}
	return b.String()
}

// NamingError lists every badly named .sql file when Options.ValidateNaming
// is set.
type NamingError struct{ Problems []Warning }

// Error lists every problem.
func (e *NamingError) Error() string {
	var b strings.Builder
	b.WriteString("invalid sql file names found:")
	for _, p := range e.Problems {
		b.WriteString("\n  -> ")
		b.WriteString(p.String())
	}
	return b.String()
}

// UndoOverrideError reports an override of a versioned migration whose undo
// migration is left as it was: an override of V7 must override U7 too when U7
// exists.
type UndoOverrideError struct {
	Override *File // the overriding versioned file
	Undo     *File // the undo file of the same version from an earlier root

	undoName string // the name the missing undo override would have
}

// Error names both files.
func (e *UndoOverrideError) Error() string {
	name := e.undoName
	if name == "" {
		name = DefaultNaming().FileName(Undo, e.Override.Version.String(), "<description>")
	}
	return fmt.Sprintf("override %s replaces version %s, but the undo migration %s is not overridden: "+
		"add %s to %s too",
		e.Override.Path(), e.Override.Version.Canonical(), e.Undo.Path(), name, e.Override.Location)
}

// Collect walks each root recursively (hidden directories skipped, sorted path
// order), parses names, reads directives, computes checksums, and merges roots
// in order. Errors: *DuplicateError per clash (joined with errors.Join),
// *NamingError when opts.ValidateNaming and some names are bad.
//
// Merging: a version (per kind: V, U and B separately), a repeatable
// description or a callback (event and description) may come from one file
// only; two files in ordinary roots, or two in one root, are a
// *DuplicateError. A file of an Override root replaces the file with the same
// key from earlier roots (listed in its Replaced); an override that replaces
// an earlier versioned file while an earlier root's undo file of that version
// stays is an *UndoOverrideError. These checks come first, and all their
// errors are returned together before any file is read. Then every file is
// read once for its checksum and directives; encoding errors
// (*EncodingError) and directive errors (*DirectiveError) of all files are
// returned together.
//
// opts.Naming sets the prefixes, separator and suffixes of file names
// (Flyway's sqlMigrationPrefix and related settings); an invalid Naming is an
// error wrapping ErrInvalidNaming, before any root is read.
//
// On error the Set is nil. Files are read concurrently, so each root's FS
// must be safe for concurrent use (os.DirFS, embed.FS and fstest.MapFS are).
func Collect(roots []Root, opts Options) (*Set, error) {
	if err := opts.Naming.Validate(); err != nil {
		return nil, err
	}
	parser := defaultParser
	if !opts.Naming.isDefault() {
		parser = newNameParser(opts.Naming)
	}
	set := &Set{}
	var files []*File
	var problems []Warning
	for i, root := range roots {
		found, warnings, bad, err := walkRoot(i, root, parser)
		if err != nil {
			return nil, err
		}
		files = append(files, found...)
		set.Warnings = append(set.Warnings, warnings...)
		problems = append(problems, bad...)
	}

	var errs []error
	winners, all, mergeWarnings, mergeErrs := merge(roots, files, parser.n)
	problems = append(problems, orphanUndos(winners, parser.n)...)
	if opts.ValidateNaming && len(problems) > 0 {
		errs = append(errs, &NamingError{Problems: problems})
	} else {
		set.Warnings = append(set.Warnings, problems...)
	}
	errs = append(errs, mergeErrs...)
	set.Warnings = append(set.Warnings, mergeWarnings...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	if err := loadAll(all); err != nil {
		return nil, err
	}
	for _, f := range winners {
		switch f.Kind {
		case Versioned:
			set.Versioned = append(set.Versioned, f)
		case Undo:
			set.Undo = append(set.Undo, f)
		case Baseline:
			set.Baseline = append(set.Baseline, f)
		case Repeatable:
			set.Repeatable = append(set.Repeatable, f)
		case Callback:
			set.Callbacks = append(set.Callbacks, f)
		}
	}
	byVersion := func(a, b *File) int { return a.Version.Compare(b.Version) }
	slices.SortFunc(set.Versioned, byVersion)
	slices.SortFunc(set.Undo, byVersion)
	slices.SortFunc(set.Baseline, byVersion)
	slices.SortFunc(set.Repeatable, func(a, b *File) int { return strings.Compare(a.Description, b.Description) })
	slices.SortFunc(set.Callbacks, func(a, b *File) int {
		return cmp.Or(strings.Compare(a.Event, b.Event), strings.Compare(a.Description, b.Description))
	})
	return set, nil
}

// walkRoot finds the migration files of one root. It returns the files in
// walk order, warnings, and naming problems.
func walkRoot(index int, root Root, parser *nameParser) (files []*File, warnings, bad []Warning, err error) {
	if root.FS == nil {
		return nil, nil, nil, fmt.Errorf("walk location %s: no file system", root.Name)
	}
	display := func(p string) string { return displayPath(root.Name, p) }
	seen := map[string]bool{}    // every file path
	confs := map[string]string{} // script path -> .conf path
	var confOrder []string
	err = fs.WalkDir(root.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != "." && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		seen[p] = true
		base := d.Name()
		if script, ok := parser.isConf(p); ok {
			confs[script] = p
			confOrder = append(confOrder, script)
			return nil
		}
		name, err := parser.parse(base)
		if errors.Is(err, ErrNotSQL) {
			return nil
		}
		if ne, ok := err.(*NameError); ok {
			bad = append(bad, Warning{Path: display(p), Message: ne.Reason})
			return nil
		}
		if err != nil {
			return err
		}
		files = append(files, &File{
			Name:     name,
			Script:   p,
			Location: root.Name,
			Override: root.Override,
			fsys:     root.FS,
			path:     p,
			root:     index,
		})
		return nil
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("walk location %s: %w", root.Name, err)
	}
	for _, f := range files {
		f.conf = confs[f.path]
	}
	for _, script := range confOrder {
		if !seen[script] {
			warnings = append(warnings, Warning{Path: display(confs[script]),
				Message: "script configuration file without a script: " + script + " does not exist"})
		}
	}
	return files, warnings, bad, nil
}

// mergeKey identifies what a file provides.
type mergeKey struct {
	kind Kind
	key  string
}

func keyOf(f *File) mergeKey {
	switch {
	case f.Kind.versioned():
		return mergeKey{f.Kind, f.Version.Canonical()}
	case f.Kind == Callback:
		if f.Description == "" {
			return mergeKey{f.Kind, f.Event}
		}
		return mergeKey{f.Kind, f.Event + separator + f.Description}
	}
	return mergeKey{f.Kind, f.Description}
}

// merge applies the override rules to files (in root order). It returns the
// winning file of each key, every file that took part, warnings, and errors.
func merge(roots []Root, files []*File, naming Naming) (winners, all []*File, warnings []Warning, errs []error) {
	groups := map[mergeKey][]*File{}
	var keys []mergeKey
	for _, f := range files {
		k := keyOf(f)
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], f)
	}
	slices.SortStableFunc(keys, func(a, b mergeKey) int {
		if c := cmp.Compare(a.kind, b.kind); c != 0 {
			return c
		}
		if a.kind.versioned() {
			return groups[a][0].Version.Compare(groups[b][0].Version)
		}
		return strings.Compare(a.key, b.key)
	})

	won := map[mergeKey]*File{}
	for _, k := range keys {
		group := groups[k]
		var live []*File // files currently providing k
		clashing := map[*File]bool{}
		for i := 0; i < len(group); {
			j := i
			for j < len(group) && group[j].root == group[i].root {
				j++
			}
			chunk := group[i:j] // the files of one root
			i = j
			if len(chunk) > 1 {
				for _, f := range chunk {
					clashing[f] = true
				}
			}
			if !roots[chunk[0].root].Override {
				if len(live) > 0 {
					for _, f := range append(live, chunk...) {
						clashing[f] = true
					}
				}
				live = append(live, chunk...)
				continue
			}
			if len(live) == 0 {
				warnings = append(warnings, Warning{Path: chunk[0].Path(),
					Message: "override replaces no file of an earlier location"})
			}
			for _, f := range chunk {
				for _, old := range live {
					f.Replaced = append(f.Replaced, old.Replaced...)
					f.Replaced = append(f.Replaced, old)
				}
			}
			live = slices.Clone(chunk)
		}
		if len(clashing) > 0 {
			var involved []*File
			for _, f := range group {
				if clashing[f] {
					involved = append(involved, f)
				}
			}
			errs = append(errs, &DuplicateError{Kind: k.kind, Key: k.key, Files: involved})
			continue
		}
		won[k] = live[0]
		winners = append(winners, live[0])
	}
	if len(errs) > 0 {
		return nil, nil, nil, errs
	}
	for _, f := range winners {
		if f.Kind != Versioned || !f.Override || len(f.Replaced) == 0 {
			continue
		}
		u := won[mergeKey{Undo, f.Version.Canonical()}]
		if u != nil && u.root < f.root {
			errs = append(errs, &UndoOverrideError{Override: f, Undo: u,
				undoName: naming.FileName(Undo, f.Version.String(), "<description>")})
		}
	}
	if len(errs) > 0 {
		return nil, nil, nil, errs
	}
	for _, f := range winners {
		all = append(all, f.Replaced...)
		all = append(all, f)
	}
	return winners, all, warnings, nil
}

// orphanUndos returns a problem for every undo file whose version has no
// versioned (or baseline) migration: it could never run, since undo only
// reverts an applied migration of its version. Flyway lists it as
// Available and says nothing; Strata warns, and refuses it with
// validate_naming.
func orphanUndos(winners []*File, naming Naming) []Warning {
	have := map[string]bool{}
	for _, f := range winners {
		if f.Kind == Versioned || f.Kind == Baseline {
			have[f.Version.Canonical()] = true
		}
	}
	var out []Warning
	for _, f := range winners {
		if f.Kind == Undo && !have[f.Version.Canonical()] {
			out = append(out, Warning{Path: f.Path(), Message: fmt.Sprintf("undo migration without a versioned migration of version %s (%s): it can never run; add the versioned file or remove this one",
				f.Version, naming.FileName(Versioned, f.Version.String(), "<description>"))})
		}
	}
	return out
}

// loadAll reads every file once, concurrently, and returns all errors joined
// in file order.
func loadAll(files []*File) error {
	errs := make([]error, len(files))
	workers := min(runtime.GOMAXPROCS(0), 8, len(files))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			buf := make([]byte, 32<<10)
			for i := range next {
				errs[i] = files[i].load(buf)
			}
		})
	}
	for i := range files {
		next <- i
	}
	close(next)
	wg.Wait()
	return errors.Join(errs...)
}

// positioned completes an *EncodingError with the file, line and column of
// its offset (reading the file again up to there); other errors are wrapped
// with the file.
func (f *File) positioned(err error) error {
	e, ok := err.(*EncodingError)
	if !ok {
		return fmt.Errorf("checksum %s: %w", f.Path(), err)
	}
	e.Path = f.Path()
	if r, oerr := f.fsys.Open(f.path); oerr == nil {
		e.Line, e.Column = lineColumn(io.LimitReader(r, e.Offset))
		r.Close()
	}
	return e
}

// lineColumn returns the 1-based line and column (in characters, a byte
// that starts no UTF-8 sequence counting as one) just after what r yields.
// Lines end at "\n", "\r" or "\r\n", as the checksum counts them.
func lineColumn(r io.Reader) (line, col int) {
	line, col = 1, 1
	var buf [32 << 10]byte
	var prev byte
	for {
		n, err := r.Read(buf[:])
		for _, c := range buf[:n] {
			switch {
			case c == '\n':
				if prev != '\r' {
					line++
				}
				col = 1
			case c == '\r':
				line++
				col = 1
			case c&0xC0 != 0x80 || prev < 0x80: // a character starts (or a stray continuation byte)
				col++
			}
			prev = c
		}
		if err != nil {
			return line, col
		}
	}
}

// maxConfSize bounds the size of a .conf file.
const maxConfSize = 1 << 20

// load reads the file once: size, checksum and leading directives, then its
// .conf file.
func (f *File) load(buf []byte) error {
	r, err := f.fsys.Open(f.path)
	if err != nil {
		return fmt.Errorf("read %s: %w", f.Path(), err)
	}
	defer r.Close()
	var c checksummer
	var h headerScanner
	var size int64
	for {
		n, err := r.Read(buf)
		if n > 0 {
			nul := bytes.IndexByte(buf[:n], 0)
			_, werr := c.Write(buf[:n])
			var ee *EncodingError
			if nul >= 0 && (werr == nil || errors.As(werr, &ee) && ee.Offset > size+int64(nul)) {
				return f.positioned(&EncodingError{Offset: size + int64(nul), NUL: true}) // the first bad byte
			}
			if werr != nil {
				return f.positioned(werr)
			}
			size += int64(n)
			if !h.done {
				h.Write(buf[:n])
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", f.Path(), err)
		}
	}
	sum, err := c.Sum()
	if err != nil {
		return f.positioned(err)
	}
	h.finish()
	var conf []byte
	confPath := ""
	if f.conf != "" {
		confPath = displayPath(f.Location, f.conf)
		conf, err = readLimited(f.fsys, f.conf, maxConfSize)
		if err != nil {
			return fmt.Errorf("read %s: %w", confPath, err)
		}
	}
	d, err := buildDirectives(f.Path(), &h, confPath, conf)
	if err != nil {
		return err
	}
	f.Checksum, f.Size, f.Directives = sum, size, d
	return nil
}

func readLimited(fsys fs.FS, name string, limit int64) ([]byte, error) {
	r, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("file is larger than %d bytes", limit)
	}
	if b == nil {
		b = []byte{}
	}
	return b, nil
}
