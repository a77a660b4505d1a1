package placeholders

import (
	"errors"
	"hash/crc32"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

// sourceWrappers feed the Reader its input in different pieces.
var sourceWrappers = []struct {
	name string
	wrap func(io.Reader) io.Reader
}{
	{"whole", func(r io.Reader) io.Reader { return r }},
	{"one byte", iotest.OneByteReader},
	{"half", iotest.HalfReader},
	{"data with EOF", iotest.DataErrReader},
}

// readChunks reads r to the end with reads of at most chunk bytes.
func readChunks(r io.Reader, chunk int) ([]byte, error) {
	var out []byte
	p := make([]byte, chunk)
	for zero := 0; zero < 1000; {
		n, err := r.Read(p)
		out = append(out, p[:n]...)
		if n == 0 {
			zero++
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
	return out, io.ErrNoProgress
}

// checkReader checks that NewReader gives what Expand gives, whatever the
// sizes of the reads on both sides.
func checkReader(t testing.TB, src string, syn Syntax, lookup Lookup) {
	t.Helper()
	x, xerr := Expand(src, syn, lookup)
	for _, sw := range sourceWrappers {
		for _, chunk := range []int{1, 2, 3, 7, 4096} {
			r := NewReader(sw.wrap(strings.NewReader(src)), syn, lookup)
			got, err := readChunks(r, chunk)
			if string(got) != x.Text {
				t.Fatalf("%s source, reads of %d: Reader output %q, Expand %q", sw.name, chunk, got, x.Text)
			}
			if !reflect.DeepEqual(err, xerr) {
				t.Fatalf("%s source, reads of %d: Reader error %v, Expand error %v", sw.name, chunk, err, xerr)
			}
			for out := -1; out <= len(x.Text)+2; out++ {
				if a, b := r.SourceOffset(int64(out)), x.SourceOffset(out); a != int64(b) {
					t.Fatalf("%s source, reads of %d: SourceOffset(%d): Reader %d, Expand %d", sw.name, chunk, out, a, b)
				}
			}
		}
	}
}

func TestReaderMatchesExpand(t *testing.T) {
	// TestExpand and TestUndefined run checkReader on each of their cases too.
	tests := []struct {
		name string
		src  string
		syn  Syntax
	}{
		{"empty", "", Syntax{}},
		{"quirk everywhere", "$$${x}$${x}$$$", Syntax{}},
		{"long name across reads", "${" + strings.Repeat("a", MaxNameLen) + "} ${" + strings.Repeat("b", MaxNameLen+1) + "}", Syntax{}},
		{"multi-byte names", "${größe}${日本}${€}", Syntax{}},
		{"long syntax", "BEGIN<%%x%%>END<%%<%%y%%>", Syntax{"<%%", "%%>"}},
	}
	values, err := NewValues(map[string]string{"x": "X\nX", "y": "", strings.Repeat("a", MaxNameLen): "long", "größe": "g"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkReader(t, tt.src, tt.syn, values.Lookup)
			checkReader(t, tt.src, tt.syn, nil)
		})
	}
}

func TestReaderIOTest(t *testing.T) {
	src := strings.Repeat("INSERT INTO t VALUES ('${v}', 'é ${w}');\n", 2000)
	lookup := Values{"v": "value", "w": ""}.Lookup
	x, err := Expand(src, Syntax{}, lookup)
	if err != nil {
		t.Fatal(err)
	}
	if err := iotest.TestReader(NewReader(strings.NewReader(src), Syntax{}, lookup), []byte(x.Text)); err != nil {
		t.Fatal(err)
	}
}

func TestReaderSourceOffsetWhileReading(t *testing.T) {
	src := "a${v}b${v}c"
	r := NewReader(iotest.OneByteReader(strings.NewReader(src)), Syntax{}, Values{"v": "12"}.Lookup)
	p := make([]byte, 3)
	n, err := io.ReadFull(r, p)
	if err != nil || string(p[:n]) != "a12" {
		t.Fatalf("ReadFull = %q, %v", p[:n], err)
	}
	for out, want := range []int64{0, 1, 1} {
		if got := r.SourceOffset(int64(out)); got != want {
			t.Errorf("SourceOffset(%d) = %d, want %d", out, got, want)
		}
	}
}

func TestReaderReadError(t *testing.T) {
	boom := errors.New("boom")
	r := NewReader(io.MultiReader(strings.NewReader("a ${v} b"), iotest.ErrReader(boom)), Syntax{}, Values{"v": "1"}.Lookup)
	got, err := readChunks(r, 100)
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
	if string(got) != "a 1 b" {
		t.Errorf("output before the error = %q", got)
	}
	if _, err := r.Read(make([]byte, 1)); !errors.Is(err, boom) {
		t.Errorf("second Read error = %v, want %v", err, boom)
	}
}

func TestReaderUndefinedAtEnd(t *testing.T) {
	src := "${a}\n" + strings.Repeat("x", 100_000) + "\n${b} ${c}"
	r := NewReader(strings.NewReader(src), Syntax{}, Values{"c": "C"}.Lookup)
	got, err := io.ReadAll(r)
	var ue *UndefinedError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want *UndefinedError", err)
	}
	want := []Undefined{{"a", 0, 1, 1}, {"b", 100_006, 3, 1}}
	if !reflect.DeepEqual(ue.Items, want) {
		t.Errorf("Items = %+v, want %+v", ue.Items, want)
	}
	if wantText := strings.TrimSuffix(src, "${c}") + "C"; string(got) != wantText {
		t.Errorf("output differs from the source with ${c} replaced")
	}
}

// genReader produces size bytes of text repeating pattern, without holding
// them in memory.
type genReader struct {
	pattern string
	size    int64
	off     int64
}

func (g *genReader) Read(p []byte) (int, error) {
	if g.off >= g.size {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && g.off < g.size {
		i := int(g.off % int64(len(g.pattern)))
		c := copy(p[n:], g.pattern[i:])
		c = int(min(int64(c), g.size-g.off))
		n += c
		g.off += int64(c)
	}
	return n, nil
}

func TestReaderBoundedMemory(t *testing.T) {
	size := int64(50 << 20)
	if testing.Short() {
		size = 5 << 20
	}
	replacer := strings.NewReplacer("${v}", "value", "${e}", "")
	small := func(int64) int64 { return 1 << 20 }
	tests := []struct {
		name     string
		prefix   string
		pattern  string
		retained func(size int64) int64 // heap kept by the Reader at the end
	}{
		// A few bytes per placeholder are kept for SourceOffset.
		{name: "many placeholders", pattern: "INSERT INTO t VALUES ('${v}', 'é literal text ${e}');\n", retained: func(size int64) int64 { return size / 4 }},
		{name: "one endless name", prefix: "${", pattern: "abcdefghij", retained: small},
		{name: "one line without placeholders", pattern: "0123456789abcdef", retained: small},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			count := size / int64(len(tt.pattern))
			src := io.MultiReader(strings.NewReader(tt.prefix), &genReader{pattern: tt.pattern, size: count * int64(len(tt.pattern))})
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			r := NewReader(src, Syntax{}, Values{"v": "value", "e": ""}.Lookup)
			bufCap := cap(r.buf)
			got := crc32.NewIEEE()
			n, err := io.Copy(got, r)
			if err != nil {
				t.Fatal(err)
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			retained := int64(after.HeapAlloc) - int64(before.HeapAlloc)
			t.Logf("%d bytes in, %d placeholders, %d bytes retained", size, r.segs.n, retained)
			if limit := tt.retained(size); retained > limit {
				t.Errorf("%d bytes retained after streaming, want at most %d", retained, limit)
			}
			runtime.KeepAlive(r)
			if cap(r.buf) != bufCap || bufCap > 64<<10 {
				t.Errorf("read buffer: %d bytes at the start, %d at the end", bufCap, cap(r.buf))
			}
			replaced := replacer.Replace(tt.pattern)
			want := crc32.NewIEEE()
			wantN, err := io.Copy(want, io.MultiReader(strings.NewReader(tt.prefix), &genReader{pattern: replaced, size: count * int64(len(replaced))}))
			if err != nil {
				t.Fatal(err)
			}
			if n != wantN || got.Sum32() != want.Sum32() {
				t.Errorf("output: %d bytes crc %08x, want %d bytes crc %08x", n, got.Sum32(), wantN, want.Sum32())
			}
			srcLen := int64(len(tt.prefix)) + count*int64(len(tt.pattern))
			if end := r.SourceOffset(n); end != srcLen {
				t.Errorf("SourceOffset(end of output) = %d, want %d", end, srcLen)
			}
		})
	}
}

func benchSource() string {
	return strings.Repeat("INSERT INTO ${schema}.t VALUES ('${v}', 'some literal text, $1 and é');\n", 20000)
}

func BenchmarkExpand(b *testing.B) {
	src := benchSource()
	lookup := Values{"schema": `"acme"`, "v": "value"}.Lookup
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := Expand(src, Syntax{}, lookup); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReader(b *testing.B) {
	src := benchSource()
	lookup := Values{"schema": `"acme"`, "v": "value"}.Lookup
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := io.Copy(io.Discard, NewReader(strings.NewReader(src), Syntax{}, lookup)); err != nil {
			b.Fatal(err)
		}
	}
}
