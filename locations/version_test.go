package locations

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestParseVersion(t *testing.T) {
	long := strings.Repeat("1234567890", 4) // a 40-digit part
	tests := []struct {
		in, text, canon string
	}{
		{"1", "1", "1"},
		{"1.0", "1.0", "1"},
		{"1_0", "1.0", "1"},
		{"01", "01", "1"},
		{"001_0", "001.0", "1"},
		{"0", "0", "0"},
		{"0.0.0", "0.0.0", "0"},
		{"000", "000", "0"},
		{"0.1", "0.1", "0.1"},
		{"1.0.1", "1.0.1", "1.0.1"},
		{"1_2_3", "1.2.3", "1.2.3"},
		{"1.2_3", "1.2.3", "1.2.3"},
		{"1.10", "1.10", "1.10"},
		{"4.99.1561608282", "4.99.1561608282", "4.99.1561608282"},
		{"20261121093000", "20261121093000", "20261121093000"},
		{long + ".0" + long, long + ".0" + long, long + "." + long},
		{"7.0.00.000", "7.0.00.000", "7"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			v, err := ParseVersion(tt.in)
			if err != nil {
				t.Fatalf("ParseVersion(%q): %v", tt.in, err)
			}
			if v.String() != tt.text || v.Canonical() != tt.canon {
				t.Errorf("ParseVersion(%q) = text %q canonical %q, want %q %q", tt.in, v.String(), v.Canonical(), tt.text, tt.canon)
			}
			if v.IsZero() {
				t.Errorf("ParseVersion(%q).IsZero() = true", tt.in)
			}
		})
	}
}

func TestParseVersionErrors(t *testing.T) {
	for _, in := range []string{
		"", "1..1", ".", ".1", "1.", "_1", "1_", "1__2", "1._2",
		"a", "1a", "1.a", "v1", "+1", "-1", "1.-1", "1e3", "0x10",
		" 1", "1 ", "1,2", "1/2", "١", "１", "1.2.", "..",
	} {
		t.Run(in, func(t *testing.T) {
			v, err := ParseVersion(in)
			if err == nil {
				t.Fatalf("ParseVersion(%q) = %q, want error", in, v.String())
			}
			if !strings.HasPrefix(err.Error(), "invalid version ") {
				t.Errorf("error %q does not start with 'invalid version'", err)
			}
		})
	}
}

