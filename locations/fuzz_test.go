package locations

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzParseName(f *testing.F) {
	for _, s := range []string{
		"V1__init.sql", "V1.sql", "V1_init.sql", "V1__2__x.sql", "V1___x.SQL", "U1_1__x.sql", "B5.sql",
		"R__views.sql", "R1__x.sql", "R.sql", "beforeMigrate.sql", "beforeEachMigrateStatement__a_b.sql",
		"afterMigrateX.sql", "V2__créer_table_ユーザー.sql", "V1__x.sql.conf", "x.txt", ".sql", "V1..1__x.sql",
		"V\xff.sql", "V1__x\xc3.sql", "V0__.sql",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, base string) {
		n, err := ParseName(base)
		if err != nil {
			var ne *NameError
			if !errors.Is(err, ErrNotSQL) && !(errors.As(err, &ne) && ne.File == base && ne.Reason != "") {
				t.Fatalf("ParseName(%q): unexpected error %#v", base, err)
			}
			if errors.Is(err, ErrNotSQL) && hasSuffixFold(base, ".sql") {
				t.Fatalf("ParseName(%q): ErrNotSQL for a .sql name", base)
			}
			return
		}
		if !hasSuffixFold(base, ".sql") || !utf8.ValidString(base) {
			t.Fatalf("ParseName(%q) accepted a name that is not valid UTF-8 .sql", base)
		}
		if strings.Contains(n.Description, "_") || !utf8.ValidString(n.Description) {
			t.Fatalf("ParseName(%q): description %q", base, n.Description)
		}
		raw := strings.ReplaceAll(n.Description, " ", "_")
		var rebuilt string
		switch n.Kind {
		case Versioned, Undo, Baseline:
			if n.Version.IsZero() || n.Event != "" {
				t.Fatalf("ParseName(%q) = %+v", base, n)
			}
			if base[:1] != n.Kind.prefix() {
				t.Fatalf("ParseName(%q): kind %v", base, n.Kind)
			}
			rebuilt = n.Kind.prefix() + n.Version.String() + "__" + raw + ".sql"
		case Repeatable:
			if !n.Version.IsZero() || n.Event != "" {
				t.Fatalf("ParseName(%q) = %+v", base, n)
			}
			rebuilt = "R__" + raw + ".sql"
		case Callback:
			if !n.Version.IsZero() || !IsEvent(n.Event) || !strings.HasPrefix(base, n.Event) {
				t.Fatalf("ParseName(%q) = %+v", base, n)
			}
			rebuilt = n.Event + "__" + raw + ".sql"
		default:
			t.Fatalf("ParseName(%q): kind %v", base, n.Kind)
		}
		m, err := ParseName(rebuilt)
		if err != nil {
			t.Fatalf("ParseName(%q) (rebuilt from %q): %v", rebuilt, base, err)
		}
		if m.Kind != n.Kind || !m.Version.Equal(n.Version) || m.Version.String() != n.Version.String() ||
			m.Description != n.Description || m.Event != n.Event {
			t.Fatalf("ParseName(%q) = %+v, rebuilt %q gives %+v", base, n, rebuilt, m)
		}
	})
}

