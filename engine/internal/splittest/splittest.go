// Package splittest holds the checks the tests of the SQL statement
// splitters share: splits read through readers that chunk the input in
// every way must equal the whole-string split, and every split result must
// be found in the input, in order, without overlap. Import it from _test.go
// files only.
package splittest

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stratadb/strata/engine"
)

// Span is what every split result has: its text, the byte offset of the
// text in the input and the 1-based line of that offset.
type Span struct {
	Text   string
	Offset int64
	Line   int
}

// Harness checks the splitter of one dialect, whose results are of type T.
type Harness[T any] struct {
	Noun, Nouns string // what a T is called in messages: "statement", "statements"

	Split  func(src string) ([]T, error)  // splits a whole string
	Read   func(r io.Reader) ([]T, error) // splits what it reads from r
	Format func([]T, error) string        // renders results; equal renderings are equal results
	Span   func(T) Span

	// Check, when set, checks what else holds for result i once the common
	// checks passed; end is the input offset just past its Text. It returns
	// the offset where the next result may start.
	Check func(t testing.TB, src string, i int, st T, end int64) int64

	// Tx returns a result's transaction control flag and effect. The
	// golden files do not show the effect: CheckChunked and CheckOneByte
	// compare it besides Format, and CheckStatements checks it against
	// the result's Text (see CheckTx).
	Tx func(T) (control bool, tx engine.TxEffect)
	// Batch says a result is a batch of statements (T-SQL), whose effect
	// is that of its last transaction statement, not of its first word.
	Batch bool
}

// render is Format plus what the golden files do not show.
func (h *Harness[T]) render(items []T, err error) string {
	out := h.Format(items, err)
	if h.Tx == nil {
		return out
	}
	var b strings.Builder
	b.WriteString(out)
	for i, item := range items {
		_, tx := h.Tx(item)
		fmt.Fprintf(&b, "-- [%d] %v\n", i+1, tx)
	}
	return b.String()
}

// CheckStatements checks what holds for every split: results in input
// order without overlap, Text found at Offset, Line matching Offset, and
// Text trimmed; then h.Check.
func (h *Harness[T]) CheckStatements(t testing.TB, src string, stmts []T) {
	t.Helper()
	end := int64(0)
	for i, item := range stmts {
		st := h.Span(item)
		if st.Offset < end || st.Offset+int64(len(st.Text)) > int64(len(src)) {
			t.Fatalf("%s %d at offset %d (length %d) overlaps or leaves the input (end of previous %d, input %d)",
				h.Noun, i+1, st.Offset, len(st.Text), end, len(src))
		}
		if src[st.Offset:st.Offset+int64(len(st.Text))] != st.Text {
			t.Fatalf("%s %d: input at offset %d is not its Text %q", h.Noun, i+1, st.Offset, st.Text)
		}
		if want := 1 + strings.Count(src[:st.Offset], "\n"); st.Line != want {
			t.Fatalf("%s %d: Line = %d, want %d", h.Noun, i+1, st.Line, want)
		}
		if st.Text == "" || strings.Trim(st.Text, " \t\n\r\f\v") != st.Text {
			t.Fatalf("%s %d: Text %q is empty or not trimmed", h.Noun, i+1, st.Text)
		}
		end = st.Offset + int64(len(st.Text))
		if h.Tx != nil {
			control, tx := h.Tx(item)
			if msg := CheckTx(st.Text, control, tx, h.Batch); msg != "" {
				t.Fatalf("%s %d: %s", h.Noun, i+1, msg)
			}
		}
		if h.Check != nil {
			end = h.Check(t, src, i, item, end)
		}
	}
}

