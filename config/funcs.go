package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// sensitiveMark is the cty mark carried by values derived from env(),
// file() and sensitive variables. cty propagates marks through every
// operation and function call.
type sensitiveMarkType struct{}

var sensitiveMark = sensitiveMarkType{}

// maxFileSize bounds what file() reads.
const maxFileSize = 16 << 20

// envUnsetError is returned by env() for a missing variable without default.
type envUnsetError struct{ name string }

func (e *envUnsetError) Error() string {
	return fmt.Sprintf("environment variable %q is not set", e.name)
}

// fileError is returned by file().
type fileError struct {
	path   string // as written
	abs    string
	reason string
}

func (e *fileError) Error() string { return fmt.Sprintf("cannot read %s: %s", e.abs, e.reason) }

// secrets collects the texts of sensitive values as they are produced, so
// that diagnostics can be scrubbed of them as a last line of defence.
type secrets struct{ texts []string }

// minSecretLen is the shortest text scrubbed from diagnostics: shorter ones
// would garble messages more than they protect.
const minSecretLen = 4

func (s *secrets) add(text string) {
	for _, t := range []string{text, strings.TrimSpace(text)} {
		if len(t) >= minSecretLen {
			s.texts = append(s.texts, t)
		}
	}
}

// scrub replaces every collected secret in text.
func (s *secrets) scrub(text string) string {
	for _, t := range s.texts {
		if strings.Contains(text, t) {
			text = strings.ReplaceAll(text, t, "(sensitive value)")
		}
	}
	return text
}

func envFunc(lookup func(string) (string, bool), sec *secrets) function.Function {
	return function.New(&function.Spec{
		Description: "Returns the value of an environment variable, or the default when it is not set. The result is sensitive.",
		Params:      []function.Parameter{{Name: "name", Type: cty.String}},
		VarParam:    &function.Parameter{Name: "default", Type: cty.String},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if len(args) > 2 {
				return cty.UnknownVal(cty.String), function.NewArgErrorf(2, "env takes a name and at most one default")
			}
			name := args[0].AsString()
			if v, ok := lookup(name); ok {
				if !utf8.ValidString(v) {
					return cty.UnknownVal(cty.String), function.NewArgErrorf(0, "environment variable %q is not valid UTF-8", name)
				}
				sec.add(v)
				return cty.StringVal(v).Mark(sensitiveMark), nil
			}
			if len(args) == 2 {
				return args[1].Mark(sensitiveMark), nil
			}
			return cty.UnknownVal(cty.String), &envUnsetError{name: name}
		},
	})
}

func fileFunc(dir string, sec *secrets) function.Function {
	return function.New(&function.Spec{
		Description: "Returns the contents of a UTF-8 file, relative to the directory of strata.hcl. The result is sensitive.",
		Params:      []function.Parameter{{Name: "path", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			p := args[0].AsString()
			abs := p
			if !filepath.IsAbs(abs) {
				abs = filepath.Join(dir, abs)
			}
			fail := func(reason string) (cty.Value, error) {
				return cty.UnknownVal(cty.String), &fileError{path: p, abs: abs, reason: reason}
			}
			st, err := os.Stat(abs)
			switch {
			case errors.Is(err, os.ErrNotExist):
				return fail("no such file")
			case err != nil:
				return fail(errorReason(err))
			case !st.Mode().IsRegular():
				return fail("not a regular file")
			case st.Size() > maxFileSize:
				return fail(fmt.Sprintf("larger than %d MiB", maxFileSize>>20))
			}
			data, err := os.ReadFile(abs)
			if err != nil {
				return fail(errorReason(err))
			}
			if !utf8.Valid(data) {
				return fail("not valid UTF-8")
			}
			sec.add(string(data))
			return cty.StringVal(string(data)).Mark(sensitiveMark), nil
		},
	})
}

// errorReason is the message of err without the path that *fs.PathError adds.
func errorReason(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func functions(dir string, lookup func(string) (string, bool), sec *secrets) map[string]function.Function {
	return map[string]function.Function{
		"env":  envFunc(lookup, sec),
		"file": fileFunc(dir, sec),

		"abs":          stdlib.AbsoluteFunc,
		"can":          tryfunc.CanFunc,
		"ceil":         stdlib.CeilFunc,
		"chomp":        stdlib.ChompFunc,
		"coalesce":     stdlib.CoalesceFunc,
		"coalescelist": stdlib.CoalesceListFunc,
		"compact":      stdlib.CompactFunc,
		"concat":       stdlib.ConcatFunc,
		"contains":     stdlib.ContainsFunc,
		"distinct":     stdlib.DistinctFunc,
		"element":      stdlib.ElementFunc,
		"flatten":      stdlib.FlattenFunc,
		"floor":        stdlib.FloorFunc,
		"format":       stdlib.FormatFunc,
		"formatlist":   stdlib.FormatListFunc,
		"indent":       stdlib.IndentFunc,
		"join":         stdlib.JoinFunc,
		"jsondecode":   stdlib.JSONDecodeFunc,
		"jsonencode":   stdlib.JSONEncodeFunc,
		"keys":         stdlib.KeysFunc,
		"length":       stdlib.LengthFunc,
		"lookup":       stdlib.LookupFunc,
		"lower":        stdlib.LowerFunc,
		"max":          stdlib.MaxFunc,
		"merge":        stdlib.MergeFunc,
		"min":          stdlib.MinFunc,
		"range":        stdlib.RangeFunc,
		"regex":        stdlib.RegexFunc,
		"regexall":     stdlib.RegexAllFunc,
		"replace":      stdlib.ReplaceFunc,
		"reverse":      stdlib.ReverseListFunc,
		"slice":        stdlib.SliceFunc,
		"sort":         stdlib.SortFunc,
		"split":        stdlib.SplitFunc,
		"strrev":       stdlib.ReverseFunc,
		"substr":       stdlib.SubstrFunc,
		"title":        stdlib.TitleFunc,
		"tobool":       stdlib.MakeToFunc(cty.Bool),
		"tolist":       stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
		"tomap":        stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
		"tonumber":     stdlib.MakeToFunc(cty.Number),
		"toset":        stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)),
		"tostring":     stdlib.MakeToFunc(cty.String),
		"trim":         stdlib.TrimFunc,
		"trimprefix":   stdlib.TrimPrefixFunc,
		"trimspace":    stdlib.TrimSpaceFunc,
		"trimsuffix":   stdlib.TrimSuffixFunc,
		"try":          tryfunc.TryFunc,
		"upper":        stdlib.UpperFunc,
		"values":       stdlib.ValuesFunc,
		"zipmap":       stdlib.ZipmapFunc,
	}
}
