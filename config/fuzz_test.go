package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse checks that no input makes Parse panic, that every diagnostic
// range lies within the input, that Env is set exactly when there is no
// error, and that a secret from env() never shows in the diagnostics.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("testdata/*.hcl")
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	for _, seed := range []string{
		``,
		`env "dev" {}`,
		`env "dev" { url = "sqlite://dev.db" }`,
		"env \"dev\" {\n  url = env(\"PW\")\n  installed_by = tonumber(env(\"PW\"))\n}\n",
		"env \"dev\" {\n  url = \"x\"\n  placeholders { values = { for k in [env(\"PW\"), env(\"PW\")] : k => k } }\n}\n",
		"variable \"x\" { type = list(string) }\nenv \"dev\" { url = var.x[0] }\n",
		"env \"dev\" {\n  url = \"x\"\n  locations = [\"migrations/*\", env(\"PW\")]\n}\n",
		"env \"dev\" {\n  url = \"x\"\n  hotfixes = [1.0, \"${1}\", true, null, [\"a\"]]\n}\n",
		"env \"dev\" {\n  url = \"x\"\n  tenants {\n    schemas = null\n  }\n}\n",
		"env \"dev\" {\n  url = file(\"../../../../../../../dev/null\")\n}\n",
		"env \"dev\" {\n  url = \"${",
		"env \"prod\" { url = \"x\" }\nenv \"prod\" { url = \"y\" }\n",
		"\xff\xfe env",
	} {
		f.Add([]byte(seed))
	}
	const secret = "s3cretZ"
	f.Fuzz(func(t *testing.T, src []byte) {
		filename := filepath.Join("testdata", "fuzz.hcl")
		for _, opts := range []Options{
			{},
			{Env: "dev"},
			{Env: "prod", Vars: map[string]string{"x": `["a"]`}, Placeholders: map[string]string{"p": "v"}, URLOverride: "sqlite://x.db"},
		} {
			opts.LookupEnv = fakeEnv(map[string]string{"PW": secret, "DATABASE_URL": "postgres://u:" + secret + "@db/app"})
			cfg, diags := Parse(src, filename, opts)
			if cfg == nil {
				t.Fatal("nil Config")
			}
			checkRanges(t, src, filename, diags)
			if diags.HasErrors() == (cfg.Env != nil) {
				t.Fatalf("errors %v but Env %v", diags.HasErrors(), cfg.Env != nil)
			}
			for _, d := range diags {
				if strings.Contains(d.Summary+d.Detail, secret) {
					t.Fatalf("diagnostic shows the secret: %s: %s", d.Summary, d.Detail)
				}
			}
			if cfg.Env != nil && strings.Contains(cfg.Env.DisplayURL(), secret) {
				t.Fatalf("DisplayURL shows the secret: %s", cfg.Env.DisplayURL())
			}
		}
	})
}
