package locations

import (
	"bytes"
	"errors"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

// readLineChecksum computes Flyway's checksum the way ChecksumCalculator.java
// does, as an independent route: decode strictly, split into lines like Java's
// BufferedReader.readLine (a line ends at "\n", "\r" or "\r\n"; a final
// terminator makes no extra line), drop one U+FEFF at the start of the first
// line, and feed each line's UTF-8 into one running CRC-32.
func readLineChecksum(b []byte) (int32, bool) {
	if !utf8.Valid(b) {
		return 0, false
	}
	text := string(b)
	var lines []string
	for text != "" {
		i := strings.IndexAny(text, "\r\n")
		if i < 0 {
			lines = append(lines, text)
			break
		}
		lines = append(lines, text[:i])
		if text[i] == '\r' && i+1 < len(text) && text[i+1] == '\n' {
			i++
		}
		text = text[i+1:]
	}
	crc := crc32.NewIEEE()
	for n, line := range lines {
		if n == 0 {
			line = strings.TrimPrefix(line, "\uFEFF")
		}
		io.WriteString(crc, line)
	}
	return int32(crc.Sum32()), true
}

// The golden values were computed once, outside Go, with Python 3:
//
//	t = data.decode("utf-8", "strict"); t = t[1:] if t.startswith("\ufeff") else t
//	c = zlib.crc32(t.replace("\r", "").replace("\n", "").encode("utf-8"))
//	c - 2**32 if c >= 2**31 else c
//
// and agree with readLineChecksum.
var checksumGolden = []struct {
	name string
	in   string
	want int32
}{
	{"empty", "", 0},
	{"only line breaks", "\r\n\r\n", 0},
	{"one line", "SELECT 1;\n", 78787420},
	{"crlf with bom", "\uFEFFCREATE TABLE t (id int);\r\nINSERT INTO t VALUES (1);\r\n", 169406234},
	{"unicode", "-- créer\nINSERT INTO ユーザー VALUES ('é');\n", 1542156205},
	{"negative", "INSERT INTO t VALUES (1);\n", -705379488},
	{"negative no final newline", "-- éé\nSELECT 1;", -2119279528},
	{"mixed line ends", "a\rb\n\nc\r\n", 891568578},
	{"second bom kept", "\uFEFF\uFEFFx", 1540412666},
}

func TestChecksumGolden(t *testing.T) {
	for _, tt := range checksumGolden {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Checksum(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Checksum = %d, want %d", got, tt.want)
			}
			if alt, _ := readLineChecksum([]byte(tt.in)); alt != tt.want {
				t.Errorf("readLineChecksum = %d, want %d", alt, tt.want)
			}
			oneByte, err := Checksum(iotest.OneByteReader(strings.NewReader(tt.in)))
			if err != nil || oneByte != tt.want {
				t.Errorf("Checksum one byte at a time = %d, %v; want %d", oneByte, err, tt.want)
			}
		})
	}
}

func TestChecksumRules(t *testing.T) {
	sum := func(s string) int32 {
		t.Helper()
		c, err := Checksum(strings.NewReader(s))
		if err != nil {
			t.Fatalf("Checksum(%q): %v", s, err)
		}
		return c
	}
	same := []struct{ name, a, b string }{
		{"crlf equals lf", "a\r\nb\r\n", "a\nb\n"},
		{"cr equals lf", "a\rb\r", "a\nb\n"},
		{"blank lines invisible", "a\n\n\n\nb", "a\nb"},
		{"joined lines", "a\nb", "ab"},
		{"final newline", "a\n", "a"},
		{"leading bom dropped", "\uFEFFa\nb", "a\nb"},
		{"empty is zero", "", "\n"},
		{"bom only is empty", "\uFEFF", ""},
	}
	for _, tt := range same {
		t.Run(tt.name, func(t *testing.T) {
			if a, b := sum(tt.a), sum(tt.b); a != b {
				t.Errorf("Checksum(%q) = %d != Checksum(%q) = %d", tt.a, a, tt.b, b)
			}
		})
	}
	different := []struct{ name, a, b string }{
		{"bom after a newline kept", "\n\uFEFFa", "a"},
		{"second bom kept", "\uFEFF\uFEFFa", "\uFEFFa"},
		{"bom in the middle kept", "a\uFEFFb", "ab"},
		{"trailing spaces count", "a \n", "a\n"},
		{"tabs count", "a\tb", "ab"},
		{"case counts", "A", "a"},
	}
	for _, tt := range different {
		t.Run(tt.name, func(t *testing.T) {
			if a, b := sum(tt.a), sum(tt.b); a == b {
				t.Errorf("Checksum(%q) = Checksum(%q) = %d, want different", tt.a, tt.b, a)
			}
		})
	}
	if got := sum(""); got != 0 {
		t.Errorf("Checksum of empty input = %d, want 0", got)
	}
}

