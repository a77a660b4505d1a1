package config

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// loader holds the state of one Parse call.
type loader struct {
	cfg      *Config
	src      []byte
	filename string
	opts     Options
	diags    hcl.Diagnostics

	funcs    map[string]function.Function
	funcCtx  *hcl.EvalContext // functions only: variable defaults
	ctx      *hcl.EvalContext // functions and var.*: the selected env
	vars     map[string]*variable
	varOrder []string
	// bad holds expressions that already have a diagnostic (a reference to
	// an undeclared variable) and must not be evaluated again.
	bad     map[hcl.Range]bool
	secrets secrets
}

// scope is the top level or one env block, checked against its schema.
type scope struct {
	name     string // env label; "" for the top level
	block    *hcl.Block
	attrs    hcl.Attributes
	nested   map[string]*nestedBlock // placeholders, history, lock, tenants
	rollout  *rolloutBlock           // env only
	defRange hcl.Range
}

type nestedBlock struct {
	block *hcl.Block
	attrs hcl.Attributes
}

// attr returns the attribute name of the scope, or of its nested block when
// name is "block.attr"; nil when absent.
func (s *scope) attr(key string) *hcl.Attribute {
	if s == nil {
		return nil
	}
	if blk, name, ok := strings.Cut(key, "."); ok {
		nb := s.nested[blk]
		if nb == nil {
			return nil
		}
		return nb.attrs[name]
	}
	return s.attrs[key]
}

func newLoader(cfg *Config, src []byte, filename string, opts Options) *loader {
	lookup := opts.LookupEnv
	if lookup == nil {
		lookup = lookupEnvOS
	}
	l := &loader{
		cfg:      cfg,
		src:      src,
		filename: filename,
		opts:     opts,
		vars:     map[string]*variable{},
		bad:      map[hcl.Range]bool{},
	}
	l.funcs = functions(cfg.Dir, lookup, &l.secrets)
	l.funcCtx = &hcl.EvalContext{Functions: l.funcs}
	return l
}

func (l *loader) errorf(subject *hcl.Range, summary, format string, args ...any) {
	var subj *hcl.Range
	if subject != nil {
		r := *subject
		subj = &r
	}
	l.diags = append(l.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  subj,
	})
}

func (l *loader) run() {
	parser := hclparse.NewParser()
	file, diags := parser.ParseHCL(l.src, l.filename)
	l.cfg.Files = parser.Files()
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() || file == nil {
		return
	}
	content := l.content(file.Body, topSchema, "at the top level of strata.hcl")

	top := &scope{attrs: content.Attributes, nested: map[string]*nestedBlock{}, defRange: file.Body.MissingItemRange()}
	for _, name := range envOnlyAttrs {
		if a := top.attrs[name]; a != nil {
			l.misplacedAttr(a)
			delete(top.attrs, name)
		}
	}

	var envs []*scope
	firstEnv := map[string]*hcl.Block{}
	for _, blk := range content.Blocks {
		switch blk.Type {
		case "env":
			if len(blk.Labels) != 1 {
				continue
			}
			name := blk.Labels[0]
			if name == "" {
				l.errorf(blk.LabelRanges[0].Ptr(), "Empty env name",
					`An env needs a name, such as env "dev" { ... }: it is what --env selects.`)
				continue
			}
			sc := l.envScope(blk)
			if first := firstEnv[name]; first != nil {
				l.errorf(blk.DefRange.Ptr(), "Duplicate env",
					"An env named %q is already defined at %s. Env names must be unique: rename one of the two blocks, or merge them into one.",
					name, first.DefRange)
				continue
			}
			firstEnv[name] = blk
			envs = append(envs, sc)
			l.cfg.Envs = append(l.cfg.Envs, name)
		case "variable":
			l.declareVariable(blk)
		case "tenants":
			l.errorf(blk.DefRange.Ptr(), "Misplaced tenants block",
				"A tenants block can only appear inside an env block, because tenants are schemas of one env's database. Move it into that env block.")
		case "rollout":
			l.errorf(blk.DefRange.Ptr(), "Misplaced rollout block",
				"A rollout block can only appear inside an env block, next to its tenants block, because its waves are tenants of that env. Move it into that env block.")
		case "registry":
			l.errorf(blk.DefRange.Ptr(), "Misplaced registry block",
				"A registry block can only appear inside an env block, because it lists the databases of one env. Move it into that env block.")
		default:
			l.addNested(top, blk)
		}
	}

	// Static checks of every scope: references to undeclared variables.
	l.checkRefs(top, nil)
	for _, sc := range envs {
		l.checkRefs(sc, nil)
	}

	l.checkVarOptions()
	l.checkPlaceholderOptions()

	sel := l.selectEnv(envs, file.Body.MissingItemRange())
	if sel == nil {
		return
	}
	refs := map[string]bool{}
	l.checkRefs(top, refs)
	l.checkRefs(sel, refs)
	l.ctx = &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": l.resolveVariables(refs)},
		Functions: l.funcs,
	}
	l.cfg.Env = l.resolveEnv(top, sel)
}

