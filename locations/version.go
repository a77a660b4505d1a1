package locations

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a Flyway version: digit parts separated by '.' or '_', any length,
// compared numerically part by part. Missing parts count as 0, so 1, 1.0 and 01
// are equal versions. The zero value means "no version" (repeatables and
// callbacks) and sorts before every parsed version.
//
// Version values are comparable with ==, which compares the text as written
// (String) too; use Equal to compare versions numerically.
type Version struct {
	text  string // as written, '_' replaced by '.'
	canon string // canonical: no leading zeros, no trailing zero parts, "0" for zero; "" for the zero value
}

// ParseVersion parses a version such as "1.2", "1_2", "001.0" or
// "4.99.1561608282". Parts are ASCII digit strings of any length; signs,
// letters, empty parts and leading or trailing separators are errors.
func ParseVersion(s string) (Version, error) {
	if s == "" {
		return Version{}, fmt.Errorf("invalid version %q: version is empty", s)
	}
	var canon strings.Builder
	zeros := 0 // zero parts seen since the last non-zero part, not yet written
	for i := 0; i <= len(s); {
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i || (j < len(s) && s[j] != '.' && s[j] != '_') {
			return Version{}, fmt.Errorf("invalid version %q: version may only contain digits 0..9 separated by '.' or '_'", s)
		}
		part := strings.TrimLeft(s[i:j], "0")
		if part == "" {
			zeros++
		} else {
			for ; zeros > 0; zeros-- {
				if canon.Len() > 0 {
					canon.WriteByte('.')
				}
				canon.WriteByte('0')
			}
			if canon.Len() > 0 {
				canon.WriteByte('.')
			}
			canon.WriteString(part)
		}
		if j == len(s) {
			break
		}
		i = j + 1
		if i == len(s) {
			return Version{}, fmt.Errorf("invalid version %q: version may only contain digits 0..9 separated by '.' or '_'", s)
		}
	}
	c := canon.String()
	if c == "" {
		c = "0"
	}
	return Version{text: strings.ReplaceAll(s, "_", "."), canon: c}, nil
}

// MustParseVersion is like ParseVersion but panics when s is not a valid
// version. It is meant for constants in code and tests.
func MustParseVersion(s string) Version {
	v, err := ParseVersion(s)
	if err != nil {
		panic(err)
	}
	return v
}

// String returns the version as written, with every '_' replaced by '.' and
// leading zeros kept ("001.0"). This is Flyway's stored version text.
// It is "" for the zero value.
func (v Version) String() string { return v.text }

// Canonical returns the numeric form of the version: leading zeros dropped and
// trailing zero parts dropped ("001.0" gives "1"), "0" for a version whose parts
// are all zero. It is "" for the zero value.
func (v Version) Canonical() string { return v.canon }

// IsZero reports whether v is the zero value, which stands for "no version".
func (v Version) IsZero() bool { return v.canon == "" }

// Equal reports whether v and w are numerically equal (1 equals 1.0 and 01).
func (v Version) Equal(w Version) bool { return v.canon == w.canon }

// Compare returns -1, 0 or +1 as v is numerically lower than, equal to or
// higher than w. The zero value is lower than every parsed version.
func (v Version) Compare(w Version) int {
	a, b := v.canon, w.canon
	switch {
	case a == b:
		return 0
	case a == "":
		return -1
	case b == "":
		return +1
	}
	for {
		pa, ra, moreA := strings.Cut(a, ".")
		pb, rb, moreB := strings.Cut(b, ".")
		if c := comparePart(pa, pb); c != 0 {
			return c
		}
		switch {
		case !moreA && !moreB:
			return 0
		case !moreA:
			// Canonical forms end in a non-zero part, so w's remaining
			// parts are not all zero.
			return -1
		case !moreB:
			return +1
		}
		a, b = ra, rb
	}
}

