package placeholders

import "strings"

// Expansion is the result of Expand.
type Expansion struct {
	Text string   // the text after replacement
	Used []string // names of the replaced placeholders, lower-cased, in order of first use

	segs   segments
	srcLen int
}

// SourceOffset maps a byte offset in x.Text back to the byte offset in the
// source: inside a replaced value it gives the offset of the placeholder's
// prefix, elsewhere the offset of the same byte in the source. Offsets at or
// past len(x.Text) give the length of the source; negative offsets count as
// 0. It takes O(log n) time for n replaced placeholders.
func (x *Expansion) SourceOffset(out int) int {
	if out >= len(x.Text) {
		return x.srcLen
	}
	out = max(out, 0)
	return int(x.segs.sourceOffset(int64(out)))
}

// Expand replaces every placeholder in src whose name lookup defines (lookup
// is called with the lower-cased name; nil defines nothing). See the package
// documentation for the rules. When some placeholders are undefined, Expand
// returns an *UndefinedError listing all of them together with the Expansion,
// in which they are left unchanged.
func Expand(src string, syn Syntax, lookup Lookup) (*Expansion, error) {
	m := newMatcher(syn)
	x := &Expansion{srcLen: len(src)}
	var (
		sb      strings.Builder
		copied  int // src[:copied] has been written to sb
		undef   []Undefined
		pos     = startPosition()
		posAt   int // pos is the position of src[posAt]
		usedSet map[string]bool
	)
	for i := 0; i < len(src); {
		t := next(m, src[i:], true)
		if t.kind != tokPlaceholder {
			i += t.n
			continue
		}
		name := src[i+t.nameStart : i+t.nameEnd]
		lower := strings.ToLower(name)
		var (
			val string
			ok  bool
		)
		if lookup != nil {
			val, ok = lookup(lower)
		}
		if !ok {
			advance(&pos, src[posAt:i])
			posAt = i
			undef = append(undef, Undefined{Name: name, Offset: i, Line: pos.line, Column: pos.col})
			i += t.n
			continue
		}
		if x.segs.n == 0 {
			sb.Grow(len(src))
		}
		sb.WriteString(src[copied:i])
		x.segs.add(int64(i), int64(t.n), int64(sb.Len()), int64(len(val)))
		sb.WriteString(val)
		if !usedSet[lower] {
			if usedSet == nil {
				usedSet = map[string]bool{}
			}
			usedSet[lower] = true
			x.Used = append(x.Used, lower)
		}
		i += t.n
		copied = i
	}
	if x.segs.n == 0 {
		x.Text = src
	} else {
		sb.WriteString(src[copied:])
		x.Text = sb.String()
	}
	if len(undef) > 0 {
		return x, &UndefinedError{Items: undef, Syntax: syn}
	}
	return x, nil
}

// Ref is a placeholder reference found by Scan.
type Ref struct {
	Name   string // as written in the source
	Offset int    // byte offset of the prefix
	Len    int    // byte length of prefix, name and suffix
	Line   int    // 1-based
	Column int    // 1-based, in characters
}

// Scan lists the placeholders of src in source order, without needing values.
// It finds exactly the placeholders Expand would replace or report.
func Scan(src string, syn Syntax) []Ref {
	m := newMatcher(syn)
	var (
		refs  []Ref
		pos   = startPosition()
		posAt int
	)
	for i := 0; i < len(src); {
		t := next(m, src[i:], true)
		if t.kind == tokPlaceholder {
			advance(&pos, src[posAt:i])
			posAt = i
			refs = append(refs, Ref{
				Name:   src[i+t.nameStart : i+t.nameEnd],
				Offset: i,
				Len:    t.n,
				Line:   pos.line,
				Column: pos.col,
			})
		}
		i += t.n
	}
	return refs
}

// Check returns an *UndefinedError listing every placeholder of src that
// lookup does not define, or nil. It is Expand without building the text.
func Check(src string, syn Syntax, lookup Lookup) error {
	var undef []Undefined
	for _, r := range Scan(src, syn) {
		if lookup != nil {
			if _, ok := lookup(strings.ToLower(r.Name)); ok {
				continue
			}
		}
		undef = append(undef, Undefined{Name: r.Name, Offset: r.Offset, Line: r.Line, Column: r.Column})
	}
	if len(undef) > 0 {
		return &UndefinedError{Items: undef, Syntax: syn}
	}
	return nil
}