// scrubSecrets removes the text of every sensitive value produced while
// loading from the diagnostics.
func (l *loader) scrubSecrets() {
	if len(l.secrets.texts) == 0 {
		return
	}
	for i, d := range l.diags {
		nd := *d
		nd.Summary = l.secrets.scrub(d.Summary)
		nd.Detail = l.secrets.scrub(d.Detail)
		l.diags[i] = &nd
	}
}

func (l *loader) misplacedAttr(a *hcl.Attribute) {
	var why, fix string
	switch a.Name {
	case "url":
		why = "each env names its own database"
		fix = `Move it into an env block, for example env "dev" { url = "sqlite://dev.db" }.`
	case "overrides":
		why = "overrides replace shared files for one env only"
		fix = `Move it into the env block it is for, or list the folder in locations.`
	case "instances", "max_connections":
		why = "each env names its own databases"
		fix = `Move it into an env block, next to its tenants block: env "prod" { instances = ["postgres://db1/app", "postgres://db2/app"] }.`
	case "clean_disabled":
		why = "allowing clean is decided per env"
		fix = `Move it into the env where clean may run: env "dev" { clean_disabled = false }.`
	}
	l.errorf(a.NameRange.Ptr(), "Attribute belongs in an env block",
		"%q can only be set inside an env block, because %s. %s", a.Name, why, fix)
}

// envScope checks an env block against the env schema. It evaluates nothing.
func (l *loader) envScope(blk *hcl.Block) *scope {
	content := l.content(blk.Body, envSchema, "in an env block")
	sc := &scope{name: blk.Labels[0], block: blk, attrs: content.Attributes, nested: map[string]*nestedBlock{}, defRange: blk.DefRange}
	for _, nb := range content.Blocks {
		if nb.Type == "rollout" {
			l.addRollout(sc, nb)
			continue
		}
		l.addNested(sc, nb)
	}
	if t := sc.nested["tenants"]; t != nil {
		var present []*hcl.Attribute
		for _, name := range []string{"schemas", "query", "pattern"} {
			if a := t.attrs[name]; a != nil {
				present = append(present, a)
			}
		}
		sort.Slice(present, func(i, j int) bool { return present[i].Range.Start.Byte < present[j].Range.Start.Byte })
		reg := sc.nested["registry"]
		switch {
		case reg != nil && len(present) > 0:
			l.errorf(present[0].NameRange.Ptr(), "Tenants source with registry",
				"The tenants block sets %q, but the env has a registry block (at %s), whose query says which tenants live on which database. Remove %s from the tenants block (keep parallel, on_error and retries there), or remove the registry block.",
				present[0].Name, reg.block.DefRange, present[0].Name)
		case reg != nil:
		case len(present) == 0:
			l.errorf(t.block.DefRange.Ptr(), "Missing tenants source",
				`The tenants block must say where the tenant schemas come from, with exactly one of: schemas = ["tenant_a", "tenant_b"], query = "SELECT ...", or pattern = "tenant_*".`)
		case len(present) > 1:
			l.errorf(present[1].NameRange.Ptr(), "Conflicting tenants sources",
				"The tenants block sets both %q (at %s) and %q. Tenants come from exactly one of schemas, query or pattern: keep one and remove the others.",
				present[0].Name, present[0].NameRange, present[1].Name)
		}
	}
	return sc
}