func TestVersionCompare(t *testing.T) {
	p := MustParseVersion
	long1 := strings.Repeat("9", 40)
	long2 := "1" + strings.Repeat("0", 40)
	tests := []struct {
		a, b string
		want int
	}{
		{"1.10", "1.9", +1},
		{"1.0", "1", 0},
		{"01", "1", 0},
		{"001.0", "1.00", 0},
		{"1.2.13.3", "1.2.3.3", +1},
		{"1.2.1", "1.2.1.1", -1},
		{"1.2.1.0", "1.2.1", 0},
		{"201004171859", "201004180000", -1},
		{"0", "0.0.1", -1},
		{"0", "0.0", 0},
		{"1.0.1", "1.1", -1},
		{"2", "1.999", +1},
		{"4.99.1561608282", "4.99.999999999", +1},
		{long1, long2, -1},
		{"1." + long1, "1." + long2, -1},
		{long2 + ".1", long2, +1},
		{"0" + long2, long2, 0},
		{"10", "9", +1},
		{"1.01", "1.1", 0},
	}
	for _, tt := range tests {
		t.Run(tt.a+"_vs_"+tt.b, func(t *testing.T) {
			a, b := p(tt.a), p(tt.b)
			if got := a.Compare(b); got != tt.want {
				t.Errorf("Compare(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
			if got := b.Compare(a); got != -tt.want {
				t.Errorf("Compare(%s, %s) = %d, want %d", tt.b, tt.a, got, -tt.want)
			}
			if got := a.Equal(b); got != (tt.want == 0) {
				t.Errorf("Equal(%s, %s) = %v", tt.a, tt.b, got)
			}
			checkKeyOrder(t, a, b)
		})
	}
}

func TestVersionZero(t *testing.T) {
	var zero Version
	if !zero.IsZero() || zero.String() != "" || zero.Canonical() != "" || zero.Key() != "" {
		t.Errorf("zero Version = %q %q %q, IsZero %v", zero.String(), zero.Canonical(), zero.Key(), zero.IsZero())
	}
	for _, s := range []string{"0", "1", "0.0.1"} {
		v := MustParseVersion(s)
		if zero.Compare(v) != -1 || v.Compare(zero) != 1 || zero.Equal(v) {
			t.Errorf("zero Version does not sort before %s", s)
		}
		checkKeyOrder(t, zero, v)
	}
	if zero.Compare(Version{}) != 0 || !zero.Equal(Version{}) {
		t.Error("zero Version is not equal to itself")
	}
	v, err := ParseVersionKey("")
	if err != nil || !v.IsZero() {
		t.Errorf("ParseVersionKey(\"\") = %q, %v; want zero Version", v.Key(), err)
	}
}

func TestVersionKeyExamples(t *testing.T) {
	tests := []struct{ in, key string }{
		{"0", "a"},
		{"0.0", "a"},
		{"1", "b1"},
		{"1.0", "b1"},
		{"01", "b1"},
		{"1.2", "b1b2"},
		{"1.0.1", "b1ab1"},
		{"0.1", "ab1"},
		{"10", "c10"},
		{"201004171859", "m201004171859"},
		{strings.Repeat("1", 24), "y" + strings.Repeat("1", 24)},
		{strings.Repeat("1", 25), "zc25" + strings.Repeat("1", 25)},
		{strings.Repeat("1", 40), "zc40" + strings.Repeat("1", 40)},
		{strings.Repeat("1", 100), "zd100" + strings.Repeat("1", 100)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			v := MustParseVersion(tt.in)
			if got := v.Key(); got != tt.key {
				t.Fatalf("Key(%s) = %q, want %q", tt.in, got, tt.key)
			}
			back, err := ParseVersionKey(tt.key)
			if err != nil {
				t.Fatalf("ParseVersionKey(%q): %v", tt.key, err)
			}
			if !back.Equal(v) || back.String() != v.Canonical() || back.Key() != tt.key {
				t.Errorf("ParseVersionKey(%q) = %q (canonical %q), want %q", tt.key, back.String(), back.Canonical(), v.Canonical())
			}
		})
	}
}

func TestParseVersionKeyErrors(t *testing.T) {
	for _, key := range []string{
		"A", "b", "b0", "c01", "ba", "aa", "b1a", "ab1a", "b1 ", " b1", "b1.b2",
		"z", "za", "zb9", "zc09" + strings.Repeat("1", 9), "zc24" + strings.Repeat("1", 24),
		"zc25" + strings.Repeat("1", 24), "zzc25", "zt" + strings.Repeat("9", 19),
		"{", "b1~", "c1",
	} {
		t.Run(key, func(t *testing.T) {
			if v, err := ParseVersionKey(key); err == nil {
				t.Errorf("ParseVersionKey(%q) = %q, want error", key, v.Canonical())
			}
		})
	}
}

// checkKeyOrder checks that the keys of a and b order them like Compare.
func checkKeyOrder(t *testing.T, a, b Version) {
	t.Helper()
	ka, kb := a.Key(), b.Key()
	if got, want := strings.Compare(ka, kb), a.Compare(b); got != want {
		t.Errorf("key order of %q (%q) and %q (%q) is %d, Compare says %d", a.String(), ka, b.String(), kb, got, want)
	}
	if (ka == kb) != a.Equal(b) {
		t.Errorf("keys %q and %q: equal %v, Equal says %v", ka, kb, ka == kb, a.Equal(b))
	}
	for _, k := range []string{ka, kb} {
		for i := 0; i < len(k); i++ {
			if !(k[i] >= '0' && k[i] <= '9' || k[i] >= 'a' && k[i] <= 'z') {
				t.Errorf("key %q has character %q outside 0-9a-z", k, k[i])
			}
		}
	}
}

// randomVersion returns a random version text with parts of very different
// lengths, leading zeros, zero parts and both separators.
func randomVersion(r *rand.Rand) string {
	var b strings.Builder
	n := 1 + r.IntN(5)
	for i := range n {
		if i > 0 {
			b.WriteByte("._"[r.IntN(2)])
		}
		var length int
		switch r.IntN(6) {
		case 0:
			b.WriteString("000"[:1+r.IntN(3)]) // a zero part
			continue
		case 1:
			length = 20 + r.IntN(10) // around the one-letter limit
		case 2:
			length = 90 + r.IntN(300) // very long
		default:
			length = 1 + r.IntN(4)
		}
		for range r.IntN(3) {
			if r.IntN(3) == 0 {
				b.WriteByte('0') // leading zeros
			}
		}
		b.WriteByte(byte('1' + r.IntN(9)))
		for j := 1; j < length; j++ {
			b.WriteByte(byte('0' + r.IntN(10)))
		}
	}
	return b.String()
}

func TestVersionKeyProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var vs []Version
	for range 3000 {
		s := randomVersion(r)
		v, err := ParseVersion(s)
		if err != nil {
			t.Fatalf("ParseVersion(%q): %v", s, err)
		}
		vs = append(vs, v)
		// Variants that must be equal: extra zero parts, extra leading zeros.
		vs = append(vs, MustParseVersion(s+".0"), MustParseVersion("0"+s))
	}
	// Short versions to get many equal and prefix-related pairs.
	for range 2000 {
		var b strings.Builder
		for i := range 1 + r.IntN(4) {
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteByte(byte('0' + r.IntN(3)))
		}
		vs = append(vs, MustParseVersion(b.String()))
	}
	byCompare := slices.Clone(vs)
	slices.SortStableFunc(byCompare, func(a, b Version) int { return a.Compare(b) })
	byKey := slices.Clone(vs)
	slices.SortStableFunc(byKey, func(a, b Version) int { return strings.Compare(a.Key(), b.Key()) })
	for i := range byCompare {
		if !byCompare[i].Equal(byKey[i]) {
			t.Fatalf("sort by key differs from sort by Compare at %d: %q vs %q", i, byKey[i].Canonical(), byCompare[i].Canonical())
		}
	}
	for i := 1; i < len(byCompare); i++ {
		checkKeyOrder(t, byCompare[i-1], byCompare[i])
	}
	for range 20000 {
		checkKeyOrder(t, vs[r.IntN(len(vs))], vs[r.IntN(len(vs))])
	}
	for _, v := range vs {
		back, err := ParseVersionKey(v.Key())
		if err != nil {
			t.Fatalf("ParseVersionKey(%q): %v", v.Key(), err)
		}
		if !back.Equal(v) || back.String() != v.Canonical() {
			t.Fatalf("ParseVersionKey(Key(%q)) = %q", v.Canonical(), back.String())
		}
		if c := MustParseVersion(v.Canonical()); !c.Equal(v) || c.Canonical() != v.Canonical() {
			t.Fatalf("canonical %q does not parse back to itself", v.Canonical())
		}
	}
}