// comparePart compares two digit strings without leading zeros ("0" for zero).
func comparePart(a, b string) int {
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return +1
	}
	return strings.Compare(a, b)
}

// Key returns a printable ASCII string whose byte order is the numeric order of
// versions: strings.Compare(v.Key(), w.Key()) == v.Compare(w) for every pair,
// and equal versions have equal keys. It is "" for the zero value. Strata
// stores it in the history table so that SQL can order versions.
//
// Each canonical part is written as a length code followed by its digits
// without leading zeros (zero has no digits). A length n below 25 is the single
// letter 'a'+n; a longer length is 'z' followed by the length code of the
// number of decimal digits of n and then n in decimal. Parts are concatenated,
// so a version that is a prefix of another sorts first. Examples: "0" is "a",
// "1.2" is "b1b2", "1.0.1" is "b1ab1", "201004171859" is "m201004171859", and a
// 40-digit part starts with "zc40". Keys use only the characters 0-9 and a-z.
func (v Version) Key() string {
	if v.canon == "" {
		return ""
	}
	var b strings.Builder
	b.Grow(len(v.canon) + 4)
	for part := range strings.SplitSeq(v.canon, ".") {
		if part == "0" {
			part = ""
		}
		writeLength(&b, len(part))
		b.WriteString(part)
	}
	return b.String()
}

// keyShortLengths is the number of lengths written as one letter in a key.
const keyShortLengths = 'z' - 'a'

func writeLength(b *strings.Builder, n int) {
	if n < keyShortLengths {
		b.WriteByte(byte('a' + n))
		return
	}
	digits := strconv.Itoa(n)
	b.WriteByte('z')
	writeLength(b, len(digits))
	b.WriteString(digits)
}

// ParseVersionKey parses a key made by Version.Key and returns the canonical
// version (its String is its Canonical form). The empty key gives the zero
// Version. Keys that Key would never produce are errors.
func ParseVersionKey(key string) (Version, error) {
	if key == "" {
		return Version{}, nil
	}
	var canon strings.Builder
	rest := key
	lastZero := false
	for rest != "" {
		n, r, err := readLength(rest)
		if err != nil {
			return Version{}, fmt.Errorf("invalid version key %q: %w", key, err)
		}
		if n > len(r) {
			return Version{}, fmt.Errorf("invalid version key %q: part is shorter than its length code", key)
		}
		digits := r[:n]
		if !isDigits(digits) || (n > 0 && digits[0] == '0') {
			return Version{}, fmt.Errorf("invalid version key %q: part %q is not a number without leading zeros", key, digits)
		}
		if canon.Len() > 0 {
			canon.WriteByte('.')
		}
		if n == 0 {
			canon.WriteByte('0')
		} else {
			canon.WriteString(digits)
		}
		lastZero = n == 0
		rest = r[n:]
	}
	c := canon.String()
	if lastZero && c != "0" {
		return Version{}, fmt.Errorf("invalid version key %q: trailing zero part", key)
	}
	return Version{text: c, canon: c}, nil
}

// readLength reads a length code from the start of s.
func readLength(s string) (n int, rest string, err error) {
	c := s[0]
	switch {
	case c >= 'a' && c < 'z':
		return int(c - 'a'), s[1:], nil
	case c == 'z':
		if len(s) < 2 {
			return 0, "", fmt.Errorf("truncated length code")
		}
		m, r, err := readLength(s[1:])
		if err != nil {
			return 0, "", err
		}
		if m > len(r) || m > 18 {
			return 0, "", fmt.Errorf("length code out of range")
		}
		digits := r[:m]
		if !isDigits(digits) || m == 0 || digits[0] == '0' {
			return 0, "", fmt.Errorf("malformed length code")
		}
		n, err := strconv.Atoi(digits)
		if err != nil || n < keyShortLengths {
			return 0, "", fmt.Errorf("malformed length code")
		}
		return n, r[m:], nil
	}
	return 0, "", fmt.Errorf("unexpected character %q", c)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