// CheckTx checks a split result's transaction control against its text,
// independently of the splitter's tokens: control must be tx != TxNone; a
// statement must start with a word of its effect (BEGIN or START opens,
// COMMIT or END commits, ROLLBACK, ABORT, PREPARE or COMMIT ends), and one
// that starts with COMMIT or END must have an effect; a batch must hold
// TRAN, COMMIT, or ROLLBACK or COMMIT. It returns what is wrong, or "".
func CheckTx(text string, control bool, tx engine.TxEffect, batch bool) string {
	if control != (tx != engine.TxNone) {
		return fmt.Sprintf("TxControl = %v with %v", control, tx)
	}
	if batch {
		up := strings.ToUpper(text)
		for _, w := range batchWords[tx] {
			if strings.Contains(up, w) {
				return ""
			}
		}
		if tx == engine.TxNone {
			return ""
		}
		return fmt.Sprintf("%v, but no %s in %q", tx, strings.Join(batchWords[tx], " or "), text)
	}
	first := strings.ToUpper(firstWord(text))
	if tx == engine.TxNone {
		if first == "COMMIT" || first == "END" {
			return fmt.Sprintf("starts with %s, but TxNone", first)
		}
		return ""
	}
	for _, w := range txWords[tx] {
		if first == w {
			return ""
		}
	}
	return fmt.Sprintf("%v, but starts with %q", tx, first)
}

// txWords are the words that can start a statement of each effect.
var txWords = map[engine.TxEffect][]string{
	engine.TxBegin:  {"BEGIN", "START"},
	engine.TxCommit: {"COMMIT", "END"},
	engine.TxEnd:    {"ROLLBACK", "ABORT", "PREPARE", "COMMIT"},
}

// batchWords are words a batch of each effect holds.
var batchWords = map[engine.TxEffect][]string{
	engine.TxBegin:  {"TRAN"},
	engine.TxCommit: {"COMMIT"},
	engine.TxEnd:    {"ROLLBACK", "COMMIT"},
}

// firstWord returns the word text starts with: letters, digits, '_', '$'
// and non-ASCII bytes.
func firstWord(text string) string {
	for i := 0; i < len(text); i++ {
		c := text[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '$' || c >= 0x80) {
			return text[:i]
		}
	}
	return text
}

// readers are the ways CheckChunked chunks the input.
var readers = []struct {
	Name string
	Wrap func(io.Reader) io.Reader
}{
	{"one byte", iotest.OneByteReader},
	{"half", iotest.HalfReader},
	{"data+err", iotest.DataErrReader},
	{"odd", func(r io.Reader) io.Reader { return &OddReader{R: r} }},
}

// CheckChunked checks that every way of chunking the input gives what
// h.Split gives.
func (h *Harness[T]) CheckChunked(t testing.TB, src string) {
	t.Helper()
	want, wantErr := h.Split(src)
	for _, rd := range readers {
		got, err := h.Read(rd.Wrap(strings.NewReader(src)))
		if h.render(got, err) != h.render(want, wantErr) {
			t.Fatalf("%s reader: got\n%s\nwant\n%s", rd.Name, h.render(got, err), h.render(want, wantErr))
		}
	}
}

// CheckOneByte checks that reading src one byte at a time gives what
// h.Split gives, without error, and that the results pass CheckStatements.
func (h *Harness[T]) CheckOneByte(t testing.TB, src string) {
	t.Helper()
	want, wantErr := h.Split(src)
	got, err := h.Read(iotest.OneByteReader(strings.NewReader(src)))
	if h.render(got, err) != h.render(want, wantErr) || err != nil {
		t.Fatalf("one byte reader: %d %s, %v; Split: %d %s, %v", len(got), h.Nouns, err, len(want), h.Nouns, wantErr)
	}
	h.CheckStatements(t, src, got)
}

// GoldenGlob matches the inputs of the golden tests, each with a .golden
// file next to it.
var GoldenGlob = filepath.Join("testdata", "split", "*.sql")

// GoldenSQL compares got with testdata/golden/NAME.sql, or rewrites that
// file when update is set: the dialects' golden DDL.
func GoldenSQL(t *testing.T, name, got string, update bool) {
	t.Helper()
	GoldenFile(t, filepath.Join("testdata", "golden", name+".sql"), got, update)
}

// GoldenFile compares got with the file at path, or rewrites it when update
// is set.
func GoldenFile(t *testing.T, path, got string, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Fatalf("the output differs from %s (run go test -update):\n%s", path, got)
	}
}

