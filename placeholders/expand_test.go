package placeholders

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// lookupOf returns the Lookup of a Values built from m, failing the test on a
// case clash.
func lookupOf(t testing.TB, m map[string]string) Lookup {
	t.Helper()
	if m == nil {
		return nil
	}
	v, err := NewValues(m)
	if err != nil {
		t.Fatal(err)
	}
	return v.Lookup
}

func TestExpand(t *testing.T) {
	long := strings.Repeat("n", MaxNameLen)
	tests := []struct {
		name   string
		src    string
		syn    Syntax
		values map[string]string
		want   string
		used   []string
	}{
		{name: "default syntax", src: "GRANT SELECT ON t TO ${app_role};", values: map[string]string{"app_role": "reader"}, want: "GRANT SELECT ON t TO reader;", used: []string{"app_role"}},
		{name: "no placeholders", src: "SELECT 1;", want: "SELECT 1;"},
		{name: "empty source", src: "", want: ""},
		{name: "custom syntax", src: "CREATE TABLE #[schema].t ();", syn: Syntax{"#[", "]"}, values: map[string]string{"schema": "app"}, want: "CREATE TABLE app.t ();", used: []string{"schema"}},
		{name: "custom syntax ignores default", src: "${schema} #[schema]", syn: Syntax{"#[", "]"}, values: map[string]string{"schema": "app"}, want: "${schema} app", used: []string{"schema"}},
		{name: "multi-char prefix and suffix", src: "a<<<x>>>b<<x>>c", syn: Syntax{"<<<", ">>>"}, values: map[string]string{"x": "1"}, want: "a1b<<x>>c", used: []string{"x"}},
		{name: "same prefix and suffix", src: "@@x@@@@y@@", syn: Syntax{"@@", "@@"}, values: map[string]string{"x": "1", "y": "2"}, want: "12", used: []string{"x", "y"}},
		{name: "suffix made of name characters", src: "echo FP__my_var__ FP__a__b__", syn: Syntax{"FP__", "__"}, values: map[string]string{"my_var": "v", "a": "A"}, want: "echo v Ab__", used: []string{"my_var", "a"}},
		{name: "only prefix set", src: "%{x} %{x}}", syn: Syntax{Prefix: "%{"}, values: map[string]string{"x": "1"}, want: "1 1}", used: []string{"x"}},
		{name: "non-ASCII syntax", src: "«x» «y «", syn: Syntax{"«", "»"}, values: map[string]string{"x": "1"}, want: "1 «y «", used: []string{"x"}},
		{name: "adjacent placeholders", src: "${a}${b}${a}", values: map[string]string{"a": "x", "b": "y"}, want: "xyx", used: []string{"a", "b"}},
		{name: "placeholder at start and end", src: "${a} middle ${b}", values: map[string]string{"a": "x", "b": "y"}, want: "x middle y", used: []string{"a", "b"}},
		{name: "whole text is a placeholder", src: "${a}", values: map[string]string{"a": "value"}, want: "value", used: []string{"a"}},
		{name: "unterminated prefix", src: "SELECT '${a", values: map[string]string{"a": "x"}, want: "SELECT '${a"},
		{name: "prefix at end", src: "SELECT '${", want: "SELECT '${"},
		{name: "first prefix byte at end", src: "cost: $", want: "cost: $"},
		{name: "suffix on next line", src: "${a\n}", values: map[string]string{"a": "x"}, want: "${a\n}"},
		{name: "suffix on next line after CR", src: "${a\r}", values: map[string]string{"a": "x"}, want: "${a\r}"},
		{name: "empty name", src: "${}", want: "${}"},
		{name: "spaces are not name characters", src: "${ a } ${a b}", values: map[string]string{"a": "x"}, want: "${ a } ${a b}"},
		{name: "template string", src: "`${a + b}`", want: "`${a + b}`"},
		{name: "literal prefix then placeholder", src: "${${a}}", values: map[string]string{"a": "x"}, want: "${x}", used: []string{"a"}},
		{name: "name stops at prefix", src: "${a${b}", values: map[string]string{"a": "x", "b": "y"}, want: "${ay", used: []string{"b"}},
		{name: "flyway quirk: $${x} unchanged", src: "$${x}", values: map[string]string{"x": "v"}, want: "$${x}"},
		{name: "flyway quirk: $$${x}", src: "$$${x}", values: map[string]string{"x": "v"}, want: "$$v", used: []string{"x"}},
		{name: "flyway quirk: $$$${x}", src: "$$$${x}", values: map[string]string{"x": "v"}, want: "$$$${x}"},
		{name: "flyway quirk: dollar quotes", src: "CREATE FUNCTION f() AS $${x}$$ body $$;", values: map[string]string{"x": "v"}, want: "CREATE FUNCTION f() AS $${x}$$ body $$;"},
		{name: "flyway quirk: custom prefix", src: "##[x] #[x]", syn: Syntax{"#[", "]"}, values: map[string]string{"x": "v"}, want: "##[x] v", used: []string{"x"}},
		{name: "flyway quirk: three-char prefix", src: "<<x<<<x>>> <<<<x>>>", syn: Syntax{"<<<", ">>>"}, values: map[string]string{"x": "v"}, want: "<<xv <<<<x>>>", used: []string{"x"}},
		{name: "case-insensitive", src: "${App_Role} ${APP_ROLE} ${app_role}", values: map[string]string{"app_role": "r"}, want: "r r r", used: []string{"app_role"}},
		{name: "case-insensitive value key", src: "${app_role}", values: map[string]string{"App_Role": "r"}, want: "r", used: []string{"app_role"}},
		{name: "empty value", src: "a${e}b${e}", values: map[string]string{"e": ""}, want: "ab", used: []string{"e"}},
		{name: "value not re-expanded", src: "${a}", values: map[string]string{"a": "${b}", "b": "no"}, want: "${b}", used: []string{"a"}},
		{name: "value verbatim", src: "${a}", values: map[string]string{"a": "x'; DROP TABLE y; --\n"}, want: "x'; DROP TABLE y; --\n", used: []string{"a"}},
		{name: "comments and strings", src: "-- ${a}\n/* ${a} */ SELECT '${a}';", values: map[string]string{"a": "x"}, want: "-- x\n/* x */ SELECT 'x';", used: []string{"a"}},
		{name: "name characters", src: "${a.b-c_d:e9} ${größe} ${名前}", values: map[string]string{"a.b-c_d:e9": "1", "größe": "2", "名前": "3"}, want: "1 2 3", used: []string{"a.b-c_d:e9", "größe", "名前"}},
		{name: "name of maximum length", src: "${" + long + "}", values: map[string]string{long: "x"}, want: "x", used: []string{long}},
		{name: "name too long", src: "${" + long + "n}", values: map[string]string{long + "n": "x"}, want: "${" + long + "n}"},
		{name: "multi-byte text around", src: "é${a}日本${a}", values: map[string]string{"a": "ü"}, want: "éü日本ü", used: []string{"a"}},
		{name: "built-in", src: "SET search_path = ${strata:schema};", values: map[string]string{"strata:schema": `"acme"`}, want: `SET search_path = "acme";`, used: []string{"strata:schema"}},
		{name: "invalid UTF-8 is literal", src: "\xff${a}\xc3", values: map[string]string{"a": "x"}, want: "\xffx\xc3", used: []string{"a"}},
		{name: "invalid UTF-8 in name", src: "${a\xc3}", values: map[string]string{"a": "x"}, want: "${a\xc3}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, err := Expand(tt.src, tt.syn, lookupOf(t, tt.values))
			if err != nil {
				t.Fatalf("Expand: %v", err)
			}
			if x.Text != tt.want {
				t.Errorf("Text = %q, want %q", x.Text, tt.want)
			}
			if !reflect.DeepEqual(x.Used, tt.used) {
				t.Errorf("Used = %q, want %q", x.Used, tt.used)
			}
			checkReader(t, tt.src, tt.syn, lookupOf(t, tt.values))
		})
	}
}

