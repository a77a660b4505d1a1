package config

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

func lookupEnvOS(name string) (string, bool) { return os.LookupEnv(name) }

// variable is a `variable "name" { ... }` block.
type variable struct {
	name      string
	block     *hcl.Block
	typ       cty.Type // cty.DynamicPseudoType when not declared
	typeText  string
	def       *hcl.Attribute
	sensitive bool
	broken    bool // its declaration has errors: no value, no further diagnostics

	cli    *cty.Value // converted --var value
	cliBad bool       // --var given but not convertible (reported)
}

func (l *loader) declareVariable(blk *hcl.Block) {
	if len(blk.Labels) != 1 {
		return
	}
	name := blk.Labels[0]
	if !hclsyntax.ValidIdentifier(name) {
		l.errorf(blk.LabelRanges[0].Ptr(), "Invalid variable name",
			"%q cannot be used as a variable name: it must start with a letter or underscore and contain only letters, digits, underscores and dashes, so that var.NAME can refer to it.",
			name)
		return
	}
	if prev := l.vars[name]; prev != nil {
		l.errorf(blk.DefRange.Ptr(), "Duplicate variable",
			"A variable named %q is already declared at %s. Remove one of the two declarations.", name, prev.block.DefRange)
		return
	}
	v := &variable{name: name, block: blk, typ: cty.DynamicPseudoType, typeText: "any"}
	l.vars[name] = v
	l.varOrder = append(l.varOrder, name)

	content, diags := blk.Body.Content(variableSchema)
	l.diags = append(l.diags, diags...)
	if a := content.Attributes["type"]; a != nil {
		ty, diags := typeexpr.TypeConstraint(a.Expr)
		l.diags = append(l.diags, diags...)
		if diags.HasErrors() {
			v.broken = true
		} else {
			v.typ = ty
			v.typeText = typeexpr.TypeString(ty)
		}
	}
	if a := content.Attributes["sensitive"]; a != nil {
		val, diags := a.Expr.Value(nil)
		if diags.HasErrors() || val.IsNull() || !val.IsKnown() || val.Type() != cty.Bool {
			l.errorf(a.Expr.Range().Ptr(), "Invalid sensitive flag",
				"sensitive must be the literal true or false. Write: sensitive = true.")
		} else {
			v.sensitive = val.True()
		}
	}
	if a := content.Attributes["description"]; a != nil {
		val, diags := a.Expr.Value(nil)
		if diags.HasErrors() || !val.IsKnown() || val.Type() != cty.String {
			l.errorf(a.Expr.Range().Ptr(), "Invalid description",
				`description must be a literal string, such as description = "the deployment stage".`)
		}
	}
	v.def = content.Attributes["default"]
}

// checkVarOptions checks Options.Vars against the declared variables and
// converts each value to its variable's type.
func (l *loader) checkVarOptions() {
	names := make([]string, 0, len(l.opts.Vars))
	for n := range l.opts.Vars {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		raw := l.opts.Vars[name]
		v := l.vars[name]
		if v == nil {
			declared := "It declares no variables."
			if len(l.varOrder) > 0 {
				declared = "It declares: " + quoteList(l.varOrder) + "."
			}
			l.errorf(nil, "Undeclared variable",
				"--var %s sets a variable that strata.hcl does not declare.%s %s Declare it with variable %q { type = string }, or fix the name.",
				name, didYouMean(name, l.varOrder), declared, name)
			continue
		}
		if v.broken {
			continue
		}
		val, err := convertVarOption(raw, v.typ)
		if err != nil {
			v.cliBad = true
			l.errorf(v.block.DefRange.Ptr(), "Invalid value for --var",
				"--var %s: the variable is declared as %s here, and the value given %s. Pass a value of that type, for example %s.",
				name, v.typeText, err, varExample(name, v.typ))
			continue
		}
		v.cli = &val
	}
}

// convertVarOption converts a --var value: primitive types from the text
// itself, other types from an HCL literal expression such as ["a", "b"].
func convertVarOption(raw string, ty cty.Type) (cty.Value, error) {
	if ty == cty.DynamicPseudoType || ty == cty.String {
		return cty.StringVal(raw), nil
	}
	if ty.IsPrimitiveType() {
		v, err := convert.Convert(cty.StringVal(raw), ty)
		if err != nil {
			return cty.NilVal, fmt.Errorf("is not a valid %s", ty.FriendlyName())
		}
		return v, nil
	}
	expr, diags := hclsyntax.ParseExpression([]byte(raw), "--var", hcl.InitialPos)
	if diags.HasErrors() {
		return cty.NilVal, fmt.Errorf("is not an HCL value")
	}
	v, diags := expr.Value(nil)
	if diags.HasErrors() {
		return cty.NilVal, fmt.Errorf("is not a literal HCL value")
	}
	v, err := convert.Convert(v, ty)
	if err != nil {
		return cty.NilVal, fmt.Errorf("does not match: %s", convertReason(err))
	}
	return v, nil
}

func varExample(name string, ty cty.Type) string {
	switch {
	case ty == cty.Number:
		return fmt.Sprintf("--var %s=5", name)
	case ty == cty.Bool:
		return fmt.Sprintf("--var %s=true", name)
	case ty.IsListType(), ty.IsSetType(), ty.IsTupleType():
		return fmt.Sprintf(`--var '%s=["a", "b"]'`, name)
	default:
		return fmt.Sprintf(`--var '%s={ key = "value" }'`, name)
	}
}

// convertReason is the message of a cty conversion error.
func convertReason(err error) string {
	msg := err.Error()
	if pe, ok := err.(cty.PathError); ok && len(pe.Path) > 0 {
		msg = pe.Error()
	}
	return strings.TrimSuffix(msg, ".")
}

// resolveVariables returns the var object for the selected env. Only the
// variables in refs (all of them when refs[""]) get a value; the others are
// unknown and unused.
func (l *loader) resolveVariables(refs map[string]bool) cty.Value {
	vals := map[string]cty.Value{}
	for _, name := range l.varOrder {
		v := l.vars[name]
		val := cty.UnknownVal(v.typ)
		if !v.broken && (refs[name] || refs[""]) {
			val = l.variableValue(v)
		}
		if v.sensitive {
			if uv, _ := val.UnmarkDeep(); uv.IsWhollyKnown() {
				for _, dv := range cty.DeepValues(uv) {
					if dv.Type() == cty.String && !dv.IsNull() {
						l.secrets.add(dv.AsString())
					}
				}
			}
			val = val.Mark(sensitiveMark)
		}
		vals[name] = val
	}
	return cty.ObjectVal(vals)
}

func (l *loader) variableValue(v *variable) cty.Value {
	unknown := cty.UnknownVal(v.typ)
	switch {
	case v.cli != nil:
		return *v.cli
	case v.cliBad:
		return unknown
	case v.def == nil:
		l.errorf(v.block.DefRange.Ptr(), "No value for variable",
			"The variable %q is used, but it has no default and no --var sets it. Pass --var %s=VALUE, or add a default to this block: default = ....",
			v.name, v.name)
		return unknown
	}
	val, ok := l.evalIn(v.def.Expr, l.funcCtx)
	if !ok {
		return unknown
	}
	conv, err := convert.Convert(val, v.typ)
	if err != nil {
		l.errorf(v.def.Expr.Range().Ptr(), "Invalid default value",
			"The default of variable %q does not match its type %s: %s. Change the default or the type.",
			v.name, v.typeText, convertReason(err))
		return unknown
	}
	return conv
}