func FuzzParseVersion(f *testing.F) {
	long := strings.Repeat("9", 40)
	for _, p := range [][2]string{
		{"1.10", "1.9"}, {"1.0", "1"}, {"1.2.13.3", "1.2.3.3"}, {"1.2.1", "1.2.1.1"},
		{"201004171859", "201004180000"}, {long, "1" + long}, {"0", "0.0.1"}, {"001_0", "1"},
		{"1..1", "1"}, {".1", "1."}, {"+1", "-1"}, {"4.99.1561608282", "4.99.999"},
		{strings.Repeat("1", 25), strings.Repeat("9", 24)},
	} {
		f.Add(p[0], p[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		va, errA := ParseVersion(a)
		vb, errB := ParseVersion(b)
		for _, c := range []struct {
			s   string
			v   Version
			err error
		}{{a, va, errA}, {b, vb, errB}} {
			if c.err != nil {
				if !c.v.IsZero() {
					t.Fatalf("ParseVersion(%q) failed but returned %q", c.s, c.v.String())
				}
				continue
			}
			if c.v.IsZero() || c.v.String() != strings.ReplaceAll(c.s, "_", ".") {
				t.Fatalf("ParseVersion(%q) = %q", c.s, c.v.String())
			}
			canon, err := ParseVersion(c.v.Canonical())
			if err != nil || canon.Canonical() != c.v.Canonical() || !canon.Equal(c.v) {
				t.Fatalf("canonical %q of %q does not parse to itself: %v", c.v.Canonical(), c.s, err)
			}
			back, err := ParseVersionKey(c.v.Key())
			if err != nil || !back.Equal(c.v) || back.Key() != c.v.Key() {
				t.Fatalf("ParseVersionKey(Key(%q)) = %q, %v", c.s, back.String(), err)
			}
		}
		if errA != nil || errB != nil {
			return
		}
		cmp := va.Compare(vb)
		if vb.Compare(va) != -cmp || va.Equal(vb) != (cmp == 0) {
			t.Fatalf("Compare(%q, %q) = %d is not antisymmetric", a, b, cmp)
		}
		if got := strings.Compare(va.Key(), vb.Key()); got != cmp {
			t.Fatalf("keys %q and %q order %d, Compare %d", va.Key(), vb.Key(), got, cmp)
		}
		if (va.Key() == vb.Key()) != (cmp == 0) {
			t.Fatalf("keys %q and %q equality disagrees with Compare %d", va.Key(), vb.Key(), cmp)
		}
		// Appending zero parts never changes a version.
		if z := MustParseVersion(a + ".0"); !z.Equal(va) {
			t.Fatalf("%q.0 != %q", a, a)
		}
	})
}

func FuzzVersionKey(f *testing.F) {
	for _, p := range [][2]string{
		{"a", "b1"}, {"b1b2", "b1ab1"}, {"zc25" + strings.Repeat("1", 25), "y" + strings.Repeat("9", 24)},
		{"b0", "aa"}, {"zb9", "z"}, {"", "a"}, {"m201004171859", "m201004180000"},
	} {
		f.Add(p[0], p[1])
	}
	f.Fuzz(func(t *testing.T, k1, k2 string) {
		v1, err1 := ParseVersionKey(k1)
		v2, err2 := ParseVersionKey(k2)
		if err1 == nil && v1.Key() != k1 {
			t.Fatalf("ParseVersionKey(%q).Key() = %q", k1, v1.Key())
		}
		if err2 == nil && v2.Key() != k2 {
			t.Fatalf("ParseVersionKey(%q).Key() = %q", k2, v2.Key())
		}
		if err1 != nil || err2 != nil {
			return
		}
		if got, want := strings.Compare(k1, k2), v1.Compare(v2); got != want {
			t.Fatalf("keys %q and %q order %d, versions %q and %q compare %d", k1, k2, got, v1.Canonical(), v2.Canonical(), want)
		}
		if k1 != "" {
			if v, err := ParseVersion(v1.String()); err != nil || v.Key() != k1 {
				t.Fatalf("version %q from key %q does not parse back: %v", v1.String(), k1, err)
			}
		}
	})
}

func FuzzChecksum(f *testing.F) {
	for _, tt := range checksumGolden {
		f.Add([]byte(tt.in), uint64(1))
	}
	for _, s := range []string{"\xef\xbb\xbf", "\xef\xbb", "a\r\n\xe2\x82\xac", "\xf0\x9f\x98\x80\r", "ab\xffcd", "\xed\xa0\x80", "x\xc3"} {
		f.Add([]byte(s), uint64(7))
	}
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		whole, wholeErr := Checksum(bytes.NewReader(data))
		chunked, chunkErr := Checksum(&chunkReader{data: data, r: rand.New(rand.NewPCG(seed, seed>>7))})
		if whole != chunked || (wholeErr == nil) != (chunkErr == nil) {
			t.Fatalf("whole %d, %v; chunked %d, %v", whole, wholeErr, chunked, chunkErr)
		}
		verr := validateUTF8(data)
		if (verr == nil) != (wholeErr == nil) {
			t.Fatalf("validateUTF8 %v, Checksum %v", verr, wholeErr)
		}
		if verr != nil {
			for _, err := range []error{wholeErr, chunkErr} {
				var ee *EncodingError
				if !errors.As(err, &ee) || *ee != *verr.(*EncodingError) {
					t.Fatalf("Checksum error %v, validateUTF8 %v", err, verr)
				}
			}
			return
		}
		if want := sketchChecksum(string(data)); whole != want {
			t.Fatalf("Checksum = %d, string route %d", whole, want)
		}
		if want, _ := readLineChecksum(data); whole != want {
			t.Fatalf("Checksum = %d, readLine route %d", whole, want)
		}
	})
}

func FuzzDirectives(f *testing.F) {
	for _, s := range []string{
		"-- strata:transaction=false\nSELECT 1;", "\uFEFF-- strata:lock_timeout=5s statement_timeout=1min\r\n",
		"-- a\r-- strata:placeholders=true\r", "  -- strata: transaction = true", "SELECT 1; -- strata:x=y",
		"-- strata:bogus\n-- strata:transaction=maybe", "\xef\xbb-- strata:transaction=false",
	} {
		f.Add([]byte(s), uint64(3))
	}
	f.Fuzz(func(t *testing.T, src []byte, seed uint64) {
		want, wantErr := ParseDirectives("f.sql", src, "", nil)
		var h headerScanner
		cr := &chunkReader{data: src, r: rand.New(rand.NewPCG(seed, 1))}
		buf := make([]byte, 64)
		for {
			n, err := cr.Read(buf)
			if n > 0 {
				h.Write(buf[:n])
			}
			if err != nil {
				break
			}
		}
		h.finish()
		got, gotErr := buildDirectives("f.sql", &h, "", nil)
		if !sameDirectives(got, want) || (gotErr == nil) != (wantErr == nil) ||
			gotErr != nil && gotErr.Error() != wantErr.Error() {
			t.Fatalf("chunked %s, %v; whole %s, %v", showDirectives(got), gotErr, showDirectives(want), wantErr)
		}
	})
}