func TestExpandLookupGetsLowerCase(t *testing.T) {
	var got []string
	lookup := func(name string) (string, bool) {
		got = append(got, name)
		return "", true
	}
	if _, err := Expand("${Foo.BAR} ${x}", Syntax{}, lookup); err != nil {
		t.Fatal(err)
	}
	if want := []string{"foo.bar", "x"}; !reflect.DeepEqual(got, want) {
		t.Errorf("lookup called with %q, want %q", got, want)
	}
}

func TestExpandNilLookup(t *testing.T) {
	src := "a ${x} b"
	x, err := Expand(src, Syntax{}, nil)
	var ue *UndefinedError
	if !errors.As(err, &ue) || len(ue.Items) != 1 {
		t.Fatalf("err = %v, want one undefined placeholder", err)
	}
	if x == nil || x.Text != src {
		t.Fatalf("Expansion = %+v, want the source unchanged", x)
	}
}

func TestUndefined(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		syn     Syntax
		values  map[string]string
		want    []Undefined
		text    string
		message string
	}{
		{
			name:    "one",
			src:     "CREATE ROLE x;\n\nGRANT ALL TO ${app_role};",
			want:    []Undefined{{Name: "app_role", Offset: 29, Line: 3, Column: 14}},
			message: "undefined placeholder ${app_role} at line 3, column 14",
		},
		{
			name:    "all of them",
			src:     "${a}\n  ${b} ${ok}\n${c}",
			values:  map[string]string{"ok": "1"},
			text:    "${a}\n  ${b} 1\n${c}",
			want:    []Undefined{{"a", 0, 1, 1}, {"b", 7, 2, 3}, {"c", 18, 3, 1}},
			message: "3 undefined placeholders: ${a} at line 1, column 1; ${b} at line 2, column 3; ${c} at line 3, column 1",
		},
		{
			name:    "name as written",
			src:     "${App_Role} ${APP_ROLE}",
			want:    []Undefined{{"App_Role", 0, 1, 1}, {"APP_ROLE", 12, 1, 13}},
			message: "2 undefined placeholders: ${App_Role} at line 1, column 1; ${APP_ROLE} at line 1, column 13",
		},
		{
			name:    "column counts characters",
			src:     "-- é日本😀 ${x}",
			want:    []Undefined{{"x", 16, 1, 9}},
			message: "undefined placeholder ${x} at line 1, column 9",
		},
		{
			name: "line breaks",
			src:  "a\r\n${x}\r${y}\n\n${z}\r\n\r\n é${w}",
			want: []Undefined{{"x", 3, 2, 1}, {"y", 8, 3, 1}, {"z", 14, 5, 1}, {"w", 25, 7, 3}},
		},
		{
			name:    "custom syntax in message",
			src:     "x #[role]",
			syn:     Syntax{"#[", "]"},
			want:    []Undefined{{"role", 2, 1, 3}},
			message: "undefined placeholder #[role] at line 1, column 3",
		},
		{
			name: "empty built-in is undefined",
			src:  "${strata:tenant}",
			want: []Undefined{{"strata:tenant", 0, 1, 1}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var lookup Lookup = Builtins{Schema: `"s"`}.Lookup
			if tt.values != nil {
				lookup = Chain(lookupOf(t, tt.values), lookup)
			}
			x, err := Expand(tt.src, tt.syn, lookup)
			var ue *UndefinedError
			if !errors.As(err, &ue) {
				t.Fatalf("err = %v, want *UndefinedError", err)
			}
			if !reflect.DeepEqual(ue.Items, tt.want) {
				t.Errorf("Items = %+v\nwant    %+v", ue.Items, tt.want)
			}
			for _, u := range ue.Items {
				if l, c := LineCol(tt.src, u.Offset); l != u.Line || c != u.Column {
					t.Errorf("LineCol(%d) = %d:%d, item says %d:%d", u.Offset, l, c, u.Line, u.Column)
				}
			}
			if tt.message != "" && err.Error() != tt.message {
				t.Errorf("Error() = %q\nwant      %q", err.Error(), tt.message)
			}
			wantText := tt.text
			if wantText == "" {
				wantText = tt.src
			}
			if x == nil || x.Text != wantText {
				t.Errorf("Expansion = %+v, want Text %q", x, wantText)
			}
			if cerr := Check(tt.src, tt.syn, lookup); !reflect.DeepEqual(cerr, err) {
				t.Errorf("Check = %v, want %v", cerr, err)
			}
			checkReader(t, tt.src, tt.syn, lookup)
		})
	}
}