// Golden splits every golden input, checks the results and compares their
// rendering with the .golden file, or rewrites that file when update is
// set.
func (h *Harness[T]) Golden(t *testing.T, update bool) {
	files, err := filepath.Glob(GoldenGlob)
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			stmts, err := h.Split(string(src))
			h.CheckStatements(t, string(src), stmts)
			h.CheckChunked(t, string(src))
			got := h.Format(stmts, err)
			golden := strings.TrimSuffix(file, ".sql") + ".golden"
			if update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (go test -update rewrites it):\n%s", golden, got)
			}
		})
	}
}

// AddSeeds adds seeds, then the golden inputs, to the fuzz corpus.
func AddSeeds(f *testing.F, seeds ...string) {
	files, _ := filepath.Glob(GoldenGlob)
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, string(b))
	}
	for _, s := range seeds {
		f.Add(s)
	}
}

// CheckSplitError checks that err is nil or a P (the dialect's
// *SplitError) whose position, as pos tells, is in src and on the right
// line.
func CheckSplitError[P interface {
	*E
	error
}, E any](t testing.TB, src string, err error, pos func(P) (offset int64, line int)) {
	t.Helper()
	var se P
	if err != nil && !errors.As(err, &se) {
		t.Fatalf("error %v is not a *SplitError", err)
	}
	if se != nil {
		if off, line := pos(se); off < 0 || off > int64(len(src)) || line != 1+strings.Count(src[:off], "\n") {
			t.Fatalf("error position %+v is wrong", *se)
		}
	}
}

// OddReader returns reads of 1, 2, 3, ... 17 bytes in turn.
type OddReader struct {
	R io.Reader
	n int
}

func (o *OddReader) Read(p []byte) (int, error) {
	o.n = o.n%17 + 1
	if len(p) > o.n {
		p = p[:o.n]
	}
	return o.R.Read(p)
}

// BlockReader repeats a block of generated input up to Size bytes.
type BlockReader struct {
	Size, N int64 // bytes to return, bytes returned
	block   []byte
	off     int
}

// NewBlockReader returns a BlockReader repeating block, with size cut down
// to whole blocks.
func NewBlockReader(block []byte, size int64) *BlockReader {
	size -= size % int64(len(block))
	return &BlockReader{Size: size, block: block}
}

func (r *BlockReader) Read(p []byte) (int, error) {
	if r.N >= r.Size {
		return 0, io.EOF
	}
	if rest := r.Size - r.N; int64(len(p)) > rest {
		p = p[:rest]
	}
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.block[r.off:])
		n += c
		r.off = (r.off + c) % len(r.block)
	}
	r.N += int64(n)
	return n, nil
}

// CheckLargeInput reads size bytes of generated input with the splitter
// start makes, sampling the live heap after every MB, and checks that it
// stays far below size and that at least 1000 results came.
func (h *Harness[T]) CheckLargeInput(t *testing.T, size int, start func() (*BlockReader, func() (T, error))) {
	t.Helper()
	MeasureHeap(t, size, func(sample func()) {
		r, next := start()
		n, at := 0, int64(0)
		for {
			_, err := next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			n++
			if r.N >= at {
				sample()
				at += 1 << 20
			}
		}
		if n < 1000 {
			t.Fatalf("only %d %s", n, h.Nouns)
		}
	})
}

// MeasureHeap runs run, which splits size bytes and calls sample now and
// then, and checks that the live heap sampled stays far below size.
func MeasureHeap(t *testing.T, size int, run func(sample func())) {
	t.Helper()
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	before, peak := m.HeapAlloc, uint64(0)
	run(func() {
		runtime.GC()
		runtime.ReadMemStats(&m)
		if m.HeapAlloc > before && m.HeapAlloc-before > peak {
			peak = m.HeapAlloc - before
		}
	})
	if peak > uint64(size)/10 {
		t.Errorf("live heap grew by %d bytes while splitting %d bytes", peak, size)
	}
	t.Logf("peak live heap growth: %d bytes", peak)
}