func TestChecksumInvalidUTF8(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		offset int64
		line   int
	}{
		{"bad byte", "ab\xffcd", 2, 1},
		{"lone continuation", "\x80", 0, 1},
		{"overlong", "x\xc0\xaf", 1, 1},
		{"surrogate", "\xed\xa0\x80", 0, 1},
		{"above max", "\xf4\x90\x80\x80", 0, 1},
		{"bad continuation", "ok\n\xe2\x82A", 3, 2},
		{"truncated at end", "a\nb\r\n\xc3", 5, 3},
		{"truncated four byte", "a\r\rb\xf0\x9f\x98", 4, 3},
		{"latin-1", "-- caf\xe9\nSELECT 1;", 6, 1},
		{"after bom", "\uFEFF\xff", 3, 1},
		{"broken bom", "\xef\xbb", 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			readers := map[string]io.Reader{
				"whole":    strings.NewReader(tt.in),
				"one byte": iotest.OneByteReader(strings.NewReader(tt.in)),
			}
			for how, r := range readers {
				_, err := Checksum(r)
				var ee *EncodingError
				if !errors.As(err, &ee) {
					t.Fatalf("%s: Checksum(%q) error = %v, want *EncodingError", how, tt.in, err)
				}
				if ee.Offset != tt.offset || ee.Line != tt.line {
					t.Errorf("%s: error at offset %d line %d, want offset %d line %d", how, ee.Offset, ee.Line, tt.offset, tt.line)
				}
				if !strings.Contains(err.Error(), "byte offset") {
					t.Errorf("error %q does not name the byte offset", err)
				}
			}
			if err := validateUTF8([]byte(tt.in)); err == nil {
				t.Errorf("validateUTF8 accepts %q", tt.in)
			} else if ee := err.(*EncodingError); ee.Offset != tt.offset || ee.Line != tt.line {
				t.Errorf("validateUTF8: offset %d line %d, want %d %d", ee.Offset, ee.Line, tt.offset, tt.line)
			}
		})
	}
}

func TestChecksumReadError(t *testing.T) {
	boom := errors.New("boom")
	_, err := Checksum(iotest.ErrReader(boom))
	if !errors.Is(err, boom) {
		t.Errorf("Checksum error = %v, want %v", err, boom)
	}
}

// randomText builds text from pieces that stress the checksum: line breaks,
// byte order marks, multi-byte runes, and now and then an invalid byte.
func randomText(r *rand.Rand, n int, invalid bool) []byte {
	pieces := []string{"a", "SELECT 1;", " ", "\t", "\r", "\n", "\r\n", "\uFEFF", "é", "ユ", "😀", "\u0800", "\U0010FFFF", "\uFFFD"}
	var b bytes.Buffer
	for range n {
		b.WriteString(pieces[r.IntN(len(pieces))])
		if invalid && r.IntN(50) == 0 {
			b.WriteByte([]byte{0xff, 0x80, 0xc3, 0xe2, 0xf0}[r.IntN(5)])
		}
	}
	return b.Bytes()
}

// chunkReader returns its data in chunks of random sizes.
type chunkReader struct {
	data []byte
	r    *rand.Rand
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := min(1+c.r.IntN(7), len(p), len(c.data))
	n = copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

func TestChecksumMatchesReadLineRoute(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 3000 {
		data := randomText(r, r.IntN(40), i%3 == 0)
		want, ok := readLineChecksum(data)
		got, err := Checksum(&chunkReader{data: data, r: r})
		if !ok {
			if err == nil {
				t.Fatalf("Checksum(%q) accepts invalid UTF-8", data)
			}
			continue
		}
		if err != nil || got != want {
			t.Fatalf("Checksum(%q) = %d, %v; readLine route gives %d", data, got, err, want)
		}
		if ref := sketchChecksum(string(data)); ref != want {
			t.Fatalf("FLYWAY.md sketch gives %d for %q, readLine route %d", ref, data, want)
		}
	}
}

// sketchChecksum is the Go sketch of FLYWAY.md 2.1.
func sketchChecksum(text string) int32 {
	text = strings.TrimPrefix(text, "\uFEFF")
	text = strings.NewReplacer("\r", "", "\n", "").Replace(text)
	return int32(crc32.ChecksumIEEE([]byte(text)))
}

// repeatReader yields n bytes of a repeated pattern without holding them.
type repeatReader struct {
	pattern string
	off     int
	left    int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && r.left > 0 {
		c := copy(p[n:min(len(p), n+int(min(r.left, int64(len(r.pattern)-r.off))))], r.pattern[r.off:])
		n += c
		r.off = (r.off + c) % len(r.pattern)
		r.left -= int64(c)
	}
	return n, nil
}

func TestChecksumBoundedMemory(t *testing.T) {
	const pattern = "INSERT INTO ユーザー VALUES ('é', 1);\r\n"
	allocs := func(size int64) float64 {
		return testing.AllocsPerRun(3, func() {
			if _, err := Checksum(&repeatReader{pattern: pattern, left: size}); err != nil {
				t.Fatal(err)
			}
		})
	}
	small, large := allocs(1<<10), allocs(4<<20)
	if large > small {
		t.Errorf("Checksum allocates %.0f times for 4 MiB and %.0f times for 1 KiB; want no growth", large, small)
	}
}