func TestUndefinedErrorText(t *testing.T) {
	items := make([]Undefined, 25)
	for i := range items {
		items[i] = Undefined{Name: "p", Offset: i, Line: 1, Column: i + 1}
	}
	msg := (&UndefinedError{Items: items}).Error()
	if !strings.HasPrefix(msg, "25 undefined placeholders: ${p} at line 1, column 1; ") ||
		!strings.HasSuffix(msg, "${p} at line 1, column 20; and 5 more") {
		t.Errorf("Error() = %q", msg)
	}
}

func TestUndefinedErrorHint(t *testing.T) {
	tests := []struct {
		name  string
		items []string
		syn   Syntax
		want  string
	}{
		{name: "one user name", items: []string{"app_role"}, want: `define it in placeholders { values = { app_role = "..." } } or pass --placeholder app_role=value`},
		{name: "several user names", items: []string{"a", "b", "A"}, want: "define them in placeholders { values = {...} } or pass --placeholder name=value"},
		{name: "same name twice", items: []string{"a", "A"}, want: `define it in placeholders { values = { a = "..." } } or pass --placeholder a=value`},
		{name: "built-in without value", items: []string{"strata:tenant", "Flyway:User"}, want: "built-ins ${strata:tenant}, ${Flyway:User} have no value for this target or command"},
		{name: "unknown built-in", items: []string{"flyway:schema"}, syn: Syntax{"#[", "]"}, want: "#[flyway:schema]: no such built-in; built-ins are " + strings.Join(builtinNames, ", ")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &UndefinedError{Syntax: tt.syn}
			for _, n := range tt.items {
				e.Items = append(e.Items, Undefined{Name: n, Line: 1, Column: 1})
			}
			if got := e.Hint(); got != tt.want {
				t.Errorf("Hint() = %q\nwant     %q", got, tt.want)
			}
			if strings.Contains(e.Error(), "--placeholder") || strings.Contains(e.Error(), "built-ins") {
				t.Errorf("Error() contains the hint: %q", e.Error())
			}
		})
	}
}