// addNested records a placeholders, history, lock or tenants block in sc.
func (l *loader) addNested(sc *scope, blk *hcl.Block) {
	schema := nestedSchemas[blk.Type]
	if schema == nil {
		return
	}
	if prev := sc.nested[blk.Type]; prev != nil {
		l.errorf(blk.DefRange.Ptr(), "Duplicate block",
			"A %s block is already defined at %s, and only one is allowed here. Put all its settings into that block.",
			blk.Type, prev.block.DefRange)
		return
	}
	content := l.content(blk.Body, schema, "in a "+blk.Type+" block")
	sc.nested[blk.Type] = &nestedBlock{block: blk, attrs: content.Attributes}
}

// sortedAttrs returns the scope's attributes, nested ones included, in
// source order.
func (s *scope) sortedAttrs() []*hcl.Attribute {
	var out []*hcl.Attribute
	for _, a := range s.attrs {
		out = append(out, a)
	}
	for _, nb := range s.nested {
		for _, a := range nb.attrs {
			out = append(out, a)
		}
	}
	if s.rollout != nil {
		for _, w := range s.rollout.waves {
			for _, a := range w.attrs {
				out = append(out, a)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Range.Start.Byte < out[j].Range.Start.Byte })
	return out
}

// checkRefs reports references to undeclared variables in sc (when refs is
// nil) or records the referenced variables in refs ("" means all of them).
func (l *loader) checkRefs(sc *scope, refs map[string]bool) {
	for _, a := range sc.sortedAttrs() {
		for _, tr := range a.Expr.Variables() {
			if tr.RootName() != "var" {
				continue
			}
			name, ok := varName(tr)
			if !ok {
				if refs != nil {
					refs[""] = true
				}
				continue
			}
			if _, declared := l.vars[name]; declared {
				if refs != nil {
					refs[name] = true
				}
				continue
			}
			if refs != nil {
				continue
			}
			l.bad[a.Expr.Range()] = true
			r := tr.SourceRange()
			l.errorf(&r, "Undeclared variable",
				"This refers to var.%s, but strata.hcl declares no variable %q.%s Declare it at the top level: variable %q { type = string }.",
				name, name, didYouMean(name, l.varOrder), name)
		}
	}
}

// varName is the variable name of a traversal rooted at "var".
func varName(tr hcl.Traversal) (string, bool) {
	if len(tr) < 2 {
		return "", false
	}
	switch s := tr[1].(type) {
	case hcl.TraverseAttr:
		return s.Name, true
	case hcl.TraverseIndex:
		if s.Key.Type() == cty.String && s.Key.IsKnown() && !s.Key.IsNull() && !s.Key.IsMarked() {
			return s.Key.AsString(), true
		}
	}
	return "", false
}

func (l *loader) selectEnv(envs []*scope, start hcl.Range) *scope {
	names := make([]string, len(envs))
	for i, sc := range envs {
		names[i] = sc.name
	}
	list := quoteList(names)
	switch {
	case len(envs) == 0:
		l.errorf(&start, "No env block",
			`strata.hcl declares no env, so there is no database to migrate. Add one, for example: env "dev" { url = "sqlite://dev.db" }.`)
		return nil
	case l.opts.Env == "" && len(envs) == 1:
		return envs[0]
	case l.opts.Env == "":
		l.errorf(nil, "No env selected",
			"strata.hcl declares several envs (%s), so Strata cannot guess which database to use. Choose one with --env, for example --env %s.",
			list, envs[0].name)
		return nil
	}
	for _, sc := range envs {
		if sc.name == l.opts.Env {
			return sc
		}
	}
	l.errorf(nil, "Unknown env",
		"strata.hcl has no env %q.%s The envs it declares are: %s.",
		l.opts.Env, didYouMean(l.opts.Env, names), list)
	return nil
}

// eval evaluates expr in the selected env's context. It reports diagnostics
// and returns ok = false when the value cannot be used.
func (l *loader) eval(expr hcl.Expression) (cty.Value, bool) {
	return l.evalIn(expr, l.ctx)
}

func (l *loader) evalIn(expr hcl.Expression, ctx *hcl.EvalContext) (cty.Value, bool) {
	if l.bad[expr.Range()] {
		return cty.NilVal, false
	}
	v, diags := expr.Value(ctx)
	diags = rewriteDiags(diags)
	for i, d := range diags {
		if d.Summary != "Unknown variable" || d.Subject == nil {
			continue
		}
		r := *d.Subject
		if r.Start.Byte < 0 || r.End.Byte > len(l.src) || r.Start.Byte > r.End.Byte {
			continue
		}
		if name := string(r.SliceBytes(l.src)); l.vars[name] != nil {
			nd := *d
			nd.Detail = fmt.Sprintf("There is no variable named %q. Variables declared with a variable block are referred to as var.%s.", name, name)
			diags[i] = &nd
		}
	}
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() {
		return cty.NilVal, false
	}
	if !v.IsWhollyKnown() {
		// Only variables without a value are unknown, and they are
		// reported already; this is a safety net.
		if !l.diags.HasErrors() {
			l.errorf(expr.Range().Ptr(), "Value not known",
				"The value of this expression could not be determined. Check the variables it uses.")
		}
		return cty.NilVal, false
	}
	return v, true
}

// rewriteDiags gives env() and file() failures their own messages, and hides
// function errors whose message could show a sensitive argument.
func rewriteDiags(diags hcl.Diagnostics) hcl.Diagnostics {
	for i, d := range diags {
		extra, ok := hcl.DiagnosticExtra[hclsyntax.FunctionCallDiagExtra](d)
		if !ok {
			if d.Expression != nil && sensitiveArgs(d.Expression, d.EvalContext) {
				nd := *d
				nd.Detail = "The details are not shown because the value involved is sensitive (it comes from env(), file() or a sensitive variable)."
				diags[i] = &nd
			}
			continue
		}
		name := extra.CalledFunctionName()
		nd := *d
		switch err := extra.FunctionCallError().(type) {
		case *envUnsetError:
			nd.Summary = "Environment variable not set"
			nd.Detail = fmt.Sprintf(
				"env(%q) needs the environment variable %s, which is not set. Set it before running strata, or give a default: env(%q, \"...\").",
				err.name, err.name, err.name)
		case *fileError:
			nd.Summary = "Cannot read file"
			nd.Detail = fmt.Sprintf(
				"file(%q) could not read %s: %s. Paths given to file() are relative to the directory of strata.hcl; fix the path or create the file.",
				err.path, err.abs, err.reason)
		default:
			if d.Expression != nil && sensitiveArgs(d.Expression, d.EvalContext) {
				nd.Detail = fmt.Sprintf(
					"Call to function %q failed. The reason is not shown because an argument is sensitive (it comes from env(), file() or a sensitive variable).",
					name)
			}
		}
		diags[i] = &nd
	}
	return diags
}

// sensitiveArgs reports whether the expression (an argument, or a call)
// or any argument of the call has a sensitive value.
func sensitiveArgs(expr hcl.Expression, ctx *hcl.EvalContext) bool {
	exprs := []hcl.Expression{expr}
	if call, ok := expr.(*hclsyntax.FunctionCallExpr); ok {
		for _, a := range call.Args {
			exprs = append(exprs, a)
		}
	}
	for _, e := range exprs {
		v, _ := e.Value(ctx)
		if v != cty.NilVal && v.ContainsMarked() {
			return true
		}
	}
	return false
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// content is body.Content with Strata's own diagnostics for names the schema
// does not have: a suggestion among the names allowed there, else the list
// of them. where says where the body is ("in an env block").
func (l *loader) content(body hcl.Body, schema *hcl.BodySchema, where string) *hcl.BodyContent {
	sb, ok := body.(*hclsyntax.Body)
	if !ok {
		c, diags := body.Content(schema)
		l.diags = append(l.diags, diags...)
		return c
	}
	c, _, diags := sb.PartialContent(schema)
	l.diags = append(l.diags, diags...)

	var attrNames, blockNames []string
	// known names are in the schema for a precise diagnostic, never suggested.
	var known, knownBlocks []string
	if schema == topSchema {
		known, knownBlocks = envOnlyAttrs, []string{"tenants", "rollout", "registry"}
	}
	for _, a := range schema.Attributes {
		if !slices.Contains(known, a.Name) {
			attrNames = append(attrNames, a.Name)
		}
	}
	for _, b := range schema.Blocks {
		if !slices.Contains(knownBlocks, b.Type) {
			blockNames = append(blockNames, b.Type)
		}
	}
	allowed := func() string {
		var parts []string
		if len(attrNames) > 0 {
			parts = append(parts, "the arguments allowed "+where+" are "+strings.Join(attrNames, ", "))
		}
		if len(blockNames) > 0 {
			parts = append(parts, "the blocks are "+strings.Join(blockNames, ", "))
		} else {
			parts = append(parts, "no blocks are allowed")
		}
		text := strings.Join(parts, "; ")
		return " " + strings.ToUpper(text[:1]) + text[1:] + "."
	}

	var attrs []*hclsyntax.Attribute
	for _, a := range sb.Attributes {
		if !slices.Contains(attrNames, a.Name) && !slices.Contains(known, a.Name) {
			attrs = append(attrs, a)
		}
	}
	sort.Slice(attrs, func(i, j int) bool { return attrs[i].SrcRange.Start.Byte < attrs[j].SrcRange.Start.Byte })
	for _, a := range attrs {
		hint := didYouMean(a.Name, attrNames)
		if e := suggest(a.Name, known); hint == "" && e != "" {
			hint = fmt.Sprintf(" Did you mean %q? It can only be set inside an env block.", e)
		}
		if hint == "" {
			if b := suggest(a.Name, blockNames); b != "" {
				hint = fmt.Sprintf(" Did you mean to define a block of type %q? Write it without the equals sign: %s { ... }.", b, b)
			} else {
				hint = allowed()
			}
		}
		l.errorf(a.NameRange.Ptr(), "Unsupported argument",
			"An argument named %q is not expected %s.%s", a.Name, where, hint)
	}
	for _, b := range sb.Blocks {
		if slices.Contains(blockNames, b.Type) || slices.Contains(knownBlocks, b.Type) {
			continue
		}
		hint := didYouMean(b.Type, blockNames)
		switch {
		case hint != "":
		case b.Type == "variable" || b.Type == "env" || b.Type == "tenants" || b.Type == "rollout":
			hint = fmt.Sprintf(" %s blocks belong at the top level of strata.hcl, outside other blocks.", b.Type)
			if b.Type == "tenants" || b.Type == "rollout" {
				hint = fmt.Sprintf(" A %s block belongs directly inside an env block.", b.Type)
			}
		case suggest(b.Type, attrNames) != "":
			a := suggest(b.Type, attrNames)
			hint = fmt.Sprintf(" Did you mean the argument %q? Write it with an equals sign: %s = ....", a, a)
		default:
			hint = allowed()
		}
		l.errorf(b.TypeRange.Ptr(), "Unsupported block type",
			"Blocks of type %q are not expected %s.%s", b.Type, where, hint)
	}
	return c
}
