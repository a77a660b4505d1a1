package placeholders

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

var fuzzSyntaxes = []Syntax{
	{},
	{"#[", "]"},
	{"@@", "@@"},
	{"<<<", ">>>"},
	{"FP__", "__"},
	{"$", "$"},
	{"${", "-}"},
	{"«", "»"},
}

// fuzzLookup defines every name that does not start with 'u'; the value
// depends on the name's length and covers empty, multi-line and
// placeholder-looking values.
func fuzzLookup(syn Syntax) Lookup {
	return func(name string) (string, bool) {
		if strings.HasPrefix(name, "u") {
			return "", false
		}
		switch len(name) % 4 {
		case 0:
			return "", true
		case 1:
			return "v", true
		case 2:
			return "multi\nline\r\nvalué", true
		default:
			return syn.Format(name), true
		}
	}
}

func fuzzLookupFor(syn Syntax, mode uint8) Lookup {
	switch mode % 3 {
	case 1:
		return fuzzLookup(syn)
	case 2:
		return Chain(Builtins{Schema: `"s"`, User: "me", WorkingDirectory: "/w"}.Lookup, Values{"a": "A\n", "b": ""}.Lookup)
	}
	return nil
}

// oracleScan finds placeholders by the documented rules, written
// independently of the scanner.
func oracleScan(src string, syn Syntax) []Ref {
	syn = syn.resolved()
	pre, suf := syn.Prefix, syn.Suffix
	var refs []Ref
	for i := 0; i < len(src); {
		if !strings.HasPrefix(src[i:], pre) {
			k := 0
			for k < len(pre) && i+k < len(src) && src[i+k] == pre[k] {
				k++
			}
			if k == 0 {
				i++
			} else {
				i += min(k+1, len(src)-i)
			}
			continue
		}
		start := i + len(pre)
		found := false
		for e := start; e <= len(src) && e-start <= MaxNameLen; {
			if strings.HasPrefix(src[e:], suf) {
				if e > start {
					line, col := LineCol(src, i)
					refs = append(refs, Ref{Name: src[start:e], Offset: i, Len: e + len(suf) - i, Line: line, Column: col})
					i = e + len(suf)
					found = true
				}
				break
			}
			r, size := utf8.DecodeRuneInString(src[e:])
			if size == 0 || (r == utf8.RuneError && size == 1) || !isNameRune(r) {
				break
			}
			e += size
		}
		if !found {
			i += len(pre)
		}
	}
	return refs
}

// oracleExpand replaces refs naively and returns the text and, for every
// output offset up to and including len(text), the expected source offset.
func oracleExpand(src string, refs []Ref, lookup Lookup) (string, []int, []Undefined) {
	var (
		text  []byte
		srcOf []int
		undef []Undefined
		prev  int
	)
	literal := func(from, to int) {
		for o := from; o < to; o++ {
			text = append(text, src[o])
			srcOf = append(srcOf, o)
		}
	}
	for _, r := range refs {
		literal(prev, r.Offset)
		var (
			val string
			ok  bool
		)
		if lookup != nil {
			val, ok = lookup(strings.ToLower(r.Name))
		}
		if ok {
			text = append(text, val...)
			for range len(val) {
				srcOf = append(srcOf, r.Offset)
			}
		} else {
			literal(r.Offset, r.Offset+r.Len)
			undef = append(undef, Undefined{Name: r.Name, Offset: r.Offset, Line: r.Line, Column: r.Column})
		}
		prev = r.Offset + r.Len
	}
	literal(prev, len(src))
	srcOf = append(srcOf, len(src))
	return string(text), srcOf, undef
}

func addSeeds(f *testing.F, add func(src string, sel uint8)) {
	seeds := []string{
		"", "SELECT 1;", "${a}", "${a}${b}", "$${x}", "$$${x}", "${${x}}", "${a", "${", "$",
		"${}", "${ a }", "${u1} ${ux}\n${uy}", "#[a]##[b]", "@@a@@@@b@@", "<<<x>>><<x>>", "FP__my_var__",
		"${a\n}", "é${ab}日本\r\n${abc}\r${u}", "${strata:schema}.t ${flyway:user} ${FLYWAY:workingDirectory}",
		"${strata:tenant} ${flyway:nope}", "${abcd}${abcd}${abcd}", "«x»«»", "$a$$b$", "${a-}-}",
		"${" + strings.Repeat("n", MaxNameLen) + "}", "${" + strings.Repeat("n", MaxNameLen+1) + "}",
		"\xff${a\xc3}${b}\xe2\x82", strings.Repeat("${ab}x${abcd}", 40),
	}
	for i, s := range seeds {
		for sel := range len(fuzzSyntaxes) {
			if sel == 0 || i%3 == 0 {
				add(s, uint8(sel))
			}
		}
	}
}