func TestSourceOffset(t *testing.T) {
	// Values spanning several lines must not move positions reported against
	// the file on disk.
	src := "SELECT ${v};\n-- ${e}x\nSELECT bad_here${w}\nEND"
	x, err := Expand(src, Syntax{}, lookupOf(t, map[string]string{"v": "1,\n2,\n3", "e": "", "w": "TAIL\n"}))
	if err != nil {
		t.Fatal(err)
	}
	wantText := "SELECT 1,\n2,\n3;\n-- x\nSELECT bad_hereTAIL\n\nEND"
	if x.Text != wantText {
		t.Fatalf("Text = %q, want %q", x.Text, wantText)
	}
	at := func(s string) int { return strings.Index(x.Text, s) }
	tests := []struct {
		name string
		out  int
		want int
	}{
		{"start", 0, 0},
		{"negative", -5, 0},
		{"before value", at("1,"), 7},
		{"inside value", at("2,"), 7},
		{"last byte of value", at(";") - 1, 7},
		{"after value", at(";"), 11},
		{"after empty value", at("x\n"), 20},
		{"after multi-line values", at("bad_here"), 29},
		{"inside last value", at("TAIL") + 2, 37},
		{"after last value", at("END"), 42},
		{"end of text", len(x.Text), len(src)},
		{"past the end", len(x.Text) + 10, len(src)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := x.SourceOffset(tt.out); got != tt.want {
				t.Errorf("SourceOffset(%d) = %d, want %d", tt.out, got, tt.want)
			}
		})
	}
	t.Run("empty value at the start", func(t *testing.T) {
		x, err := Expand("${e}${e}abc", Syntax{}, Values{"e": ""}.Lookup)
		if err != nil {
			t.Fatal(err)
		}
		for out, want := range []int{8, 9, 10, 11, 11} {
			if got := x.SourceOffset(out); got != want {
				t.Errorf("SourceOffset(%d) = %d, want %d", out, got, want)
			}
		}
	})
	t.Run("many segments", func(t *testing.T) {
		// More than one checkpoint block, with empty values across block edges.
		var src strings.Builder
		for i := range 200 {
			if i%7 == 0 {
				src.WriteString("${v}")
			} else {
				src.WriteString("${e}")
			}
			if i%5 == 0 {
				src.WriteString("x")
			}
		}
		lookup := Values{"v": "val", "e": ""}.Lookup
		x, err := Expand(src.String(), Syntax{}, lookup)
		if err != nil {
			t.Fatal(err)
		}
		text, srcOf, _ := oracleExpand(src.String(), Scan(src.String(), Syntax{}), lookup)
		if x.Text != text {
			t.Fatalf("Text = %q, want %q", x.Text, text)
		}
		for out, want := range srcOf {
			if got := x.SourceOffset(out); got != want {
				t.Errorf("SourceOffset(%d) = %d, want %d", out, got, want)
			}
		}
		checkReader(t, src.String(), Syntax{}, lookup)
	})
	t.Run("line and column of an error", func(t *testing.T) {
		line, col := LineCol(src, x.SourceOffset(at("bad_here")))
		if line != 3 || col != 8 {
			t.Errorf("bad_here at %d:%d, want 3:8", line, col)
		}
	})
}

