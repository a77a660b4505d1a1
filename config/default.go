package config

import (
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// Default is the configuration of a project without strata.hcl: one env
// named env (opts.Env when env is ""; "default" when both are) whose url is
// opts.URLOverride and whose migrations are in the folders locs, relative to
// dir; every other setting has its default. Config.Path is "" and
// Config.Dir is dir. Diagnostics have no source range (there is no file to
// point at) and name dir as the base of relative paths.
func Default(dir string, locs []string, opts Options) (*Config, hcl.Diagnostics) {
	name := opts.Env
	if name == "" {
		name = "default"
	}
	opts.Env = name
	f := hclwrite.NewEmptyFile()
	body := f.Body()
	vals := make([]cty.Value, len(locs))
	for i, l := range locs {
		vals[i] = cty.StringVal(l)
	}
	if len(vals) == 0 {
		body.SetAttributeValue("locations", cty.ListValEmpty(cty.String))
	} else {
		body.SetAttributeValue("locations", cty.ListVal(vals))
	}
	body.AppendNewBlock("env", []string{name})
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = filepath.Clean(dir)
	}
	const filename = "(no strata.hcl)"
	cfg := &Config{Dir: abs}
	l := newLoader(cfg, f.Bytes(), filename, opts)
	l.run()
	l.scrubSecrets()
	cfg.Files = nil
	diags := l.diags
	for i, d := range diags {
		nd := *d
		nd.Subject, nd.Context = nil, nil
		nd.Detail = strings.ReplaceAll(nd.Detail, ", the directory of strata.hcl", ", the working directory")
		diags[i] = &nd
	}
	if diags.HasErrors() {
		cfg.Env = nil
	}
	return cfg, diags
}