func FuzzExpand(f *testing.F) {
	addSeeds(f, func(src string, sel uint8) {
		for mode := range uint8(3) {
			f.Add(src, sel, mode)
		}
	})
	f.Fuzz(func(t *testing.T, src string, sel, mode uint8) {
		syn := fuzzSyntaxes[int(sel)%len(fuzzSyntaxes)]
		lookup := fuzzLookupFor(syn, mode)
		x, err := Expand(src, syn, lookup)
		if x == nil {
			t.Fatalf("Expand returned no Expansion (err %v)", err)
		}

		// SourceOffset stays in range and never goes back.
		last := 0
		for out := -2; out <= len(x.Text)+2; out++ {
			so := x.SourceOffset(out)
			if so < 0 || so > len(src) {
				t.Fatalf("SourceOffset(%d) = %d, outside [0, %d]", out, so, len(src))
			}
			if so < last {
				t.Fatalf("SourceOffset(%d) = %d < SourceOffset(%d) = %d", out, so, out-1, last)
			}
			last = so
		}

		refs := Scan(src, syn)
		if want := oracleScan(src, syn); !reflect.DeepEqual(refs, want) {
			t.Fatalf("Scan = %+v\noracle %+v", refs, want)
		}
		if lookup == nil || len(refs) == 0 {
			if x.Text != src {
				t.Fatalf("nothing defined or found, but Text %q != src %q", x.Text, src)
			}
		}
		for _, r := range refs {
			if got := src[r.Offset : r.Offset+r.Len]; got != syn.Format(r.Name) {
				t.Fatalf("ref %+v covers %q", r, got)
			}
		}

		text, srcOf, undef := oracleExpand(src, refs, lookup)
		if x.Text != text {
			t.Fatalf("Text = %q, oracle %q", x.Text, text)
		}
		for out, want := range srcOf {
			if got := x.SourceOffset(out); got != want {
				t.Fatalf("SourceOffset(%d) = %d, oracle %d", out, got, want)
			}
		}
		var ue *UndefinedError
		switch {
		case len(undef) == 0 && err != nil:
			t.Fatalf("unexpected error %v", err)
		case len(undef) > 0 && !errors.As(err, &ue):
			t.Fatalf("err = %v, want *UndefinedError", err)
		case len(undef) > 0 && !reflect.DeepEqual(ue.Items, undef):
			t.Fatalf("Items = %+v, oracle %+v", ue.Items, undef)
		}
		if cerr := Check(src, syn, lookup); !reflect.DeepEqual(cerr, err) {
			t.Fatalf("Check = %v, Expand %v", cerr, err)
		}
	})
}

func FuzzReaderMatchesExpand(f *testing.F) {
	addSeeds(f, func(src string, sel uint8) {
		f.Add(src, sel, uint8(1), uint8(0), uint8(1))
		f.Add(src, sel, uint8(4), uint8(1), uint8(3))
		f.Add(src, sel, uint8(2), uint8(2), uint8(200))
	})
	f.Fuzz(func(t *testing.T, src string, sel, mode, wrap, chunk uint8) {
		syn := fuzzSyntaxes[int(sel)%len(fuzzSyntaxes)]
		lookup := fuzzLookupFor(syn, mode)
		x, xerr := Expand(src, syn, lookup)

		in := sourceWrappers[int(wrap)%len(sourceWrappers)].wrap(strings.NewReader(src))
		r := NewReader(in, syn, lookup)
		var out io.Reader = r
		if wrap&4 != 0 {
			out = iotest.OneByteReader(r)
		}
		got, err := readChunks(out, int(chunk)+1)
		if string(got) != x.Text {
			t.Fatalf("Reader output %q, Expand %q", got, x.Text)
		}
		if !reflect.DeepEqual(err, xerr) {
			t.Fatalf("Reader error %v, Expand error %v", err, xerr)
		}
		for o := -1; o <= len(x.Text)+1; o++ {
			if a, b := r.SourceOffset(int64(o)), x.SourceOffset(o); a != int64(b) {
				t.Fatalf("SourceOffset(%d): Reader %d, Expand %d", o, a, b)
			}
		}
	})
}