func TestScan(t *testing.T) {
	tests := []struct {
		name string
		src  string
		syn  Syntax
		want []Ref
	}{
		{name: "none", src: "SELECT 1; $${x} ${ x }", want: nil},
		{name: "default", src: "a ${x}\n é${Y.z}", want: []Ref{{"x", 2, 4, 1, 3}, {"Y.z", 10, 6, 2, 3}}},
		{name: "custom", src: "#[a]#[b]", syn: Syntax{"#[", "]"}, want: []Ref{{"a", 0, 4, 1, 1}, {"b", 4, 4, 1, 5}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Scan(tt.src, tt.syn); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Scan = %+v\nwant   %+v", got, tt.want)
			}
		})
	}
}

func TestLineCol(t *testing.T) {
	src := "ab\ncé\r\nd\re\n\nf😀g"
	tests := []struct {
		offset    int
		line, col int
	}{
		{-1, 1, 1}, {0, 1, 1}, {2, 1, 3}, {3, 2, 1}, {4, 2, 2}, {6, 2, 3}, {7, 3, 1}, {8, 3, 1},
		{9, 3, 2}, {10, 4, 1}, {12, 5, 1}, {13, 6, 1}, {14, 6, 2}, {18, 6, 3}, {100, 6, 4},
	}
	for _, tt := range tests {
		if l, c := LineCol(src, tt.offset); l != tt.line || c != tt.col {
			t.Errorf("LineCol(%d) = %d:%d, want %d:%d", tt.offset, l, c, tt.line, tt.col)
		}
	}
}

func TestSyntaxFormat(t *testing.T) {
	if got := (Syntax{}).Format("x"); got != "${x}" {
		t.Errorf("zero Syntax Format = %q", got)
	}
	if got := (Syntax{"#[", "]"}).Format("x"); got != "#[x]" {
		t.Errorf("custom Syntax Format = %q", got)
	}
}

func TestValidName(t *testing.T) {
	for _, n := range []string{"a", "app_role", "strata:schema", "a.b-c", "größe", "9", strings.Repeat("x", MaxNameLen)} {
		if !ValidName(n) {
			t.Errorf("ValidName(%q) = false", n)
		}
	}
	for _, n := range []string{"", "a b", "a}", "a\n", "x\xff", "a+b", strings.Repeat("x", MaxNameLen+1)} {
		if ValidName(n) {
			t.Errorf("ValidName(%q) = true", n)
		}
	}
}
